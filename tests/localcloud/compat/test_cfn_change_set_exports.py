"""localcloud.compat.cfn_change_set_exports: change-set stacks export, and import each other's exports.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import boto3
import pytest

from localcloud.compat import (
    cfn_change_set_exports,
    installed,
)
from tests.localcloud.conftest import deploy_template

pytestmark = pytest.mark.usefixtures("aws")


QUEUE = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "work"}}


TOPIC = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "events"}}


def test_moto_still_ignores_exports_of_change_set_stacks() -> None:
    deploy_template({"Queue": QUEUE}, {"Url": {"Value": {"Ref": "Queue"}, "Export": {"Name": "work-url"}}})
    assert boto3.client("cloudformation").list_exports()["Exports"] == []


def test_change_set_stacks_export_and_import() -> None:
    with installed(cfn_change_set_exports):
        deploy_template({"Queue": QUEUE}, {"Url": {"Value": {"Ref": "Queue"}, "Export": {"Name": "work-url"}}})
        consumer = deploy_template(
            {"Topic": TOPIC}, {"Imported": {"Value": {"Fn::ImportValue": "work-url"}}}, name="consumer"
        )
    outputs = boto3.client("cloudformation").describe_stacks(StackName=consumer)["Stacks"][0]["Outputs"]
    assert outputs[0]["OutputValue"].endswith("/work")
    assert [e["Name"] for e in boto3.client("cloudformation").list_exports()["Exports"]] == ["work-url"]
