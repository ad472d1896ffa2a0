"""The CloudFormation gaps: each test pair shows plain moto lacking it, then the compat module closing it.

When a "still lacks" test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest

from localcloud.compat import (
    _cfn,
    cfn_alarms,
    cfn_change_set_exports,
    cfn_global_table,
    cfn_inert,
    cfn_lambda_layers,
    cfn_policies,
    cfn_sns_subscription,
    installed,
    kms_cfn_tags,
)
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")

QUEUE = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "work"}}
TOPIC = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "events"}}


@pytest.mark.parametrize(
    "resource_type",
    [
        "AWS::DynamoDB::GlobalTable",
        "AWS::SNS::Subscription",
        "AWS::CloudWatch::Alarm",
        "AWS::CDK::Metadata",
        "AWS::EventSchemas::Registry",
        "AWS::EventSchemas::Schema",
        *cfn_policies.RESOURCE_TYPES,
    ],
)
def test_moto_still_skips(resource_type: str) -> None:
    assert not _cfn.moto_supports(resource_type), f"moto now creates {resource_type}: drop its compat module"


def test_moto_still_ignores_exports_of_change_set_stacks() -> None:
    deploy_template({"Queue": QUEUE}, {"Url": {"Value": {"Ref": "Queue"}, "Export": {"Name": "work-url"}}})
    assert boto3.client("cloudformation").list_exports()["Exports"] == []


def test_change_set_stacks_export_and_import() -> None:
    with installed(cfn_change_set_exports):
        deploy_template({"Queue": QUEUE}, {"Url": {"Value": {"Ref": "Queue"}, "Export": {"Name": "work-url"}}})
        consumer = deploy_template(
            {"Topic": TOPIC}, {"Imported": {"Value": {"Fn::ImportValue": "work-url"}}}, name="consumer"
        )
    outputs = boto3.client("cloudformation").describe_stacks(StackName=consumer)["Stacks"][0]["Outputs"]
    assert outputs[0]["OutputValue"].endswith("/work")
    assert [e["Name"] for e in boto3.client("cloudformation").list_exports()["Exports"]] == ["work-url"]


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


def test_subscription_with_a_body_filter_delivers_only_matching_messages() -> None:
    subscription = {
        "Type": "AWS::SNS::Subscription",
        "Properties": {
            "TopicArn": {"Ref": "Topic"},
            "Protocol": "sqs",
            "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
            "RawMessageDelivery": True,
            "FilterPolicyScope": "MessageBody",
            "FilterPolicy": {"tier": ["gold"]},
        },
    }
    with installed(cfn_sns_subscription):
        deploy_template({"Queue": QUEUE, "Topic": TOPIC, "Subscription": subscription})
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.list_topics()["Topics"][0]["TopicArn"]
    for tier in ("gold", "silver"):
        sns.publish(TopicArn=topic, Message=json.dumps({"tier": tier}))
    url = sqs.get_queue_url(QueueName="work")["QueueUrl"]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    assert bodies == [json.dumps({"tier": "gold"})]  # raw delivery, and silver filtered out


def test_queue_policy_is_applied_and_bucket_policy_recorded_not_attached() -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    resources = {
        "Queue": QUEUE,
        "QueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {"Queues": [{"Ref": "Queue"}], "PolicyDocument": document},
        },
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "lake"}},
        "BucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": document},
        },
    }
    with installed(cfn_policies):
        stack = deploy_template(resources)
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="work")["QueueUrl"]
    assert (
        json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
        == document
    )
    boto3.client("s3").put_object(Bucket="lake", Key="k", Body=b"still writable")  # moto ignores the condition
    assert physical_ids(stack)["BucketPolicy"]


def test_metric_math_alarm_is_created() -> None:
    alarm = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": "dlq-not-empty",
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "Metrics": [
                {
                    "Id": "m1",
                    "ReturnData": False,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/SQS",
                            "MetricName": "ApproximateNumberOfMessagesVisible",
                            "Dimensions": [{"Name": "QueueName", "Value": "work-dlq"}],
                        },
                        "Period": 60,
                        "Stat": "Maximum",
                    },
                },
                {"Id": "expr", "Expression": "m1", "ReturnData": True},
            ],
        },
    }
    with installed(cfn_alarms):
        deploy_template({"Alarm": alarm})
    alarms = boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms] == ["dlq-not-empty"]
    assert [m["Id"] for m in alarms[0]["Metrics"]] == ["m1", "expr"]


def test_metadata_and_schema_registry_are_recorded() -> None:
    resources = {
        "Metadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2"}},
        "Registry": {"Type": "AWS::EventSchemas::Registry", "Properties": {"RegistryName": "orders"}},
        "Schema": {
            "Type": "AWS::EventSchemas::Schema",
            "Properties": {
                "RegistryName": "orders",
                "SchemaName": "OrderCreated",
                "Type": "JSONSchemaDraft4",
                "Content": "{}",
            },
        },
    }
    with installed(cfn_inert):
        stack = deploy_template(resources)
    assert all(physical_ids(stack).values())
    assert physical_ids(stack)["Registry"].endswith(":registry/orders")


KEY = {
    "Type": "AWS::KMS::Key",
    "Properties": {
        "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
        "EnableKeyRotation": True,
        "Tags": [{"Key": "team", "Value": "orders"}],
    },
}


def test_moto_still_fails_on_key_tags() -> None:
    with pytest.raises(Exception, match="TagKey"):
        deploy_template({"Key": KEY})


def test_key_with_cloudformation_tags_is_created() -> None:
    with installed(kms_cfn_tags):
        stack = deploy_template({"Key": KEY})
    kms = boto3.client("kms")
    key_id = physical_ids(stack)["Key"]
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "team", "TagValue": "orders"}]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True


def _layer() -> dict[str, object]:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as files:
        files.writestr("python/shared.py", "VALUE = 1\n")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="assets-bucket")
    s3.put_object(Bucket="assets-bucket", Key="layer.zip", Body=archive.getvalue())
    return {
        "Type": "AWS::Lambda::LayerVersion",
        "Properties": {"Content": {"S3Bucket": "assets-bucket", "S3Key": "layer.zip"}, "Description": "shared"},
    }


def test_moto_still_has_no_physical_id_for_a_layer_version() -> None:
    stack = deploy_template({"Layer": _layer()})
    assert physical_ids(stack)["Layer"] == ""


def test_a_layer_version_ref_is_its_version_arn() -> None:
    with installed(cfn_lambda_layers, cfn_change_set_exports):
        stack = deploy_template({"Layer": _layer()}, {"Arn": {"Value": {"Ref": "Layer"}}})
        outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
        physical_id = physical_ids(stack)["Layer"]
    (layer,) = boto3.client("lambda").list_layers()["Layers"]
    assert physical_id == outputs[0]["OutputValue"] == layer["LatestMatchingVersion"]["LayerVersionArn"]


def _function_with_layer() -> dict[str, object]:
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
    }
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"},
            "Handler": "index.handler",
            "Runtime": "python3.14",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Layers": [{"Ref": "Layer"}],
        },
    }
    return {"Layer": _layer(), "Role": role, "Function": function}


def test_moto_still_creates_a_function_without_its_layers() -> None:
    stack = deploy_template(_function_with_layer())
    function = physical_ids(stack)["Function"]
    assert boto3.client("lambda").get_function_configuration(FunctionName=function).get("Layers", []) == []


def test_a_function_gets_the_layers_its_template_names() -> None:
    with installed(cfn_lambda_layers):
        stack = deploy_template(_function_with_layer())
        ids = physical_ids(stack)
        layers = boto3.client("lambda").get_function_configuration(FunctionName=ids["Function"])["Layers"]
    assert [layer["Arn"] for layer in layers] == [ids["Layer"]]
