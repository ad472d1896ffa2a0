"""eventctl publish (eventctl.publish) against moto: the asked mix of sample orders, bad weights refused."""

from __future__ import annotations

import json
import re

import boto3
import pytest
from typer.testing import CliRunner

from eventctl.cli import app
from eventctl.publish import DEFAULT_MIX, DEFAULT_TIERS, SampleOrders, parse_weights
from tests.eventctl.conftest import queue_depth, refuses_and_changes_nothing
from tests.orders_functions.conftest import create_queue_pair


def test_publish_sends_the_asked_mix(aws: None, cli: CliRunner) -> None:
    url, _ = create_queue_pair(boto3.client("sqs"), "order-processing")
    result = cli.invoke(app, ["publish", "--count", "25", "--seed", "7", "--mix", "order.created=1"])
    assert result.exit_code == 0, result.stderr
    assert "sent" in result.stdout and "25" in result.stdout
    assert queue_depth(url) == 25
    message = boto3.client("sqs").receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert json.loads(message["Body"])["event_type"] == "order.created"
    assert message["MessageAttributes"]["correlation_id"]["StringValue"].startswith("eventctl-")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["publish", "--queue", "nope"], "no queue named 'nope'"),
        (["publish", "--mix", "order.exploded=1"], "unknown 'order.exploded'"),
        (["publish", "--tiers", "gold=x"], "unknown 'gold'"),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(
    aws: None, cli: CliRunner, args: list[str], expected: str
) -> None:
    refuses_and_changes_nothing(cli, args, expected)


def test_weights_are_read_by_name_and_unknown_names_or_no_weight_refused() -> None:
    known = set(DEFAULT_MIX)
    assert parse_weights("order.created=7, order.cancelled=3,", known) == {"order.created": 7.0, "order.cancelled": 3.0}
    for text, problem in [
        ("order.exploded=1", "unknown 'order.exploded'"),
        ("order.created=lots", "'order.created=lots' needs a number after '='"),
        ("order.created=0", "at least one positive weight"),
        ("", "at least one positive weight"),
    ]:
        with pytest.raises(ValueError, match=re.escape(problem)):
            parse_weights(text, known)


def test_a_seed_gives_the_same_orders_and_cancellations_name_orders_made_before() -> None:
    def bodies(seed: int) -> list[dict]:
        orders = SampleOrders({"order.created": 1, "order.cancelled": 1}, DEFAULT_TIERS, seed=seed)
        return [dict(message.body) for message in orders.messages(40) if not isinstance(message.body, str)]

    first = bodies(7)
    assert first == bodies(7) and first != bodies(8)
    assert first[0]["event_type"] == "order.created"  # nothing to cancel before an order exists
    created: set[str] = set()
    for body in first:
        if body["event_type"] == "order.created":
            created.add(body["order_id"])
        else:
            assert body["order_id"] in created
    assert {body["event_type"] for body in first} == {"order.created", "order.cancelled"}
