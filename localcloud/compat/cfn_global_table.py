"""``AWS::DynamoDB::GlobalTable`` (what CDK's ``TableV2`` synthesizes): moto's stack engine skips it.

Created here as a single-region DynamoDB table with the same keys, indexes, billing, stream,
time to live and the first replica's deletion protection and tags; replicas in other regions are
out of scope for a one-region local cloud.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from localcloud.compat._cfn import CompatResource, register
from localcloud.settings import LocalCloudSettings

GAP = "moto's CloudFormation does not create AWS::DynamoDB::GlobalTable (CDK TableV2)"
RESOURCE_TYPE = "AWS::DynamoDB::GlobalTable"


class GlobalTable(CompatResource):
    cloudformation_type_name = RESOURCE_TYPE
    name_property = "TableName"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[account_id][region_name]
        replica = (properties.get("Replicas") or [{}])[0]
        table = backend.create_table(
            name=name,
            schema=properties["KeySchema"],
            attr=properties.get("AttributeDefinitions", []),
            global_indexes=[
                {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
                for index in properties.get("GlobalSecondaryIndexes", [])
            ],
            indexes=properties.get("LocalSecondaryIndexes", []),
            # provisioned capacity has no meaning locally: every table is on demand
            throughput=None,
            # GlobalTable's StreamSpecification has no StreamEnabled: a view type means a stream.
            streams={**properties["StreamSpecification"], "StreamEnabled": True}
            if "StreamSpecification" in properties
            else None,
            tags=replica.get("Tags"),
            deletion_protection_enabled=replica.get("DeletionProtectionEnabled", False),
            sse_specification=properties.get("SSESpecification"),
            billing_mode="PAY_PER_REQUEST",
            warm_throughput=None,
        )
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            backend.update_time_to_live(name, {"Enabled": True, "AttributeName": ttl["AttributeName"]})
        attributes = {"Arn": table.table_arn}
        if table.latest_stream_label:
            attributes["StreamArn"] = table.describe()["TableDescription"]["LatestStreamArn"]
        return cls(name, attributes)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        from moto.dynamodb.models import dynamodb_backends

        dynamodb_backends[account_id][region_name].delete_table(resource_name)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    register(stack, GlobalTable)
