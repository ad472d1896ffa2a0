"""The public Powertools for AWS Lambda (Python) layer, pinned.

The layer is published by AWS in every commercial region under account 017000801446.
Its version number is tied to a Powertools release; keep ``POWERTOOLS_VERSION`` equal to
the ``aws-lambda-powertools`` pin in requirements.txt so that handler tests run the code
the functions get in AWS.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

POWERTOOLS_VERSION = "3.31.1"
POWERTOOLS_LAYER_VERSION = 36
POWERTOOLS_LAYER_ACCOUNT = "017000801446"

DEFAULT_RUNTIME = lambda_.Runtime.PYTHON_3_14
DEFAULT_ARCHITECTURE = lambda_.Architecture.ARM_64


def powertools_layer_arn(
    runtime: lambda_.Runtime = DEFAULT_RUNTIME,
    architecture: lambda_.Architecture = DEFAULT_ARCHITECTURE,
) -> str:
    """ARN of the pinned Powertools layer for ``runtime`` and ``architecture`` in the stack's region."""
    python_tag = runtime.name.replace(".", "")  # python3.14 -> python314
    arch_tag = "arm64" if architecture.name == "arm64" else "x86_64"
    return (
        f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
        f"AWSLambdaPowertoolsPythonV3-{python_tag}-{arch_tag}:{POWERTOOLS_LAYER_VERSION}"
    )


def powertools_layer(
    scope: Construct,
    construct_id: str = "PowertoolsLayer",
    *,
    runtime: lambda_.Runtime = DEFAULT_RUNTIME,
    architecture: lambda_.Architecture = DEFAULT_ARCHITECTURE,
) -> lambda_.ILayerVersion:
    """The pinned Powertools layer, imported once per scope."""
    existing = scope.node.try_find_child(construct_id)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, powertools_layer_arn(runtime, architecture))
