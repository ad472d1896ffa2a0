"""Resource policies: ``AWS::SQS::QueuePolicy``, ``AWS::SNS::TopicPolicy``, ``AWS::S3::BucketPolicy`` and
``AWS::Events::EventBusPolicy`` are skipped by moto's stack engine.

Queue, topic and bus policies are applied through moto's backends, so a deployed resource carries
the policy the template declares (``get-queue-attributes`` shows it); moto does not evaluate them.
A bucket policy is recorded but not attached: moto does evaluate bucket policies, ignoring their
conditions, so the usual "deny unless TLS" statement would deny every request to the bucket.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any

from localcloud.compat._cfn import CompatResource, register
from localcloud.settings import LocalCloudSettings

GAP = "moto's CloudFormation skips AWS::SQS::QueuePolicy, SNS::TopicPolicy, S3::BucketPolicy, Events::EventBusPolicy"
RESOURCE_TYPES = (
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::S3::BucketPolicy",
    "AWS::Events::EventBusPolicy",
)


def _document(properties: dict[str, Any], key: str = "PolicyDocument") -> str:
    return json.dumps(properties[key])


class QueuePolicy(CompatResource):
    cloudformation_type_name = "AWS::SQS::QueuePolicy"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        from moto.sqs.models import sqs_backends

        backend = sqs_backends[account_id][region_name]
        for queue_url in properties["Queues"]:
            backend.set_queue_attributes(queue_url.rstrip("/").rsplit("/", 1)[-1], {"Policy": _document(properties)})
        return cls(name)


class TopicPolicy(CompatResource):
    cloudformation_type_name = "AWS::SNS::TopicPolicy"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        from moto.sns.models import sns_backends

        for topic_arn in properties["Topics"]:
            sns_backends[account_id][region_name].set_topic_attribute(topic_arn, "Policy", _document(properties))
        return cls(name)


class BucketPolicy(CompatResource):
    cloudformation_type_name = "AWS::S3::BucketPolicy"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        # Recorded, not attached: see the module docstring.
        return cls(name, {"PolicyDocument": _document(properties), "Bucket": properties["Bucket"]})


class EventBusPolicy(CompatResource):
    cloudformation_type_name = "AWS::Events::EventBusPolicy"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        from moto.events.models import events_backends

        statement = {**properties["Statement"], "Sid": properties["StatementId"]}
        events_backends[account_id][region_name].put_permission(
            event_bus_name=properties.get("EventBusName", "default"),
            action="",
            principal="",
            statement_id="",
            condition={},
            policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
        )
        return cls(properties["StatementId"])


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    register(stack, QueuePolicy, TopicPolicy, BucketPolicy, EventBusPolicy)
