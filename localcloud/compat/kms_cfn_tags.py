"""``AWS::KMS::Key`` with ``Tags``: moto's stack engine passes CloudFormation's ``Key``/``Value`` tags
to a backend that expects the KMS API's ``TagKey``/``TagValue`` and fails (KeyError 'TagKey').

CDK tags every key it creates, so without this no encrypted queue, topic or log group deploys.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.kms.models import Key

from localcloud.settings import LocalCloudSettings

GAP = "moto's CloudFormation fails on AWS::KMS::Key Tags (expects TagKey/TagValue)"

_original = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]


def _create_from_cloudformation_json(
    cls: type[Key], resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Key:
    properties = cloudformation_json.get("Properties", {})
    tags = [
        {"TagKey": tag["Key"], "TagValue": tag["Value"]} if "Key" in tag else tag for tag in properties.get("Tags", [])
    ]
    converted = {**cloudformation_json, "Properties": {**properties, "Tags": tags}}
    return _original(cls, resource_name, converted, account_id, region_name, **kwargs)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    stack.enter_context(
        mock.patch.object(Key, "create_from_cloudformation_json", classmethod(_create_from_cloudformation_json))
    )
