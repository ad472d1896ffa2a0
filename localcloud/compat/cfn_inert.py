"""Resource types the local cloud records but does not emulate: ``AWS::CDK::Metadata`` and the
EventBridge schema registry (``AWS::EventSchemas::Registry`` / ``Schema``).

moto has no schema registry. Here the registry only documents the event contract: the producer
validates against the same JSON Schema file that the registry is synthesized from, so nothing at
run time depends on it. Recording these as created keeps a deployed stack's resource list whole,
so the deploy check (every template resource has a physical id) can be strict about the rest.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from localcloud.compat._cfn import CompatResource, register
from localcloud.settings import LocalCloudSettings

GAP = "moto's CloudFormation skips AWS::CDK::Metadata and AWS::EventSchemas::* (no schema registry in moto)"
RESOURCE_TYPES = ("AWS::CDK::Metadata", "AWS::EventSchemas::Registry", "AWS::EventSchemas::Schema")


class CdkMetadata(CompatResource):
    cloudformation_type_name = "AWS::CDK::Metadata"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        return cls(name)


class SchemaRegistry(CompatResource):
    cloudformation_type_name = "AWS::EventSchemas::Registry"
    name_property = "RegistryName"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        arn = f"arn:aws:schemas:{region_name}:{account_id}:registry/{name}"
        return cls(arn, {"RegistryArn": arn, "RegistryName": name})


class Schema(CompatResource):
    cloudformation_type_name = "AWS::EventSchemas::Schema"
    name_property = "SchemaName"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        arn = f"arn:aws:schemas:{region_name}:{account_id}:schema/{properties['RegistryName']}/{name}"
        return cls(arn, {"SchemaArn": arn, "SchemaName": name, "SchemaVersion": "1"})


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    register(stack, CdkMetadata, SchemaRegistry, Schema)
