"""eventctl dlq (eventctl.dlq) against moto: list with depth and source, show without consuming, redrive."""

from __future__ import annotations

import boto3
import pytest
from typer.testing import CliRunner

from eventctl.cli import app
from tests.eventctl.conftest import dead_letter, queue_depth, refuses_and_changes_nothing
from tests.orders_functions.conftest import create_queue_pair


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["dlq", "show", "order-processing"], "is not a dead-letter queue"),
        (["dlq", "show", "missing-dlq"], "no queue named 'missing-dlq'"),
        (["dlq", "redrive", "missing-dlq", "--yes"], "no queue named 'missing-dlq'"),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(
    aws: None, cli: CliRunner, args: list[str], expected: str
) -> None:
    refuses_and_changes_nothing(cli, args, expected)


def test_dlq_list_shows_depth_and_source(aws: None, cli: CliRunner) -> None:
    sqs = boto3.client("sqs")
    _, dlq = create_queue_pair(sqs, "order-processing")
    create_queue_pair(sqs, "balance-updates", fifo=True)
    dead_letter(dlq, "poison message: bad JSON", count=3)
    result = cli.invoke(app, ["dlq", "list"])
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "order-processing-dlq" in line)
    assert "3" in row and "order-processing" in row.split("order-processing-dlq", 1)[1]
    assert "balance-updates-dlq.fifo" in result.stdout


def test_dlq_show_peeks_without_consuming(aws: None, cli: CliRunner) -> None:
    _, dlq = create_queue_pair(boto3.client("sqs"), "order-processing")
    dead_letter(dlq, "poison message: total must be >= 0", count=2)
    result = cli.invoke(app, ["dlq", "show", "order-processing-dlq"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("poison message: total must be >= 0") == 2
    assert queue_depth(dlq) == 2


def test_dlq_redrive_dry_run_moves_nothing_and_redrive_moves_everything(aws: None, cli: CliRunner) -> None:
    url, dlq = create_queue_pair(boto3.client("sqs"), "order-processing")
    dead_letter(dlq, "gave up after 5 attempts", count=4)
    dry = cli.invoke(app, ["dlq", "redrive", "order-processing-dlq", "--dry-run"])
    assert dry.exit_code == 0 and "would move 4 message(s) from order-processing-dlq to order-processing" in dry.stdout
    assert (queue_depth(dlq), queue_depth(url)) == (4, 0)

    refused = cli.invoke(app, ["dlq", "redrive", "order-processing-dlq"], input="n\n")
    assert refused.exit_code == 1
    assert (queue_depth(dlq), queue_depth(url)) == (4, 0)

    done = cli.invoke(app, ["dlq", "redrive", "order-processing-dlq", "--yes"])
    assert done.exit_code == 0, done.stderr
    assert "to order-processing" in done.stdout
    assert (queue_depth(dlq), queue_depth(url)) == (0, 4)
