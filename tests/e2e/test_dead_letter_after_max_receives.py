"""A record that keeps failing ends in its DLQ after MAX_ATTEMPTS real attempts (by its handler, with the
reason), or after maxReceiveCount receives (by SQS, without one) when the function never runs."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.e2e.system import DeployedSystem, wait_for
from tests.routing import order_event_routes

QUEUE = "notification-service"
DLQ = "notification-service-dlq"


def _send_order_event(system: DeployedSystem) -> str:
    created = order_event_routes()["events"][0]
    order_id = f"o-dlq-{uuid.uuid4().hex[:8]}"
    body = {**created["body"], "order_id": order_id, "event_id": f"{order_id}:order.created"}
    system.sqs.send_message(
        QueueUrl=system.queue_url(QUEUE), MessageBody=json.dumps(body), MessageAttributes=created["message_attributes"]
    )
    return order_id


def _dead_letter(system: DeployedSystem, order_id: str) -> dict[str, Any] | None:
    batch = system.sqs.receive_message(
        QueueUrl=system.queue_url(DLQ),
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
        VisibilityTimeout=0,
    ).get("Messages", [])
    return next((m for m in batch if order_id in m["Body"]), None)


def _max_receive_count(system: DeployedSystem) -> int:
    policy = system.sqs.get_queue_attributes(QueueUrl=system.queue_url(QUEUE), AttributeNames=["RedrivePolicy"])
    return int(json.loads(policy["Attributes"]["RedrivePolicy"])["maxReceiveCount"])


def _max_attempts(system: DeployedSystem) -> int:
    function = system.function_reading(QUEUE)
    environment = system.client("lambda").get_function_configuration(FunctionName=function)["Environment"]
    return int(environment["Variables"]["MAX_ATTEMPTS"])


def test_a_record_failing_every_attempt_is_dead_lettered_by_the_handler_with_the_last_error(
    system: DeployedSystem,
) -> None:
    function = system.function_reading(QUEUE)
    environment = system.client("lambda").get_function_configuration(FunctionName=function)["Environment"]
    broken = {"Variables": {**environment["Variables"], "NOTIFICATIONS_TABLE": "no-such-table"}}
    with system.reconfigured(function, Environment=broken):
        order_id = _send_order_event(system)
        message = wait_for(lambda: _dead_letter(system, order_id), timeout=90, what="the record in the DLQ")
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["failure_kind"] == "exhausted"
    assert f"gave up after {_max_attempts(system)} attempts" in attributes["failure_reason"]
    assert attributes["attempts"] == str(_max_attempts(system))
    assert _max_attempts(system) < _max_receive_count(system)  # the receive count is only a backstop
    assert "ResourceNotFoundException" in attributes["failure_reason"]


def test_a_batch_whose_invocation_fails_every_time_is_moved_by_the_queue_redrive_policy(system: DeployedSystem) -> None:
    function = system.function_reading(QUEUE)
    with system.reconfigured(function, Handler="orders_functions.notification.no_such_module.lambda_handler"):
        order_id = _send_order_event(system)
        message = wait_for(lambda: _dead_letter(system, order_id), timeout=120, what="the record in the DLQ")
    # SQS moved it (the function never ran), so it carries no reason of the handler's.
    assert "failure_reason" not in message.get("MessageAttributes", {})
    assert int(message["Attributes"]["ApproximateReceiveCount"]) >= _max_receive_count(system)
    assert "No module named 'orders_functions.notification.no_such_module'" in system.log_text(function)
