"""The five SQS consumers against moto, as the fault matrix and the soak drive them.

Each consumer is set up the way its fixture in ``tests/orders_functions/conftest.py`` sets it up (same
helpers, same queues, tables and environment), but as a context manager, so that the matrix can
also run outside pytest (``python -m tests.faults.matrix``). A :class:`Consumer` knows how to send
a good, a poison and a resent message for a business key, which downstream calls a fault hits, and
how to count the effects of each key in DynamoDB, SNS, EventBridge, SQS or S3.

Business keys look like ``k0042x``: no key is a substring of another, so a key is found in any
request or body with :data:`KEY_PATTERN`.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.orders_functions.conftest import (
    received,
    setup_analytics_env,
    setup_balance_env,
    setup_notification_env,
    setup_order_env,
    setup_payment_env,
)
from tests.orders_functions.events import order_event, send_raw
from tests.orders_functions.faults import count_successes
from tests.orders_functions.sqs_harness import QueueHarness

KEY_PATTERN = re.compile(r"k[0-9]{4}x")
CONSUMERS = ["order_processor", "balance_updater", "payment", "notification", "analytics"]


def key(index: int) -> str:
    return f"k{index:04d}x"


def keys_in(value: Any) -> list[str]:
    return KEY_PATTERN.findall(value if isinstance(value, str) else str(value))


@dataclass
class Downstream:
    """A downstream call of a handler: where a fault is injected, or where Lambda is killed."""

    client: Any
    operation: str
    when: Callable[[dict[str, Any]], bool] = lambda params: True


@dataclass
class Consumer:
    name: str
    env: QueueHarness
    module: ModuleType
    #: The write that makes the effect: throttled, permanently failed, and the kill point.
    write: Downstream
    #: The call a transient failure hits (for some consumers a later step than ``write``).
    transient: Downstream
    throttle_code: str
    transient_code: str
    #: Text the DLQ reason of this consumer's poison message contains.
    poison_reason: str
    send_good: Callable[[str], None]
    send_poison: Callable[[str], None]
    #: A producer (or SNS) resend of the same message, or None where a resend is not a duplicate.
    send_again: Callable[[str], None] | None
    #: Effect name -> count, per business key, as the downstream sees it (called once, at the end).
    measure: Callable[[], dict[str, Counter[str]]]
    #: Successful ``write`` calls per key so far (not destructive: read it at any time).
    writes: Counter[str] = field(default_factory=Counter)
    #: Effect names every processed key must show exactly once.
    effect_names: tuple[str, ...] = ()
    #: Further consistency problems found by measure() (empty when all is well).
    problems: list[str] = field(default_factory=list)
    #: Lines repeated identically in the data lake (analytics only; allowed, readers deduplicate).
    raw_repeats: int = 0

    @property
    def handler(self) -> Callable[[dict[str, Any], Any], Any]:
        return self.module.lambda_handler  # type: ignore[no-any-return]


def _count_writes(consumer: Consumer) -> None:
    def counter(params: dict[str, Any]) -> None:
        if consumer.write.when(params):
            for found in set(keys_in(params)):
                consumer.writes[found] += 1

    count_successes(consumer.write.client, consumer.write.operation, counter)


def _by_key(names: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for name in names:
        for found in set(keys_in(name)):
            counts[found] += 1
    return counts


# --- order_processor ------------------------------------------------------------------------------


def _order(order_key: str, **overrides: Any) -> dict[str, Any]:
    return {
        "event_type": "order.created",
        "order_id": order_key,
        "customer_id": "c-1",
        "customer_tier": "premium",
        "total": "120.50",
        "currency": "EUR",
        "items": [{"sku": "sku-1", "quantity": 2, "unit_price": "60.25"}],
        **overrides,
    }


def _order_processor(monkeypatch: pytest.MonkeyPatch) -> Consumer:
    from orders_functions.order_processor import handler

    env = setup_order_env(monkeypatch)
    sqs, queue_url = env.sqs, env.queue_url
    listener_url, bus_listener_url = env.listener_url, env.bus_listener_url
    assert listener_url is not None and bus_listener_url is not None
    runtime = handler.runtime()

    def send(body: dict[str, Any]) -> None:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))

    def measure() -> dict[str, Counter[str]]:
        published = _by_key([m["body"]["event_id"] for m in received(sqs, listener_url)])
        on_bus = _by_key([m["body"]["detail"]["order_id"] for m in received(sqs, bus_listener_url)])
        stored = _by_key([item["order_id"] for item in boto3.resource("dynamodb").Table("orders").scan()["Items"]])
        effects: dict[str, Counter[str]] = defaultdict(Counter)
        for name, counts in (("stored", consumer.writes), ("published", published), ("on bus", on_bus)):
            for found, count in counts.items():
                effects[found][name] = count
        for found in set(consumer.writes) - set(stored):
            consumer.problems.append(f"{found} was written but is not in the orders table")
        return effects

    consumer = Consumer(
        name="order_processor",
        env=env,
        module=handler,
        # The write of the order's fact (the announcement marks are UpdateItems too, with ADD).
        write=Downstream(
            runtime.service.store._table.meta.client,
            "UpdateItem",
            lambda p: p.get("TableName") == "orders" and str(p.get("UpdateExpression", "")).startswith("SET"),
        ),
        transient=Downstream(runtime.service.publisher._sns, "Publish"),
        throttle_code="ProvisionedThroughputExceededException",
        transient_code="InternalError",
        poison_reason="greater than or equal to 0",
        send_good=lambda k: send(_order(k)),
        send_poison=lambda k: send(_order(k, total="-5")),
        send_again=lambda k: send(_order(k)),
        measure=measure,
        effect_names=("stored", "published", "on bus"),
    )
    return consumer


# --- balance_updater ------------------------------------------------------------------------------


def account_of(txn_key: str) -> str:
    """Five transactions per account (k0000x..k0004x on acct-0000), so order per account is exercised."""
    return f"acct-{int(txn_key[1:5]) // 5:04d}"


def _balance_updater(monkeypatch: pytest.MonkeyPatch) -> Consumer:
    from orders_functions.balance_updater import handler

    env = setup_balance_env(monkeypatch)
    sqs, queue_url = env.sqs, env.queue_url
    runtime = handler.runtime()
    sent_amounts: dict[str, int] = {}

    def send(txn: str, amount: str, dedup: str | None = None) -> None:
        account = account_of(txn)
        sent_amounts.setdefault(txn, int(txn[1:5]) + 1)
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps({"account_id": account, "transaction_id": txn, "amount": amount}),
            MessageGroupId=account,
            MessageDeduplicationId=dedup or txn,
        )

    def measure() -> dict[str, Counter[str]]:
        table = boto3.resource("dynamodb").Table("balances")
        items = table.scan()["Items"]
        ledger = [item for item in items if item["entry"].startswith("TXN#")]
        effects: dict[str, Counter[str]] = defaultdict(Counter)
        for found, count in consumer.writes.items():
            effects[found]["applied"] = count
        # The balance of each account is the sum of its ledger, each transaction counted once.
        for item in items:
            if item["entry"] != "BALANCE":
                continue
            account = item["account_id"]
            entries = [e for e in ledger if e["account_id"] == account]
            expected = sum(sent_amounts[e["entry"].removeprefix("TXN#")] for e in entries)
            if item["balance"] != expected or item["applied_count"] != len(entries):
                consumer.problems.append(
                    f"{account}: balance {item['balance']} (applied_count {item['applied_count']}) "
                    f"but its ledger sums to {expected} over {len(entries)} transactions"
                )
            # FIFO: transactions of an account are applied in the order they were sent.
            applied = [e["entry"].removeprefix("TXN#") for e in sorted(entries, key=lambda e: e["applied_at"])]
            if applied != sorted(applied):
                consumer.problems.append(f"{account}: applied out of order: {applied}")
        return effects

    consumer = Consumer(
        name="balance_updater",
        env=env,
        module=handler,
        write=Downstream(runtime.service.ledger._client, "TransactWriteItems"),
        transient=Downstream(runtime.service.ledger._client, "TransactWriteItems"),
        throttle_code="ProvisionedThroughputExceededException",
        transient_code="InternalServerError",
        poison_reason="amount",
        send_good=lambda k: send(k, str(sent_amounts.setdefault(k, int(k[1:5]) + 1))),
        send_poison=lambda k: send(k, "lots"),
        # A resend after SQS's 5-minute deduplication window: a new deduplication id, the same transaction.
        send_again=lambda k: send(k, str(sent_amounts[k]), dedup=f"{k}-resent"),
        measure=measure,
        effect_names=("applied",),
    )
    return consumer


# --- payment --------------------------------------------------------------------------------------


def _payment(monkeypatch: pytest.MonkeyPatch) -> Consumer:
    from orders_functions.payment import handler

    env = setup_payment_env(monkeypatch)
    sqs, queue_url, balance_url = env.sqs, env.queue_url, env.listener_url
    assert balance_url is not None
    runtime = handler.runtime()
    service = runtime.service

    def event_for(order_key: str, **fields: Any) -> Any:
        return order_event(order_id=order_key, customer_id=f"c-{int(order_key[1:5]) % 7}", **fields)

    def send_event(event: Any) -> None:
        send_raw(sqs, queue_url, event)

    def measure() -> dict[str, Counter[str]]:
        updates = _by_key([m["body"]["transaction_id"] for m in received(sqs, balance_url)])
        effects: dict[str, Counter[str]] = defaultdict(Counter)
        for name, counts in (("authorised", consumer.writes), ("balance update", updates)):
            for found, count in counts.items():
                effects[found][name] = count
        return effects

    consumer = Consumer(
        name="payment",
        env=env,
        module=handler,
        write=Downstream(service._table.meta.client, "PutItem"),
        transient=Downstream(runtime.failures.sqs_client, "SendMessage", lambda p: p.get("QueueUrl") == balance_url),
        throttle_code="ProvisionedThroughputExceededException",
        transient_code="ServiceUnavailable",
        poison_reason="has no amount",
        send_good=lambda k: send_event(event_for(k)),
        send_poison=lambda k: send_event(event_for(k, amount=None).model_dump_json(exclude_none=True)),
        send_again=lambda k: send_event(event_for(k)),
        measure=measure,
        effect_names=("authorised", "balance update"),
    )
    return consumer


# --- notification ---------------------------------------------------------------------------------


def _notification(monkeypatch: pytest.MonkeyPatch) -> Consumer:
    from orders_functions.notification import handler

    env = setup_notification_env(monkeypatch)
    sqs, queue_url = env.sqs, env.queue_url
    runtime = handler.runtime()
    recorder = runtime.service
    poison = '{"event_type": "order.created", "order_id": 7, "note": "%s"}'

    def send_event(event: Any) -> None:
        send_raw(sqs, queue_url, event)

    def measure() -> dict[str, Counter[str]]:
        recorded = boto3.resource("dynamodb").Table("notifications").scan()["Items"]
        for found in set(consumer.writes) - set(_by_key([item["notification_id"] for item in recorded])):
            consumer.problems.append(f"{found} was written but is not in the notifications table")
        return {found: Counter({"recorded": count}) for found, count in consumer.writes.items()}

    consumer = Consumer(
        name="notification",
        env=env,
        module=handler,
        write=Downstream(recorder._table.meta.client, "PutItem"),
        transient=Downstream(recorder._table.meta.client, "PutItem"),
        throttle_code="ProvisionedThroughputExceededException",
        transient_code="InternalServerError",
        poison_reason="invalid order event",
        send_good=lambda k: send_event(order_event(order_id=k)),
        send_poison=lambda k: send_event(poison % k),
        send_again=lambda k: send_event(order_event(order_id=k)),
        measure=measure,
        effect_names=("recorded",),
    )
    return consumer


# --- analytics ------------------------------------------------------------------------------------


def _analytics(monkeypatch: pytest.MonkeyPatch) -> Consumer:
    from orders_functions.analytics import handler
    from orders_functions.common.events import OrderEventPublisher

    env = setup_analytics_env(monkeypatch)
    sqs, queue_url = env.sqs, env.queue_url
    sns, s3 = boto3.client("sns"), boto3.client("s3")
    topic_arn = env.topic_arn
    assert topic_arn is not None
    runtime = handler.runtime()
    publisher = OrderEventPublisher(sns, topic_arn)

    def publish(event: Any) -> None:
        publisher.publish(event)

    def send_body(body: str) -> None:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)

    def measure() -> dict[str, Counter[str]]:
        """Lines per key. The README allows a line to repeat in another object when a batch is
        redelivered split differently (readers deduplicate on message_id): repeats must then be
        identical, so the effect is counted as the number of *different* lines per key."""
        lines: dict[str, list[str]] = defaultdict(list)
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket="data-lake"):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket="data-lake", Key=item["Key"])["Body"].read().decode()
                for line in body.splitlines():
                    for found in set(keys_in(json.loads(line)["event"].get("order_id", ""))):
                        lines[found].append(line)
        consumer.raw_repeats = sum(len(found) - len(set(found)) for found in lines.values())
        return {found: Counter({"in lake": len(set(found_lines))}) for found, found_lines in lines.items()}

    consumer = Consumer(
        name="analytics",
        env=env,
        module=handler,
        write=Downstream(runtime.service._s3, "PutObject"),
        transient=Downstream(runtime.service._s3, "PutObject"),
        throttle_code="SlowDown",
        transient_code="InternalError",
        poison_reason="body is not JSON",
        send_good=lambda k: publish(order_event(order_id=k)),
        send_poison=lambda k: send_body(f"not json {k}"),
        send_again=None,  # an SNS redelivery keeps its MessageId: the lake allows that repeat (see measure)
        measure=measure,
        effect_names=("in lake",),
    )
    return consumer


SETUP: dict[str, Callable[[pytest.MonkeyPatch], Consumer]] = {
    "order_processor": _order_processor,
    "balance_updater": _balance_updater,
    "payment": _payment,
    "notification": _notification,
    "analytics": _analytics,
}


@contextmanager
def consumer_environment(name: str) -> Iterator[Consumer]:
    """A fresh moto account with ``name``'s queues, tables and environment, and its handler's runtime."""
    with mock_aws(), pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("AWS_DEFAULT_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
        consumer = SETUP[name](monkeypatch)
        _count_writes(consumer)
        try:
            yield consumer
        finally:
            consumer.module.runtime.cache_clear()
