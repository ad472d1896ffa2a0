"""localcloud.compat._cfn: a resource type added to moto's stack engine for as long as its ExitStack is open,
named and referenced (``Ref``, ``Fn::GetAtt``) as its compat class says."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import boto3
import pytest

from localcloud.compat import cfn_change_set_exports, installed
from localcloud.compat._cfn import CompatResource, moto_supports, register
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")

WIDGET = "AWS::Example::Widget"


class Widget(CompatResource):
    cloudformation_type_name = WIDGET
    name_property = "WidgetName"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        arn = f"arn:aws:example:{region_name}:{account_id}:widget/{name}"
        return cls(arn, {"Arn": arn, "Size": properties["Size"]})


def outputs(stack: str) -> dict[str, str]:
    described = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def test_a_registered_type_is_created_named_by_its_name_property_and_referenced() -> None:
    widget = {"Type": WIDGET, "Properties": {"WidgetName": "gear", "Size": 3}}
    with ExitStack() as stack:
        register(stack, Widget)
        stack.enter_context(installed(cfn_change_set_exports))  # outputs of change-set stacks need it
        name = deploy_template(
            {"Widget": widget},
            {"Ref": {"Value": {"Ref": "Widget"}}, "Size": {"Value": {"Fn::GetAtt": ["Widget", "Size"]}}},
        )
    arn = "arn:aws:example:us-east-1:123456789012:widget/gear"
    assert physical_ids(name)["Widget"] == arn
    assert outputs(name) == {"Ref": arn, "Size": "3"}


def test_the_type_is_known_only_while_its_registration_lasts() -> None:
    assert not moto_supports(WIDGET)
    with ExitStack() as stack:
        register(stack, Widget)
        assert moto_supports(WIDGET)
        assert moto_supports("AWS::SQS::Queue")  # moto's own types are kept
    assert not moto_supports(WIDGET)
    assert moto_supports("AWS::SQS::Queue")
