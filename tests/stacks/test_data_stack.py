"""The tables: message attempts, orders, balances and their ledger."""

from __future__ import annotations

from aws_cdk.assertions import Match

from tests.cdk_app import SynthesizedApp


def test_the_attempts_table_has_the_keys_the_handlers_use_and_expires_its_items(dev_app: SynthesizedApp) -> None:
    from event_runtime.attempts import EXPIRES_AT_ATTRIBUTE, MESSAGE_KEY_ATTRIBUTE

    dev_app.template("OrdersData").has_resource_properties(
        "AWS::DynamoDB::GlobalTable",
        {
            "KeySchema": [{"AttributeName": MESSAGE_KEY_ATTRIBUTE, "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": MESSAGE_KEY_ATTRIBUTE, "AttributeType": "S"}],
            "TimeToLiveSpecification": {"AttributeName": EXPIRES_AT_ATTRIBUTE, "Enabled": True},
            "Replicas": [Match.object_like({"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}})],
        },
    )


def test_balances_table_has_account_and_entry_keys(dev_app: SynthesizedApp) -> None:
    dev_app.template("OrdersData").has_resource_properties(
        "AWS::DynamoDB::GlobalTable",
        {
            "KeySchema": [
                {"AttributeName": "account_id", "KeyType": "HASH"},
                {"AttributeName": "entry", "KeyType": "RANGE"},
            ]
        },
    )


def test_every_table_has_point_in_time_recovery_and_on_demand_billing(dev_app: SynthesizedApp) -> None:
    template = dev_app.template("OrdersData")
    template.resource_count_is("AWS::DynamoDB::GlobalTable", 6)
    template.all_resources_properties(
        "AWS::DynamoDB::GlobalTable",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "Replicas": [Match.object_like({"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}})],
        },
    )


def test_the_data_lake_is_encrypted_private_versioned_tls_only_and_logged(dev_app: SynthesizedApp) -> None:
    template = dev_app.template("OrdersData")
    template.resource_count_is("AWS::S3::Bucket", 2)
    template.all_resources_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
        },
    )
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": {
                "Fn::Join": ["", ["orders-dev-data-lake-", {"Ref": "AWS::AccountId"}, "-", {"Ref": "AWS::Region"}]]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "LoggingConfiguration": {"DestinationBucketName": Match.any_value(), "LogFilePrefix": "data-lake/"},
        },
    )
    policies = template.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 2
    for policy in policies.values():
        assert any(
            statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        )
