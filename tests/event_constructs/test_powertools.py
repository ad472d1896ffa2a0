"""The Powertools layer in every partition that has it, and a clear refusal where none is published."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from event_constructs import InvalidPropsError, ServiceFunction
from event_constructs.powertools import POWERTOOLS_LAYER_ACCOUNT, powertools_layer_arn

CODE = cdk.aws_lambda.Code.from_inline("def handler(event, context): ...")
TARGET_PARTITIONS = "@aws-cdk/core:target-partitions"


def function_in(stack: cdk.Stack) -> dict[str, Any]:
    ServiceFunction(stack, "Fn", code=CODE, handler="index.handler", invoked_by="a test")
    return Template.from_stack(stack).to_json()


def test_an_environment_agnostic_stack_maps_each_region_of_its_partitions_to_its_layer_account() -> None:
    app = cdk.App(context={TARGET_PARTITIONS: ["aws", "aws-cn", "aws-us-gov"]})
    template = function_in(cdk.Stack(app, "Anywhere"))
    accounts = {region: entry["account"] for region, entry in template["Mappings"]["PowertoolsLayerMap"].items()}
    assert accounts["us-east-1"] == accounts["eu-west-1"] == POWERTOOLS_LAYER_ACCOUNT
    assert accounts["cn-north-1"] == "498634801083"  # not the commercial account (issue 19)
    assert (accounts["us-gov-east-1"], accounts["us-gov-west-1"]) == ("165087284144", "165093116878")
    assert "cn-northwest-1" not in accounts  # Powertools publishes no layer there
    layer, runtime = next(
        r["Properties"]["Layers"] for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    )
    assert template["Resources"][runtime["Ref"]]["Type"] == "AWS::Lambda::LayerVersion"  # the library's runtime half
    assert {"Fn::FindInMap": ["PowertoolsLayerMap", {"Ref": "AWS::Region"}, "account"]} in layer["Fn::Join"][1]


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("eu-central-1", "arn:aws:lambda:eu-central-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:"),
        ("cn-north-1", "arn:aws-cn:lambda:cn-north-1:498634801083:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:"),
        ("us-gov-west-1", "arn:aws-us-gov:lambda:us-gov-west-1:165093116878:layer:"),
    ],
)
def test_a_stack_bound_to_a_region_gets_that_regions_layer(region: str, expected: str) -> None:
    app = cdk.App(context={"@aws-cdk/core:enablePartitionLiterals": True})  # as cdk.json sets it
    stack = cdk.Stack(app, "Bound", env=cdk.Environment(account="111122223333", region=region))
    assert stack.resolve(powertools_layer_arn(stack)).startswith(expected)


def test_a_region_without_a_published_layer_is_refused_at_synth() -> None:
    stack = cdk.Stack(cdk.App(), "Beijing2", env=cdk.Environment(account="111122223333", region="cn-northwest-1"))
    with pytest.raises(InvalidPropsError, match="region cn-northwest-1 has no published Powertools layer"):
        function_in(stack)


def test_a_target_partition_without_any_layer_is_refused_at_synth() -> None:
    app = cdk.App(context={TARGET_PARTITIONS: ["aws", "aws-iso"]})
    with pytest.raises(InvalidPropsError, match="target partition aws-iso has no published Powertools layer"):
        function_in(cdk.Stack(app, "Isolated"))


def test_the_app_maps_china_to_the_china_layer_account(dev_app: Any) -> None:
    mapping = dev_app.templates["OrdersProcessing"]["Mappings"]["PowertoolsLayerMap"]
    assert mapping["cn-north-1"]["account"] == "498634801083"
