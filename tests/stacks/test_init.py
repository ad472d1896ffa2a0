"""stacks (build_orders_app): what changes between dev and prod, and synth with or without an explicit environment."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from stacks import build_orders_app
from tests.cdk_app import SynthesizedApp, cdk_context

STATEFUL = ("AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket")


def stateful(app: SynthesizedApp) -> list[dict]:
    found = [r for r in app.templates["OrdersData"]["Resources"].values() if r["Type"] in STATEFUL]
    assert len(found) == 8
    return found


def test_dev_stateful_resources_are_removable(dev_app: SynthesizedApp) -> None:
    for resource in stateful(dev_app):
        assert resource["DeletionPolicy"] == "Delete"
    assert dev_app.orders.data.termination_protection is False


def test_prod_keeps_stateful_resources_and_protects_the_data_stack(prod_app: SynthesizedApp) -> None:
    assert prod_app.orders.data.termination_protection is True
    for resource in stateful(prod_app):
        assert resource["DeletionPolicy"] == "Retain"
        if resource["Type"] == "AWS::DynamoDB::GlobalTable":
            assert resource["Properties"]["Replicas"][0]["DeletionProtectionEnabled"] is True
    queues = [r for r in prod_app.templates["OrdersProcessing"]["Resources"].values() if r["Type"] == "AWS::SQS::Queue"]
    assert queues and all(q["DeletionPolicy"] == "Retain" for q in queues)
    groups = [
        r for r in prod_app.templates["OrdersProcessing"]["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"
    ]
    assert groups and all(g["Properties"]["RetentionInDays"] == 90 for g in groups)


def test_stack_names_carry_the_stage(dev_app: SynthesizedApp, prod_app: SynthesizedApp) -> None:
    assert dev_app.orders.data.stack_name == "orders-dev-data"
    assert prod_app.orders.processing.stack_name == "orders-prod-processing"


def test_synth_is_environment_agnostic_without_credentials(
    monkeypatch: pytest.MonkeyPatch, dev_app: SynthesizedApp
) -> None:
    assert cdk.Token.is_unresolved(dev_app.orders.data.account)
    assert cdk.Token.is_unresolved(dev_app.orders.data.region)


def test_synth_uses_cdk_default_account_and_region_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "111122223333")
    monkeypatch.setenv("CDK_DEFAULT_REGION", "eu-west-1")
    orders = build_orders_app(cdk.App(context=cdk_context("dev")))
    assert (orders.processing.account, orders.processing.region) == ("111122223333", "eu-west-1")


def test_an_unknown_stage_fails_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown stage 'qa'.*dev, prod"):
        build_orders_app(cdk.App(context=cdk_context("qa")))
