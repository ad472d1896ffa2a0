"""moto's stack engine loses Lambda layers on the way from a template to the functions.

- ``Ref`` of an ``AWS::Lambda::LayerVersion`` is its version ARN on AWS; moto creates the layer
  version but gives it no physical id, so the stack lists it as not created and a function's
  ``Layers: [{"Ref": ...}]`` names nothing.
- An ``AWS::Lambda::Function``'s ``Layers`` are dropped: the function is created without them, so a
  handler that imports from its layer only runs locally because the package happens to be installed.

https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-layerversion.html
("Ref returns the ARN of the layer version");
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html (Layers).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.awslambda.models import LambdaFunction, LayerVersion

from localcloud.settings import LocalCloudSettings

GAP = (
    "moto's CloudFormation gives an AWS::Lambda::LayerVersion no physical id (Ref names nothing) "
    "and creates an AWS::Lambda::Function without its Layers"
)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    stack.enter_context(
        mock.patch.object(LayerVersion, "physical_resource_id", property(lambda layer: layer.arn), create=True)
    )
    original = LambdaFunction.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(
        cls: type[LambdaFunction],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> LambdaFunction:
        function: LambdaFunction = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        layers = cloudformation_json["Properties"].get("Layers") or []
        if layers:
            function.layers = function._get_layers_data(layers)
        return function

    stack.enter_context(
        mock.patch.object(
            LambdaFunction, "create_from_cloudformation_json", classmethod(create_from_cloudformation_json)
        )
    )
