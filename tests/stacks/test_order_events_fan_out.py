"""The order-events topic of the app: its filters exactly as rendered, its keys and policies,
and the routing table evaluated against the synthesized filter policies."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cdk_app import SynthesizedApp
from tests.routing import order_event_routes, subscription_filters

ROUTES = order_event_routes()


def resources(app: SynthesizedApp, resource_type: str) -> dict[str, dict[str, Any]]:
    return app.resources("OrdersProcessing", resource_type)


def test_filter_policies_exactly_as_rendered(dev_app: SynthesizedApp) -> None:
    filters = subscription_filters(dev_app.templates["OrdersProcessing"])
    assert set(filters) == {"payment-processing", "notification-service", "analytics-ingestion"}
    assert filters["payment-processing"].policy == {
        "event_type": ["order.created", "order.cancelled"],
        "amount": [{"numeric": [">=", 0]}],
    }
    assert filters["notification-service"].policy == {
        "event_type": [{"prefix": "order."}],
        "internal": [{"exists": False}],
    }
    assert filters["analytics-ingestion"].policy is None
    # Attribute scope is SNS's default; CDK leaves FilterPolicyScope out for it.
    assert {f.scope for f in filters.values()} == {None}


def test_subscriptions_have_delivery_dlqs_and_the_chosen_delivery_format(dev_app: SynthesizedApp) -> None:
    queues = resources(dev_app, "AWS::SQS::Queue")
    by_queue = {}
    for subscription in resources(dev_app, "AWS::SNS::Subscription").values():
        props = subscription["Properties"]
        name = queues[props["Endpoint"]["Fn::GetAtt"][0]]["Properties"]["QueueName"]
        dlq = queues[props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]]["Properties"]
        by_queue[name] = (props["RawMessageDelivery"], dlq["QueueName"], "KmsMasterKeyId" in dlq)
    assert by_queue == {
        "payment-processing": (True, "payment-processing-delivery-dlq", True),
        "notification-service": (True, "notification-service-delivery-dlq", True),
        "analytics-ingestion": (False, "analytics-ingestion-delivery-dlq", True),
    }


def test_the_topic_is_encrypted_with_a_rotating_key_and_refuses_publishing_without_tls(
    dev_app: SynthesizedApp,
) -> None:
    ((topic_id, topic),) = resources(dev_app, "AWS::SNS::Topic").items()
    assert topic["Properties"]["TopicName"] == "order-events"
    keys = resources(dev_app, "AWS::KMS::Key")
    topic_key = keys[topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]]
    assert topic_key["Properties"]["EnableKeyRotation"] is True
    (policy,) = resources(dev_app, "AWS::SNS::TopicPolicy").values()
    tls, _producers_only = policy["Properties"]["PolicyDocument"]["Statement"]  # the latter: test_resource_policies
    assert tls == {
        "Action": "sns:Publish",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": "*",
        "Resource": {"Ref": topic_id},
        "Sid": "AllowPublishThroughSSLOnly",
    }


def test_the_queue_key_lets_sns_use_it_for_this_topic_only(dev_app: SynthesizedApp) -> None:
    (topic_id,) = resources(dev_app, "AWS::SNS::Topic")
    keys = [
        k for k in resources(dev_app, "AWS::KMS::Key").values() if "subscriber queues" in k["Properties"]["Description"]
    ]
    (queue_key,) = keys
    assert queue_key["Properties"]["EnableKeyRotation"] is True
    sns_statements = [
        s
        for s in queue_key["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"] == {"Service": "sns.amazonaws.com"}
    ]
    assert sns_statements
    for statement in sns_statements:
        assert set(statement["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
        assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": topic_id}}}


def test_only_order_processor_may_publish_and_with_exact_actions(dev_app: SynthesizedApp) -> None:
    (topic_id,) = resources(dev_app, "AWS::SNS::Topic")
    publishers = []
    for logical_id, policy in resources(dev_app, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if any(action.startswith("sns:") for action in actions):
                assert actions == ["sns:Publish"]
                assert statement["Resource"] == {"Ref": topic_id}
                publishers.append(logical_id)
    assert len(publishers) == 1 and publishers[0].startswith("OrderProcessorServiceRole")


def test_subscriber_queues_are_encrypted_with_the_queue_key_and_have_dlqs(dev_app: SynthesizedApp) -> None:
    queues = {q["Properties"]["QueueName"]: q["Properties"] for q in resources(dev_app, "AWS::SQS::Queue").values()}
    for name in ROUTES["subscribers"]:
        assert "KmsMasterKeyId" in queues[name], name
        assert queues[f"{name}-dlq"]["KmsMasterKeyId"] == queues[name]["KmsMasterKeyId"]
        assert queues[name]["RedrivePolicy"]["maxReceiveCount"] == dev_app.orders.stage.max_receive_count[name]


def test_the_routing_table_is_big_enough() -> None:
    assert len(ROUTES["events"]) >= 20


@pytest.mark.parametrize("route", ROUTES["events"], ids=[route["name"] for route in ROUTES["events"]])
def test_routing_table(dev_app: SynthesizedApp, route: dict[str, Any]) -> None:
    filters = subscription_filters(dev_app.templates["OrdersProcessing"])
    delivered = sorted(
        name for name, policy in filters.items() if policy.matches(route["message_attributes"], route["body"])
    )
    assert delivered == route["expected"], route["note"]


def test_sns_may_send_to_subscriber_queues_and_delivery_dlqs_for_this_topic_only(dev_app: SynthesizedApp) -> None:
    (topic_id,) = resources(dev_app, "AWS::SNS::Topic")
    queues = resources(dev_app, "AWS::SQS::Queue")
    allowed = set()
    for policy in resources(dev_app, "AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement.get("Principal") == {"Service": "sns.amazonaws.com"}:
                assert statement["Action"] == "sqs:SendMessage"
                assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": topic_id}}}
                allowed.update(queues[q["Ref"]]["Properties"]["QueueName"] for q in policy["Properties"]["Queues"])
    assert allowed == {f"{name}{suffix}" for name in ROUTES["subscribers"] for suffix in ("", "-delivery-dlq")}
