"""FanOutTopic: the topic, its keys, subscriber queues and delivery DLQs, and the props it refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from event_constructs import FanOutTopic, InvalidPropsError, Subscriber
from tests.routing import subscription_filters

ORDER_EVENT_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "order-event.schema.json").read_text()
)
FRAUD_REVIEW = Subscriber(
    "fraud-review",
    body_filter={"customer_tier": ["enterprise"], "amount": [{"numeric": [">", 10000]}]},
    event_schema=ORDER_EVENT_SCHEMA,
    raw_message_delivery=True,
)


def fan_out(*subscribers: Subscriber, **props: Any) -> tuple[cdk.Stack, FanOutTopic]:
    stack = cdk.Stack(cdk.App(), "Test")
    return stack, FanOutTopic(stack, "Events", topic_name="events", subscribers=list(subscribers), **props)


@pytest.fixture(scope="module")
def body_scope() -> tuple[dict[str, Any], FanOutTopic]:
    stack, topic = fan_out(FRAUD_REVIEW, Subscriber("audit"))
    publisher = iam.Role(stack, "Publisher", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    topic.grant_publish(publisher)
    return Template.from_stack(stack).to_json(), topic


def test_a_body_filter_renders_with_message_body_scope(body_scope: tuple[dict[str, Any], FanOutTopic]) -> None:
    template, _ = body_scope
    filters = subscription_filters(template)
    assert filters["fraud-review"].scope == "MessageBody"
    assert filters["fraud-review"].policy == {"customer_tier": ["enterprise"], "amount": [{"numeric": [">", 10000]}]}
    assert filters["audit"].policy is None


@pytest.mark.parametrize(
    ("body", "delivered"),
    [
        ({"customer_tier": "enterprise", "amount": 25000.5}, True),
        ({"customer_tier": "enterprise", "amount": 10000}, False),
        ({"customer_tier": "premium", "amount": 25000}, False),
        ({"customer_tier": "enterprise", "amount": "25000"}, False),
        ({"customer_tier": "enterprise"}, False),
    ],
)
def test_the_body_filter_matches_on_the_body_not_the_attributes(
    body_scope: tuple[dict[str, Any], FanOutTopic], body: dict[str, Any], delivered: bool
) -> None:
    template, _ = body_scope
    attributes = {"customer_tier": {"DataType": "String", "StringValue": "enterprise"}}
    assert subscription_filters(template)["fraud-review"].matches(attributes, body) is delivered


def test_every_subscriber_gets_a_queue_a_dlq_and_a_delivery_dlq(body_scope: tuple[dict[str, Any], FanOutTopic]) -> None:
    template, topic = body_scope
    names = sorted(
        q["Properties"]["QueueName"] for q in Template.from_json(template).find_resources("AWS::SQS::Queue").values()
    )
    assert names == sorted(
        f"{name}{suffix}" for name in ("audit", "fraud-review") for suffix in ("", "-dlq", "-delivery-dlq")
    )
    assert set(topic.delivery_dead_letter_queues) == set(topic.queues) == {"audit", "fraud-review"}


def test_grant_publish_is_exact(body_scope: tuple[dict[str, Any], FanOutTopic]) -> None:
    template, _ = body_scope
    (policy,) = Template.from_json(template).find_resources("AWS::IAM::Policy").values()
    actions = sorted(
        a
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    )
    assert actions == ["kms:Decrypt", "kms:GenerateDataKey", "sns:Publish"]


REFUSED: list[tuple[list[Subscriber], str]] = [
    ([], "subscribers is empty"),
    ([Subscriber("a"), Subscriber("a")], "repeated: a"),
    (
        [Subscriber("a", attribute_filter={"x": ["1"]}, body_filter={"x": ["1"]})],
        "filters on message attributes and on the body",
    ),
    (
        [Subscriber("a", attribute_filter={"event_type": []})],
        "subscriber 'a': SNS would refuse the attributes filter policy: $.event_type: FilterPolicy: Empty arrays",
    ),
    ([Subscriber("a", attribute_filter={"amount": [{"numeric": [">=", 10, "<", 1]}]})], "Bottom must be less than top"),
    (
        [Subscriber("a", body_filter={"total": [{"numeric": [">", 1]}]}, event_schema=ORDER_EVENT_SCHEMA)],
        "body filter key 'total' is not in the event schema",
    ),
]


@pytest.mark.parametrize(("subscribers", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_refused_props(subscribers: list[Subscriber], message: str) -> None:
    with pytest.raises(InvalidPropsError) as raised:
        fan_out(*subscribers)
    assert message in str(raised.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidPropsError) as raised:
        fan_out(
            Subscriber("a", attribute_filter={"x": []}),
            Subscriber("b", attribute_filter={"y": [{"exists": "maybe"}], "z": [{"numeric": ["<", 1, ">", 2]}]}),
        )
    assert len(raised.value.problems) == 3
