"""order_processor.handler against moto: the failure policy around each record, the correlation id where an
order enters, and announcing what the stored order has not announced yet (topic, then bus), marked once out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orders_functions.order_processor import handler
from stacks.processing_stack import MAX_ATTEMPTS, STANDARD_MAX_RECEIVE_COUNT
from tests.orders_functions.faults import fail_calls, record_calls
from tests.orders_functions.order_processor.helpers import (
    bus_events,
    order,
    published,
    send,
    stored_orders,
)
from tests.orders_functions.sqs_harness import QueueHarness, sqs_size


def test_poison_messages_go_to_the_dlq_with_the_reason_and_the_rest_of_the_batch_is_kept(
    order_env: QueueHarness,
) -> None:
    send(order_env, order("o-good-1"))
    send(order_env, "{not json")
    send(order_env, order("o-bad", total="-5"))
    send(order_env, {"event_type": "Order Shipped", "order_id": "o-x"})
    send(order_env, {"order_id": "o-y"})
    send(order_env, order("o-good-2"))

    delivery = order_env.deliver(handler.lambda_handler)

    assert delivery.failed_ids == []  # dead-lettered records are settled, not retried
    assert set(stored_orders()) == {"o-good-1", "o-good-2"}
    assert order_env.depth() == 0
    dead = order_env.dead_letters()
    assert len(dead) == 4
    by_body = {m["Body"]: m["MessageAttributes"] for m in dead}
    assert "body is not JSON" in by_body["{not json"]["failure_reason"]["StringValue"]
    negative = next(attrs for body, attrs in by_body.items() if "o-bad" in body)
    assert "total" in negative["failure_reason"]["StringValue"]
    assert "greater than or equal to 0" in negative["failure_reason"]["StringValue"]
    malformed_type = next(attrs for body, attrs in by_body.items() if "o-x" in body)
    assert "event_type: 'Order Shipped' is not an event type" in malformed_type["failure_reason"]["StringValue"]
    no_type = next(attrs for body, attrs in by_body.items() if "o-y" in body)
    assert "event_type: Field required" in no_type["failure_reason"]["StringValue"]
    for attrs in by_body.values():
        assert attrs["failure_kind"]["StringValue"] == "poison"
        assert attrs["source_queue_arn"]["StringValue"].endswith(":order-processing")
        assert attrs["receive_count"]["StringValue"] == "1"


def test_a_well_formed_event_type_order_processing_does_not_act_on_is_acknowledged(
    order_env: QueueHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    send(order_env, {"event_type": "order.shipped", "order_id": "o-1"})
    assert order_env.deliver(handler.lambda_handler).failed_ids == []
    assert order_env.dead_letters() == [] and order_env.depth() == 0
    assert stored_orders() == {}
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert any(m.get("UnhandledEventTypes") == [1.0] or m.get("UnhandledEventTypes") == 1.0 for m in emf), emf


def test_a_transient_error_is_retried_with_backoff_then_succeeds(order_env: QueueHarness) -> None:
    runtime = handler.runtime()
    failed_puts = fail_calls(
        runtime.service.store._table.meta.client, "UpdateItem", times=2, when=lambda params: "o-flaky" in str(params)
    )
    visibility = record_calls(runtime.failures.sqs_client, "ChangeMessageVisibility")
    message_id = send(order_env, order("o-flaky"))
    send(order_env, order("o-steady"))

    first = order_env.deliver(handler.lambda_handler)
    # Only the order that hit the error is retried; the other one is done.
    assert first.failed_ids == [message_id]
    order_env.let_time_pass()
    deliveries = [first, *order_env.drain(handler.lambda_handler)]

    assert set(stored_orders()) == {"o-flaky", "o-steady"}
    assert len(failed_puts) == 2
    assert [call["VisibilityTimeout"] for call in visibility] == [10, 20]  # capped exponential backoff
    assert sum(len(d.failed_ids) for d in deliveries) == 2
    assert order_env.depth() == 0
    assert order_env.dead_letters() == []


def test_retries_used_up_end_in_the_dlq_with_the_last_error(order_env: QueueHarness) -> None:
    runtime = handler.runtime()
    fail_calls(runtime.service.store._table.meta.client, "UpdateItem", times=100, code="InternalServerError")
    visibility = record_calls(runtime.failures.sqs_client, "ChangeMessageVisibility")
    send(order_env, order("o-doomed"))

    deliveries = order_env.drain(handler.lambda_handler)

    assert sum(1 for d in deliveries if d.message_ids) == MAX_ATTEMPTS  # the attempt limit, no more
    assert [call["VisibilityTimeout"] for call in visibility] == [10, 20, 40, 80, 160, 320, 640]
    (message,) = order_env.dead_letters()
    attrs = message["MessageAttributes"]
    assert attrs["failure_kind"]["StringValue"] == "exhausted"
    assert f"gave up after {MAX_ATTEMPTS} attempts" in attrs["failure_reason"]["StringValue"]
    assert attrs["attempts"]["StringValue"] == str(MAX_ATTEMPTS)
    assert "InternalServerError" in attrs["failure_reason"]["StringValue"]
    assert order_env.depth() == 0
    assert stored_orders() == {}


def test_a_poison_message_stays_on_its_queue_when_the_dlq_cannot_be_reached(order_env: QueueHarness) -> None:
    fail_calls(handler.runtime().failures.sqs_client, "SendMessage", times=1, code="ServiceUnavailable")
    message_id = send(order_env, "{broken")
    delivery = order_env.deliver(handler.lambda_handler)
    assert delivery.failed_ids == [message_id]
    assert order_env.depth() == 1
    order_env.let_time_pass()
    order_env.deliver(handler.lambda_handler)
    assert len(order_env.dead_letters()) == 1
    assert order_env.depth() == 0


def test_an_event_is_published_again_when_an_earlier_attempt_stopped_before_publishing(
    order_env: QueueHarness,
) -> None:
    fail_calls(handler.runtime().service.publisher._sns, "Publish", times=1, code="InternalError")
    send(order_env, order("o-p"))
    first = order_env.deliver(handler.lambda_handler)
    assert len(first.failed_ids) == 1
    assert "o-p" in stored_orders()  # stored, but not announced
    assert published(order_env) == []
    order_env.let_time_pass()
    order_env.deliver(handler.lambda_handler)
    assert [e["body"]["event_id"] for e in published(order_env)] == ["o-p/order.created"]


def test_a_new_order_is_put_on_the_bus_once_as_order_created(order_env: QueueHarness) -> None:
    order_env.sqs.send_message(
        QueueUrl=order_env.queue_url,
        MessageBody=json.dumps(order("o-big", total="2500.00", customer_tier="enterprise")),
        MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": "corr-big"}},
    )
    send(order_env, order("o-big", total="2500.00", customer_tier="enterprise"))  # a duplicate
    send(order_env, {"event_type": "order.cancelled", "order_id": "o-big"})
    order_env.drain(handler.lambda_handler)
    (event,) = bus_events(order_env)
    assert (event["source"], event["detail-type"]) == ("com.myapp.orders", "OrderCreated")
    assert event["detail"] == {
        "event_id": "o-big/order.created",
        "order_id": "o-big",
        "customer_id": "c-1",
        "customer_tier": "enterprise",
        "total": 2500.0,
        "currency": "EUR",
        "item_count": 2,
        "correlation_id": "corr-big",
    }


def test_a_bus_failure_leaves_the_order_for_a_retry_that_puts_it_once(order_env: QueueHarness) -> None:
    fail_calls(handler.runtime().service.bus._events, "PutEvents", times=1, code="InternalException")
    send(order_env, order("o-bus"))
    first = order_env.deliver(handler.lambda_handler)
    assert len(first.failed_ids) == 1
    order_env.let_time_pass()
    order_env.drain(handler.lambda_handler)
    assert [e["detail"]["order_id"] for e in bus_events(order_env)] == ["o-bus"]


# --- Defect 3: what is announced follows from the stored order, once per event id -----------------


def test_a_failure_after_the_publish_does_not_publish_again(order_env: QueueHarness) -> None:
    """PutEvents failing after the SNS publish used to delete the idempotency record: the retry republished."""
    fail_calls(handler.runtime().service.bus._events, "PutEvents", times=4, code="InternalException")
    handler.runtime().service.bus._sleep = lambda seconds: None
    send(order_env, order("o-once"))
    assert len(order_env.deliver(handler.lambda_handler).failed_ids) == 1
    order_env.let_time_pass()
    order_env.drain(handler.lambda_handler)
    assert [e["body"]["event_id"] for e in published(order_env)] == ["o-once/order.created"]
    assert [e["detail"]["event_id"] for e in bus_events(order_env)] == ["o-once/order.created"]


def test_an_announcement_repeated_after_a_crash_carries_the_same_id_and_content(order_env: QueueHarness) -> None:
    """A crash between the publish and its mark repeats the publish: the same event, so subscribers deduplicate."""
    runtime = handler.runtime()
    fail_calls(
        runtime.service.store._table.meta.client, "UpdateItem", times=1, when=lambda p: "ADD" in p["UpdateExpression"]
    )
    order_env.sqs.send_message(
        QueueUrl=order_env.queue_url,
        MessageBody=json.dumps(order("o-crash")),
        MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": "corr-first"}},
    )
    assert len(order_env.deliver(handler.lambda_handler).failed_ids) == 1
    order_env.let_time_pass()
    send(order_env, order("o-crash"))  # and a duplicate with another correlation id
    order_env.drain(handler.lambda_handler)
    first, again = published(order_env)
    assert first["body"] == again["body"]
    assert first["body"]["correlation_id"] == "corr-first"


# --- Found by the generated histories -----------------------------------------------------------------


def test_a_correlation_id_too_long_to_travel_is_refused_at_the_entry_as_poison(order_env: QueueHarness) -> None:
    """A 129-character correlation id was accepted, then every announcement of the order failed to build
    (the event allows 128): the order was stored, never announced, and dead-lettered as 'exhausted'."""
    order_env.sqs.send_message(
        QueueUrl=order_env.queue_url,
        MessageBody=json.dumps(order("o-corr")),
        MessageAttributes={"correlation_id": {"DataType": "String", "StringValue": "c" * 129}},
    )
    assert order_env.deliver(handler.lambda_handler).failed_ids == []
    (dead,) = order_env.dead_letters()
    assert dead["MessageAttributes"]["failure_kind"]["StringValue"] == "poison"
    assert "correlation_id attribute" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
    assert stored_orders() == {}  # refused before any effect


def test_a_poison_reason_quoting_characters_sqs_refuses_still_reaches_the_dlq_as_poison(
    order_env: QueueHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reason named a field spelled with U+FFFE; SQS refused the reason (a message attribute), the DLQ send
    failed every time, and after 8 attempts the message was dead-lettered as 'exhausted' with a false reason.
    (Unknown fields are ignored now, so the reason is made to quote the character here.)"""
    from event_runtime.errors import PoisonMessageError
    from event_runtime.text import carriable

    def refuse_what_sqs_refuses(params: dict[str, Any], **_: Any) -> None:
        for value in (params.get("MessageAttributes") or {}).values():
            carriable(value.get("StringValue", ""))  # ValueError, as SQS's InvalidMessageContents

    def refuse_quoting(body: str | None) -> Any:
        raise PoisonMessageError("field \ufffe: not allowed")

    from orders_functions.order_processor import service

    monkeypatch.setattr(service, "read_order_message", refuse_quoting)
    handler.runtime().failures.sqs_client.meta.events.register(
        "before-parameter-build.sqs.SendMessage", refuse_what_sqs_refuses
    )
    send(order_env, order("o-odd"))
    assert order_env.deliver(handler.lambda_handler).failed_ids == []
    (dead,) = order_env.dead_letters()
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["failure_kind"] == "poison"
    assert "field \\ufffe: not allowed" in attributes["failure_reason"]


# --- Found by the generated histories ------------------------------------------------------------------


def test_while_its_marks_fail_an_order_is_announced_again_by_each_record_of_it_and_never_once_marked(
    order_env: QueueHarness,
) -> None:
    """Shrunk from a soak: the marks of one order were throttled while a batch held the order and its
    duplicate, so one disturbed invocation announced the same event twice (the histories' bound of one repeat
    per disturbed invocation was wrong). What holds: repeats carry the same id and content, and once the mark
    is written the event is never announced again."""
    client = handler.runtime().service.store._table.meta.client
    fail_calls(
        client,
        "UpdateItem",
        times=2,
        code="ProvisionedThroughputExceededException",
        when=lambda p: "published" in str(p),
    )
    send(order_env, order("o-1"))
    send(order_env, order("o-1"))  # a producer's resend, in the same batch
    assert len(order_env.deliver(handler.lambda_handler).failed_ids) == 2
    first, again = published(order_env)
    assert first["body"] == again["body"] and first["body"]["event_id"] == "o-1/order.created"
    order_env.let_time_pass()
    order_env.drain(handler.lambda_handler)
    assert [e["body"]["event_id"] for e in published(order_env)] == ["o-1/order.created"]  # marked: once more, no more
    send(order_env, order("o-1"))
    order_env.drain(handler.lambda_handler)
    assert published(order_env) == []


def refuse_oversize_as_sqs_does(client: object) -> None:
    from botocore.exceptions import ClientError

    def refuse(params: dict, **_: object) -> None:
        limit = int(
            client.get_queue_attributes(  # type: ignore[attr-defined]
                QueueUrl=params["QueueUrl"], AttributeNames=["MaximumMessageSize"]
            )["Attributes"]["MaximumMessageSize"]
        )
        if sqs_size(params["MessageBody"], params.get("MessageAttributes") or {}) > limit:
            reason = f"One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
            raise ClientError({"Error": {"Code": "InvalidParameterValue", "Message": reason}}, "SendMessage")

    client.meta.events.register("before-parameter-build.sqs.SendMessage", refuse)  # type: ignore[attr-defined]


def test_a_poison_message_as_large_as_its_queue_takes_still_reaches_the_dlq_with_its_reason(
    order_env: QueueHarness,
) -> None:
    """Work queue and DLQ had the same maximum size: the DLQ copy (the body plus the failure attributes) of a
    message near the limit was refused every time, and SQS moved the message itself, without a reason."""
    from orders_functions.order_processor import handler as order_handler

    refuse_oversize_as_sqs_does(order_handler.runtime().failures.sqs_client)
    refuse_oversize_as_sqs_does(order_env.sqs)
    limit = int(
        order_env.sqs.get_queue_attributes(QueueUrl=order_env.queue_url, AttributeNames=["MaximumMessageSize"])[
            "Attributes"
        ]["MaximumMessageSize"]
    )
    skeleton = {"event_type": "order.updated", "order_id": "o-1", "update_id": "u-1", "note": ""}
    attributes = {"correlation_id": {"DataType": "String", "StringValue": "corr-1"}}
    body = json.dumps({**skeleton, "note": "x" * (limit - sqs_size(json.dumps(skeleton), attributes))})
    assert sqs_size(body, attributes) == limit  # as large as the queue takes, and poison (the note is too long)
    order_env.sqs.send_message(QueueUrl=order_env.queue_url, MessageBody=body, MessageAttributes=attributes)
    order_env.drain(order_handler.lambda_handler, rounds=STANDARD_MAX_RECEIVE_COUNT + 4)
    (dead,) = order_env.dead_letters()
    assert dead["MessageAttributes"]["failure_kind"]["StringValue"] == "poison"
    assert "note" in dead["MessageAttributes"]["failure_reason"]["StringValue"]
