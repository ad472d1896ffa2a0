"""The library's runtime half (:mod:`event_runtime`) as a Lambda layer, so a consumer's handler can import it.

The layer holds the installed ``event_runtime`` package under ``python/`` (where Lambda's Python
runtimes look), copied at synth without Docker. One layer per stack: every function of the
library in that stack shares it. Its dependencies (Powertools, boto3) come with the function: the
Powertools layer and the Lambda runtime.

Example:
    >>> import aws_cdk as cdk
    >>> from aws_cdk.assertions import Template
    >>> from event_constructs import runtime_layer
    >>> stack = cdk.Stack(cdk.App(), "Example")
    >>> layer = runtime_layer(stack)
    >>> runtime_layer(stack) is layer
    True
    >>> Template.from_stack(stack).resource_count_is("AWS::Lambda::LayerVersion", 1)
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

import event_runtime

#: Where the installed runtime half lives (a wheel's site-packages, or this repository's runtime/).
RUNTIME_PACKAGE_DIR = Path(event_runtime.__file__).resolve().parent
LAYER_ID = "EventRuntimeLayer"
#: event_runtime is pure Python for 3.11 and later: any of Lambda's Python runtimes from 3.11, either architecture.
COMPATIBLE_RUNTIMES = (
    lambda_.Runtime.PYTHON_3_11,
    lambda_.Runtime.PYTHON_3_12,
    lambda_.Runtime.PYTHON_3_13,
    lambda_.Runtime.PYTHON_3_14,
)


@jsii.implements(ILocalBundling)
class _CopyRuntimePackage:
    """Bundles the layer on this machine: a copy of the package, no Docker."""

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        shutil.copytree(
            RUNTIME_PACKAGE_DIR,
            Path(output_dir) / "python" / "event_runtime",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        return True


def runtime_layer(scope: Construct, construct_id: str = LAYER_ID) -> lambda_.ILayerVersion:
    """The layer with :mod:`event_runtime` (version ``event_runtime.__version__``), made once per ``scope``."""
    existing = scope.node.try_find_child(construct_id)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return lambda_.LayerVersion(
        scope,
        construct_id,
        code=lambda_.Code.from_asset(
            str(RUNTIME_PACKAGE_DIR),
            asset_hash_type=AssetHashType.OUTPUT,
            bundling=BundlingOptions(
                image=DockerImage.from_registry("unused-bundled-locally"), local=_CopyRuntimePackage()
            ),
        ),
        compatible_runtimes=list(COMPATIBLE_RUNTIMES),
        compatible_architectures=[lambda_.Architecture.ARM_64, lambda_.Architecture.X86_64],
        description=f"event_runtime {event_runtime.__version__}: the failure policy of event-constructs' consumers",
    )
