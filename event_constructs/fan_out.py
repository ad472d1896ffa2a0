"""An SNS topic and its subscriber queues: filtered fan-out, encrypted, with DLQs everywhere.

Example (one subscriber filters on message attributes, one on the message body):
    >>> import aws_cdk as cdk
    >>> from event_constructs import FanOutTopic, Subscriber
    >>> stack = cdk.Stack(cdk.App(), "Example")
    >>> fan_out = FanOutTopic(stack, "OrderEvents", topic_name="order-events", subscribers=[
    ...     Subscriber("payments", attribute_filter={"event_type": ["order.created"]}),
    ...     Subscriber("fraud-review", raw_message_delivery=True,
    ...                body_filter={"customer_tier": ["enterprise"], "amount": [{"numeric": [">", 10000]}]},
    ...                event_schema={"properties": {"customer_tier": {}, "amount": {}}}),
    ... ])
    >>> sorted(fan_out.queues)
    ['fraud-review', 'payments']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from event_constructs._validation import PropsProblems
from event_constructs.defaults import EVERY_CONSTRUCT, FAN_OUT, QUEUE
from event_constructs.event_queue import EventQueue
from event_constructs.filters import attribute_filters, body_filters, filter_policy_problems
from event_constructs.keys import rotating_key
from event_constructs.writers import WritersOnly, restrict

DELIVERY_DLQ_SUFFIX = "-delivery-dlq"


@dataclass(frozen=True)
class Subscriber:
    """One service that reacts to the topic's events through its own queue.

    Filter either on message attributes (``attribute_filter``) or on the message body
    (``body_filter``), never both; with neither, the subscriber gets every event. Policies
    are plain dicts in SNS's filter policy syntax. Give ``event_schema`` (a JSON Schema of the
    message body) and a body filter on a key the schema lacks fails at synth.

    Attributes:
        name: the subscriber's queue's name (its DLQ is ``<name>-dlq``, its subscription's delivery DLQ
            ``<name>-delivery-dlq``).
        attribute_filter: an SNS filter policy on the message attributes. Default: none: every event.
        body_filter: an SNS filter policy on the message body. Default: none: every event.
        raw_message_delivery: deliver the message as published, without SNS's JSON envelope. Default: False.
        event_schema: a JSON Schema of the message body, to check ``body_filter``'s keys against.
            Default: none.
        visibility_timeout: the queue's visibility timeout (at least 6 x its consumer's timeout).
            Default: 30 seconds.
        max_receive_count: receives before SQS moves a message to the queue's DLQ. Default: 5.
    """

    name: str
    attribute_filter: Mapping[str, Any] | None = None
    body_filter: Mapping[str, Any] | None = None
    raw_message_delivery: bool = FAN_OUT.raw_message_delivery
    event_schema: Mapping[str, Any] | None = None
    visibility_timeout: Duration | None = None
    max_receive_count: int = QUEUE.max_receive_count


class FanOutTopic(Construct):
    """A topic whose subscribers each get an :class:`EventQueue` (with its DLQ) and a delivery DLQ.

    Pass ``topic`` (and its ``topic_key``, if it has one) to fan out an existing topic instead
    of creating one.

    - The topic is encrypted with a customer-managed KMS key (rotation on) and refuses
      publishing without TLS. Publishing is granted explicitly with :meth:`grant_publish`.
    - The subscriber queues share a second customer-managed key whose policy lets SNS use it
      only for this topic (``aws:SourceArn``), so SNS can deliver to the encrypted queues.
    - Each subscription has a delivery DLQ (its RedrivePolicy) for messages SNS cannot deliver.

    Args:
        topic_name: the new topic's name. Default: none: give ``topic`` instead.
        subscribers: one :class:`Subscriber` per queue to fan out to.
        topic: an existing topic to fan out instead of making one. Default: none: a new topic.
        topic_key: the existing topic's KMS key, if it has one, so that publishers are granted its use
            (a new topic gets a key of its own). Default: none.
        retention_period: how long each subscriber queue keeps a message. Default: 4 days.
        dead_letter_retention_period: how long each subscriber queue's DLQ, and each subscription's
            delivery DLQ, keeps a message. Default: 14 days.
        removal_policy: what happens to the keys and queues when they leave the stack.
            Default: RemovalPolicy.DESTROY.

    Attributes:
        topic, topic_key, queue_key: the topic and the two keys.
        queues: subscriber name -> :class:`EventQueue`.
        subscriptions: subscriber name -> ``sns.Subscription``.
        delivery_dead_letter_queues: subscriber name -> the subscription's DLQ.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic_name: str | None = None,
        subscribers: Sequence[Subscriber],
        topic: sns.ITopic | None = None,
        topic_key: kms.IKey | None = None,
        retention_period: Duration | None = None,
        dead_letter_retention_period: Duration | None = None,
        removal_policy: RemovalPolicy = EVERY_CONSTRUCT.removal_policy,
    ) -> None:
        super().__init__(scope, construct_id)
        self._check(topic_name, topic, subscribers)
        self._topic_label = topic_name or "its existing topic"
        self.topic_key: kms.IKey | None = topic_key
        if topic is not None:
            self.topic: sns.ITopic = topic
        else:
            self.topic_key = rotating_key(
                self, "TopicKey", description=f"Encrypts SNS topic {topic_name} at rest", removal_policy=removal_policy
            )
            self.topic = sns.Topic(
                self,
                "Topic",
                topic_name=topic_name,
                master_key=self.topic_key,
                enforce_ssl=True,
            )
        self.queue_key = rotating_key(
            self,
            "QueueKey",
            description=f"Encrypts the subscriber queues of SNS topic {topic_name or self.topic.topic_name}",
            removal_policy=removal_policy,
        )
        self.queues: dict[str, EventQueue] = {}
        self._publishers: list[iam.IGrantable] = []
        self._writers_only: WritersOnly | None = None
        self.subscriptions: dict[str, sns.Subscription] = {}
        self.delivery_dead_letter_queues: dict[str, sqs.Queue] = {}
        for subscriber in subscribers:
            self._subscribe(subscriber, retention_period, dead_letter_retention_period, removal_policy)

    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` publish to the topic (and use the topic key to do so), with exact actions.

        After :meth:`accept_writes_only_from`, it is also one of the topic's publishers.
        """
        self._publishers.append(grantee)
        if self._writers_only is not None:
            self._writers_only.allow_grantee(grantee)
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=["sns:Publish"], resource_arns=[self.topic.topic_arn]
        )
        if self.topic_key is not None:
            self.topic_key.grant(grantee, "kms:GenerateDataKey", "kms:Decrypt")
        return grant

    def accept_writes_only_from(self, *principal_arns: str) -> WritersOnly:
        """Deny publishing to all but the topic's publishers, and sending to its queues to all but SNS for this topic.

        The publishers are the grantees of :meth:`grant_publish` (before and after this call); each subscriber
        queue accepts SNS's deliveries from this topic only (``aws:SourceArn``). ``principal_arns`` (operators
        who redrive a DLQ or republish by hand) may write to both. See :mod:`event_constructs.writers`.
        """
        if not isinstance(self.topic, sns.Topic):
            raise ValueError("an existing topic's policy is its owner's; restrict it there")
        self._writers_only = restrict(
            self._writers_only,
            self.topic,
            self.topic.add_to_resource_policy,
            ["sns:Publish"],
            [self.topic.topic_arn],
            grantees=self._publishers,
            principal_arns=principal_arns,
        )
        for queue in self.queues.values():
            queue.accept_writes_only_from(*principal_arns, sources=[self.topic.topic_arn])
        return self._writers_only

    def _subscribe(
        self,
        subscriber: Subscriber,
        retention_period: Duration | None,
        dead_letter_retention_period: Duration | None,
        removal_policy: RemovalPolicy,
    ) -> None:
        node_id = "".join(part.capitalize() for part in subscriber.name.replace("_", "-").split("-"))
        queue = EventQueue(
            self,
            node_id,
            queue_name=subscriber.name,
            visibility_timeout=subscriber.visibility_timeout,
            max_receive_count=subscriber.max_receive_count,
            encryption_key=self.queue_key,
            retention_period=retention_period,
            dead_letter_retention_period=dead_letter_retention_period,
            removal_policy=removal_policy,
        )
        delivery_dlq = sqs.Queue(
            self,
            f"{node_id}DeliveryDeadLetterQueue",
            queue_name=f"{subscriber.name}{DELIVERY_DLQ_SUFFIX}",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.queue_key,
            enforce_ssl=True,
            retention_period=dead_letter_retention_period or QUEUE.dead_letter_retention_period,
            removal_policy=removal_policy,
        )
        Validations.of(delivery_dlq).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason=f"{subscriber.name}{DELIVERY_DLQ_SUFFIX} is the delivery DLQ of the {subscriber.name} "
                f"subscription to {self._topic_label}: SNS puts undeliverable messages here, so it is a DLQ",
            ),
            Acknowledgment(
                id="Serverless-SQSRedrivePolicy",
                reason=f"{subscriber.name}{DELIVERY_DLQ_SUFFIX} is where SNS leaves messages it could not deliver "
                f"to {subscriber.name}; a DLQ of its own would only move them further from an operator",
            ),
        )
        subscription = subscriptions.SqsSubscription(
            queue.queue,
            raw_message_delivery=subscriber.raw_message_delivery,
            dead_letter_queue=delivery_dlq,
            filter_policy=(
                attribute_filters(subscriber.attribute_filter) if subscriber.attribute_filter is not None else None
            ),
            filter_policy_with_message_body=(
                body_filters(subscriber.body_filter) if subscriber.body_filter is not None else None
            ),
        )
        self.queues[subscriber.name] = queue
        self.delivery_dead_letter_queues[subscriber.name] = delivery_dlq
        self.subscriptions[subscriber.name] = self.topic.add_subscription(subscription)

    def _check(self, topic_name: str | None, topic: sns.ITopic | None, subscribers: Sequence[Subscriber]) -> None:
        problems = PropsProblems("FanOutTopic", self.node.path)
        problems.check(bool(subscribers), "subscribers is empty; a fan-out topic needs at least one subscriber")
        problems.check(
            (topic_name is None) != (topic is None),
            "give topic_name for a new topic, or topic for an existing one (exactly one of them)",
        )
        if topic_name is not None:
            problems.check(
                topic_name.replace("-", "").replace("_", "").isalnum() and len(topic_name) <= 256,
                f"topic_name '{topic_name}' may use only letters, digits, '-' and '_' (at most 256)",
            )
        names = [subscriber.name for subscriber in subscribers]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        problems.check(not duplicates, f"subscriber names must be unique; repeated: {', '.join(duplicates)}")
        for subscriber in subscribers:
            label = f"subscriber '{subscriber.name}'"
            if subscriber.attribute_filter is not None and subscriber.body_filter is not None:
                problems.check(
                    False,
                    f"{label} filters on message attributes and on the body; SNS applies one scope per "
                    "subscription: keep attribute_filter or body_filter",
                )
                continue
            if subscriber.attribute_filter is not None:
                for problem in filter_policy_problems(subscriber.attribute_filter, scope="attributes"):
                    problems.check(False, f"{label}: {problem}")
            if subscriber.body_filter is not None:
                for problem in filter_policy_problems(
                    subscriber.body_filter, scope="body", schema=subscriber.event_schema
                ):
                    problems.check(False, f"{label}: {problem}")
        problems.raise_if_any()
