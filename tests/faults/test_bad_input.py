"""Bad input at every entry point, at handler level: each gives a clear reason and is kept in a DLQ.

Already covered elsewhere, not repeated here: order_processor's malformed bodies (bad JSON, empty,
``[]``, ``null``, missing type, negative total, extra field, unknown type, too many decimals) in
``tests/orders_functions/order_processor/``; one poison case each for payment, notification,
balance_updater and analytics in their ``tests/orders_functions/<function>/`` modules. This module runs the same five
kinds of bad input through *every* SQS consumer, and checks the 256 KB limits at the producers.

The deliberate tolerances (issue 15) are asserted as such, not as errors: every reader ignores
fields it does not know (a newer producer does not break older consumers); a well-formed event
type a consumer does not handle is acknowledged and counted, not dead-lettered; an order event
without ``occurred_at`` gets it from the delivery; and analytics ingests any JSON object, whatever
its type (it is the "everything" subscriber). Ids, money, event types and timestamps stay strict.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from event_runtime.errors import PoisonMessageError
from orders_functions.common.bus import PUT_EVENTS_MAX_ENTRY_BYTES, BusEvent, BusPublisher
from orders_functions.common.errors import PayloadTooLargeError
from orders_functions.common.producer import SQS_MAX_PAYLOAD_BYTES, MessageProducer, OutgoingMessage
from tests.faults.consumers import consumer_environment
from tests.faults.driver import Driver
from tests.faults.scenarios import all_dead_letters
from tests.orders_functions.events import order_event

KEY = "k0001x"
GOOD_EVENT = json.loads(order_event(order_id=KEY).model_dump_json(exclude_none=True))
GOOD_ORDER = {"event_type": "order.created", "order_id": KEY, "customer_id": "c-1", "total": "10.00"}
GOOD_UPDATE = {"account_id": "acct-0000", "transaction_id": KEY, "amount": "1.00"}
ACCEPTED = None  # the body is processed, by design (see the module docstring)
ACKNOWLEDGED = "acknowledged"  # a well-formed type this consumer does not handle: counted, no effect, no DLQ


def without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != name}


def envelope(message: str) -> str:
    """An SNS notification as analytics receives it (no raw delivery)."""
    return json.dumps(
        {
            "Type": "Notification",
            "MessageId": f"sns-{KEY}",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:order-events",
            "Message": message,
            "Timestamp": "2026-12-02T08:00:00.000Z",
        }
    )


#: consumer -> case -> (body, what the DLQ reason must say, or ACCEPTED).
CASES: dict[str, dict[str, tuple[str, str | None]]] = {
    "order_processor": {
        "wrong type": (json.dumps({**GOOD_ORDER, "items": f"{KEY} x2"}), "items: Input should be a valid list"),
        "extra field": (json.dumps({**GOOD_ORDER, "retry_count": 3}), ACCEPTED),
        "unknown event type": (json.dumps({**GOOD_ORDER, "event_type": "order.shipped"}), ACKNOWLEDGED),
        "malformed event type": (json.dumps({**GOOD_ORDER, "event_type": 7}), "event_type: 7 is not an event type"),
        "missing field": (
            json.dumps(without({**GOOD_ORDER, "note": KEY}, "customer_id")),
            "customer_id: Field required",
        ),
    },
    "balance_updater": {
        "malformed JSON": ('{"account_id": "acct-0000", "transaction_id": "' + KEY + '"', "body is not JSON"),
        "missing field": (json.dumps(without(GOOD_UPDATE, "amount")), "amount: Field required"),
        "extra field": (json.dumps({**GOOD_UPDATE, "currency": "EUR"}), ACCEPTED),
        "wrong type": (json.dumps({**GOOD_UPDATE, "amount": [1]}), "amount: Decimal input should be"),
        "money with three places": (
            json.dumps({**GOOD_UPDATE, "amount": "1.005"}),
            "amount: Value error, money as text is digits with at most two decimal places",
        ),
    },
    "payment": {
        "malformed JSON": ('{"event_id": "' + KEY + '", ', "body is not JSON"),
        "missing field": (json.dumps(without(GOOD_EVENT, "customer_id")), "customer_id: Field required"),
        "extra field": (json.dumps({**GOOD_EVENT, "coupon": "X"}), ACCEPTED),
        "wrong type": (json.dumps({**GOOD_EVENT, "amount": "lots"}), "amount: Value error, money as text is digits"),
        "unknown event type": (json.dumps({**GOOD_EVENT, "event_type": "order.shipped"}), ACKNOWLEDGED),
        "bad timestamp": (json.dumps({**GOOD_EVENT, "occurred_at": "yesterday"}), "occurred_at: Value error"),
    },
    "notification": {
        "malformed JSON": ("[" + KEY, "body is not JSON"),
        "missing field": (json.dumps(without(GOOD_EVENT, "customer_id")), "customer_id: Field required"),
        "derived field": (json.dumps(without(GOOD_EVENT, "occurred_at")), ACCEPTED),
        "extra field": (json.dumps({**GOOD_EVENT, "coupon": "X"}), ACCEPTED),
        "wrong type": (json.dumps({**GOOD_EVENT, "internal": {"x": KEY}}), "internal: Input should be a valid boolean"),
        "unknown event type": (json.dumps({**GOOD_EVENT, "event_type": "order.lost"}), ACKNOWLEDGED),
    },
    "analytics": {
        "malformed JSON": (envelope("{" + KEY), "SNS message is not JSON"),
        "wrong type": (envelope(json.dumps([KEY])), "SNS message is not a JSON object"),
        "not an object": (json.dumps([KEY]), "body is not a JSON object"),
        "unknown event type": (envelope(json.dumps({**GOOD_EVENT, "event_type": "order.lost"})), ACCEPTED),
    },
}


def send(consumer: Any, body: str) -> None:
    params: dict[str, Any] = {"QueueUrl": consumer.env.queue_url, "MessageBody": body}
    if consumer.env.queue_url.endswith(".fifo"):
        params |= {"MessageGroupId": "acct-0000", "MessageDeduplicationId": KEY}
    consumer.env.sqs.send_message(**params)


@pytest.mark.parametrize(
    ("consumer_name", "case"), [(consumer, case) for consumer, cases in CASES.items() for case in cases]
)
def test_bad_input_is_dead_lettered_with_a_clear_reason(consumer_name: str, case: str) -> None:
    body, reason = CASES[consumer_name][case]
    with consumer_environment(consumer_name) as consumer:
        driver = Driver(consumer)
        send(consumer, body)
        driver.drain()
        letters = all_dead_letters(consumer)
        left = consumer.env.depth()
        writes = dict(consumer.writes)
    assert left == 0, "nothing stays on the queue"
    if reason is ACCEPTED or reason == ACKNOWLEDGED:
        assert letters == [], f"{case} is accepted by design, yet dead-lettered: {letters}"
        expected = {KEY: 1} if reason is ACCEPTED else {}
        assert writes == expected, f"{case}: {reason or 'processed once'} by design, got {writes}"
        return
    (letter,) = letters
    attributes = {name: value["StringValue"] for name, value in letter["MessageAttributes"].items()}
    assert letter["Body"] == body, "the DLQ keeps the message exactly as it arrived"
    assert attributes["failure_kind"] == "poison"
    assert reason in attributes["failure_reason"], attributes["failure_reason"]
    assert attributes["receive_count"] == "1", "dead-lettered at once, not retried"
    assert writes == {}, "no effect"


# --- payloads over 256 KB: refused by the producers before sending --------------------------------
# (A consumer cannot receive one: SQS refuses it at SendMessage. moto 5.2 does not enforce that
# limit, so it is not asserted against moto here.)


class Recorder:
    """Answers like SQS / EventBridge and records each call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send_message(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        return {"MessageId": "m"}

    def send_message_batch(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        return {"Successful": [{"Id": e["Id"], "MessageId": "m"} for e in params["Entries"]], "Failed": []}

    def put_events(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "e"} for _ in params["Entries"]]}


def test_an_oversize_message_is_refused_before_sending() -> None:
    client = Recorder()
    producer = MessageProducer("https://sqs/q", sqs_client=client)
    with pytest.raises(PayloadTooLargeError, match=r"order.created message is \d+ bytes .* at most 262144 bytes"):
        producer.send("x" * SQS_MAX_PAYLOAD_BYTES, event_type="order.created")
    with pytest.raises(PayloadTooLargeError):  # the attributes count too
        producer.send("x" * (SQS_MAX_PAYLOAD_BYTES - 100), event_type="t", attributes={"note": "y" * 200})
    fifo = MessageProducer("https://sqs/q.fifo", sqs_client=client)
    with pytest.raises(PayloadTooLargeError):
        fifo.send_fifo({"blob": "x" * SQS_MAX_PAYLOAD_BYTES}, event_type="t", group_id="g", deduplication_id="d")
    assert client.calls == []
    producer.send("x" * (SQS_MAX_PAYLOAD_BYTES - 200), event_type="t")  # just under the limit is sent
    assert len(client.calls) == 1


def test_a_batch_with_one_oversize_message_sends_none_of_it() -> None:
    client = Recorder()
    producer = MessageProducer("https://sqs/q", sqs_client=client)
    batch = [OutgoingMessage(body=str(i), event_type="t") for i in range(12)]
    batch.insert(5, OutgoingMessage(body="x" * (SQS_MAX_PAYLOAD_BYTES + 1), event_type="order.big"))
    with pytest.raises(PayloadTooLargeError, match=r"order\.big"):
        producer.send_batch(batch)
    assert client.calls == []


def test_an_oversize_refusal_is_a_poison_error_so_a_consumer_dead_letters_its_input() -> None:
    assert issubclass(PayloadTooLargeError, PoisonMessageError)
    assert issubclass(PayloadTooLargeError, ValueError)


def test_an_oversize_event_is_refused_before_putting_any() -> None:
    client = Recorder()
    bus = BusPublisher(client, "orders", sleep=lambda _: None)
    small = BusEvent("OrderCreated", {"order_id": "o-1"})
    big = BusEvent("OrderCreated", {"order_id": "o-2", "blob": "x" * PUT_EVENTS_MAX_ENTRY_BYTES})
    with pytest.raises(PayloadTooLargeError, match=r"OrderCreated event is \d+ bytes .* at most 262144 bytes"):
        bus.put([small, big])
    assert client.calls == []
    assert bus.put([small]) == ["e"]
