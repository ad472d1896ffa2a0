"""``Ref`` of an ``AWS::Lambda::LayerVersion`` is its version ARN on AWS; moto's stack engine creates the
layer version but gives it no physical id, so the stack lists it as not created and a function's
``Layers: [{"Ref": ...}]`` names nothing.

https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-layerversion.html
("Ref returns the ARN of the layer version").
"""

from __future__ import annotations

from contextlib import ExitStack
from unittest import mock

from moto.awslambda.models import LayerVersion

from localcloud.settings import LocalCloudSettings

GAP = "moto's CloudFormation does not resolve Ref of an AWS::Lambda::LayerVersion to its version ARN"


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    stack.enter_context(
        mock.patch.object(LayerVersion, "physical_resource_id", property(lambda layer: layer.arn), create=True)
    )
