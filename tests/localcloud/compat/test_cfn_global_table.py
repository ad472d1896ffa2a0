"""localcloud.compat.cfn_global_table: an AWS::DynamoDB::GlobalTable (CDK's TableV2) becomes a table.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import boto3
import pytest

from localcloud.compat import (
    _cfn,
    cfn_global_table,
    installed,
)
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")


@pytest.mark.parametrize("resource_type", ["AWS::DynamoDB::GlobalTable"])
def test_moto_still_skips(resource_type: str) -> None:
    assert not _cfn.moto_supports(resource_type), f"moto now creates {resource_type}: drop cfn_global_table"


def test_global_table_becomes_a_table_with_its_keys_stream_and_time_to_live() -> None:
    table = {
        "Type": "AWS::DynamoDB::GlobalTable",
        "Properties": {
            "TableName": "balances",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
            "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"},
            "Replicas": [{"Region": "us-east-1", "DeletionProtectionEnabled": True}],
        },
    }
    with installed(cfn_global_table):
        stack = deploy_template({"Table": table}, {"Arn": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}}})
    dynamodb = boto3.client("dynamodb")
    described = dynamodb.describe_table(TableName="balances")["Table"]
    assert [k["AttributeName"] for k in described["KeySchema"]] == ["pk", "sk"]
    assert described["DeletionProtectionEnabled"] is True
    assert "LatestStreamArn" in described
    ttl = dynamodb.describe_time_to_live(TableName="balances")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    assert physical_ids(stack)["Table"] == "balances"
