"""localcloud.compat.cfn_policies: queue, topic, bucket and event bus policies are applied (or recorded).

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import json

import boto3
import pytest

from localcloud.compat import (
    _cfn,
    cfn_policies,
    installed,
)
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")


@pytest.mark.parametrize("resource_type", list(cfn_policies.RESOURCE_TYPES))
def test_moto_still_skips(resource_type: str) -> None:
    assert not _cfn.moto_supports(resource_type), f"moto now creates {resource_type}: drop cfn_policies"


QUEUE = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "work"}}


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
