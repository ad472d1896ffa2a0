"""localcloud.compat.cfn_sns_subscription: AWS::SNS::Subscription is created, filter policy and raw delivery included.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import json

import boto3
import pytest

from localcloud.compat import (
    _cfn,
    cfn_sns_subscription,
    installed,
)
from tests.localcloud.conftest import deploy_template

pytestmark = pytest.mark.usefixtures("aws")


@pytest.mark.parametrize("resource_type", ["AWS::SNS::Subscription"])
def test_moto_still_skips(resource_type: str) -> None:
    assert not _cfn.moto_supports(resource_type), f"moto now creates {resource_type}: drop cfn_sns_subscription"


QUEUE = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "work"}}


TOPIC = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "events"}}


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
