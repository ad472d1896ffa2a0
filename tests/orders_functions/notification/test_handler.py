"""notification.handler against moto: its failure policy when the attempts table cannot be reached."""

from __future__ import annotations

import json

from orders_functions.notification import handler
from stacks.processing_stack import STANDARD_MAX_RECEIVE_COUNT
from tests.orders_functions.events import order_event, send_raw
from tests.orders_functions.faults import fail_calls
from tests.orders_functions.sqs_harness import QueueHarness


def attempts_table_down(env: QueueHarness) -> list[dict]:
    """Every call to the attempts table fails (it is throttled, or unreachable)."""
    client = handler.runtime().failures.attempts._client  # type: ignore[attr-defined]
    return fail_calls(client, "UpdateItem", times=10**6, code="ProvisionedThroughputExceededException")


def test_a_record_is_still_tried_when_its_attempt_cannot_be_counted(notification_env: QueueHarness) -> None:
    send_raw(notification_env.sqs, notification_env.queue_url, order_event(order_id="o-1"))
    notification_env.deliver(handler.lambda_handler)  # the first receive writes nothing
    # The record failed once (its table throttled), and comes back when the attempts table is down too.
    fail_calls(handler.runtime().service._table.meta.client, "PutItem", times=1)
    send_raw(notification_env.sqs, notification_env.queue_url, order_event(order_id="o-2"))
    notification_env.deliver(handler.lambda_handler)
    attempts_table_down(notification_env)
    notification_env.let_time_pass()
    notification_env.drain(handler.lambda_handler)
    assert notification_env.depth() == 0
    assert notification_env.dead_letters() == []


def test_found_by_the_histories_a_record_failing_while_attempts_cannot_be_counted_is_dead_lettered_with_a_reason(
    notification_env: QueueHarness,
) -> None:
    """The attempts table and the notifications table were both down for more receives than maxReceiveCount:
    the record was never counted, and SQS moved it to the DLQ itself, without a reason."""
    attempts_table_down(notification_env)
    fail_calls(handler.runtime().service._table.meta.client, "PutItem", times=10**6)
    send_raw(notification_env.sqs, notification_env.queue_url, order_event(order_id="o-down"))
    deliveries = notification_env.drain(handler.lambda_handler, rounds=STANDARD_MAX_RECEIVE_COUNT + 5)
    (dead,) = notification_env.dead_letters()
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["failure_kind"] == "exhausted"
    assert (
        f"receive {STANDARD_MAX_RECEIVE_COUNT} of at most {STANDARD_MAX_RECEIVE_COUNT}" in attributes["failure_reason"]
    )
    assert "ProvisionedThroughputExceeded" in attributes["failure_reason"]
    assert sum(1 for d in deliveries if d.message_ids) == STANDARD_MAX_RECEIVE_COUNT
    assert json.loads(dead["Body"])["order_id"] == "o-down"
