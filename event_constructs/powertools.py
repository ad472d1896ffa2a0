"""The public Powertools for AWS Lambda (Python) layer, pinned, in every partition that has it.

Powertools publishes the layer under one account in every commercial region, under another in
China (``cn-north-1`` only) and under one account per region in AWS GovCloud (US); the layer's
name and version are the same everywhere (Powertools' "Lambda Layer" documentation). The account
is resolved per region: for a stack bound to a region, at synth; for an environment-agnostic
stack, by a ``CfnMapping`` over the regions of the partitions the app targets
(``@aws-cdk/core:target-partitions`` in ``cdk.json``), so the template deploys in each of them.
A region, or a target partition, without a published layer is refused at synth.

Keep ``POWERTOOLS_VERSION`` equal to the ``aws-lambda-powertools`` pin in requirements.txt so
that handler tests run the code the functions get in AWS.

Example:
    >>> layer_account("eu-west-1"), layer_account("cn-north-1"), layer_account("us-gov-west-1")
    ('017000801446', '498634801083', '165093116878')
    >>> layer_account("cn-northwest-1") is None
    True
"""

from __future__ import annotations

from typing import Final

import jsii
from aws_cdk import Stack, Token, region_info
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from event_constructs._validation import InvalidPropsError
from event_constructs.defaults import FUNCTION

POWERTOOLS_VERSION = "3.31.1"
POWERTOOLS_LAYER_VERSION = 36
#: The publishing account in every commercial region ("aws" partition).
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
#: Elsewhere the account depends on the region; a region of another partition not listed has no layer.
LAYER_ACCOUNTS_OUTSIDE_COMMERCIAL: Final[dict[str, str]] = {
    "cn-north-1": "498634801083",
    "us-gov-east-1": "165087284144",
    "us-gov-west-1": "165093116878",
}
#: The region fact the accounts are registered under (CDK names the mapping ``PowertoolsLayerMap``).
LAYER_ACCOUNT_FACT: Final = "PowertoolsLayer:account"

#: The runtime and architecture of the library's functions (kept here under these names for existing users).
DEFAULT_RUNTIME = FUNCTION.runtime
DEFAULT_ARCHITECTURE = FUNCTION.architecture


def layer_account(region: str) -> str | None:
    """The account that publishes the layer in ``region``, or None where no layer is published."""
    if region in LAYER_ACCOUNTS_OUTSIDE_COMMERCIAL:
        return LAYER_ACCOUNTS_OUTSIDE_COMMERCIAL[region]
    known = next((info for info in region_info.RegionInfo.regions if info.name == region), None)
    return POWERTOOLS_LAYER_ACCOUNT if known is not None and known.partition == "aws" else None


@jsii.implements(region_info.IFact)
class _LayerAccountFact:
    def __init__(self, region: str, account: str) -> None:
        self._region = region
        self._account = account

    @property
    def name(self) -> str:
        return LAYER_ACCOUNT_FACT

    @property
    def region(self) -> str:
        return self._region

    @property
    def value(self) -> str:
        return self._account


def _register_layer_accounts() -> None:
    for info in region_info.RegionInfo.regions:
        account = layer_account(info.name)
        if account is not None:
            region_info.Fact.register(_LayerAccountFact(info.name, account), True)


_register_layer_accounts()


def _layer_account_for(scope: Construct) -> str:
    """The layer account of the stack's region (a literal, or a mapping lookup), refusing what has no layer."""
    stack = Stack.of(scope)
    problems = []
    if not Token.is_unresolved(stack.region):
        if layer_account(stack.region) is None:
            problems.append(
                f"region {stack.region} has no published Powertools layer; deploy to a region that has one "
                f"(every commercial region, {', '.join(sorted(LAYER_ACCOUNTS_OUTSIDE_COMMERCIAL))})"
            )
    else:
        targets = stack.node.try_get_context("@aws-cdk/core:target-partitions") or ["aws"]
        with_layer = {info.partition for info in region_info.RegionInfo.regions if layer_account(info.name)}
        problems += [
            f"target partition {partition} has no published Powertools layer; remove it from "
            "'@aws-cdk/core:target-partitions' in cdk.json, or bind the stack to a region that has one"
            for partition in targets
            if partition not in with_layer
        ]
    if problems:
        raise InvalidPropsError("PowertoolsLayer", scope.node.path, problems)
    return stack.regional_fact(LAYER_ACCOUNT_FACT)


def powertools_layer_arn(
    scope: Construct,
    runtime: lambda_.Runtime = DEFAULT_RUNTIME,
    architecture: lambda_.Architecture = DEFAULT_ARCHITECTURE,
) -> str:
    """ARN of the pinned Powertools layer for ``runtime`` and ``architecture`` in the region of ``scope``'s stack.

    Raises InvalidPropsError for a region, or a target partition, where Powertools publishes no layer.

    Args:
        scope: a construct in the stack whose region the layer is for.
        runtime: the functions' Python runtime. Default: python3.14.
        architecture: the functions' architecture. Default: arm64.
    """
    stack = Stack.of(scope)
    python_tag = runtime.name.replace(".", "")  # python3.14 -> python314
    arch_tag = "arm64" if architecture.name == "arm64" else "x86_64"
    return (
        f"arn:{stack.partition}:lambda:{stack.region}:{_layer_account_for(scope)}:layer:"
        f"AWSLambdaPowertoolsPythonV3-{python_tag}-{arch_tag}:{POWERTOOLS_LAYER_VERSION}"
    )


def powertools_layer(
    scope: Construct,
    construct_id: str = "PowertoolsLayer",
    *,
    runtime: lambda_.Runtime = DEFAULT_RUNTIME,
    architecture: lambda_.Architecture = DEFAULT_ARCHITECTURE,
) -> lambda_.ILayerVersion:
    """The pinned Powertools layer, imported once per scope.

    Args:
        scope: where the layer is imported.
        construct_id: the imported layer's id in ``scope``. Default: PowertoolsLayer.
        runtime: the functions' Python runtime. Default: python3.14.
        architecture: the functions' architecture. Default: arm64.
    """
    existing = scope.node.try_find_child(construct_id)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return lambda_.LayerVersion.from_layer_version_arn(
        scope, construct_id, powertools_layer_arn(scope, runtime, architecture)
    )
