"""eventctl.aws: clients for the endpoint the environment names; a local cloud needs no credentials."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

from eventctl.aws import Aws, is_dead_letter_queue, source_queue_arns
from eventctl.cli import app
from eventctl.errors import EventctlError
from tests.orders_functions.conftest import create_queue_pair

LOCAL = {"aws_access_key_id": "any", "aws_secret_access_key": "any"}


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with no AWS credentials and no region configured (CI, a laptop with no account)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def test_a_local_cloud_needs_no_credentials(
    cli: CliRunner, no_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        local = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", **LOCAL)
        create_queue_pair(local, "order-processing")
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        result = cli.invoke(app, ["dlq", "list"])
    finally:
        server.stop()
    assert result.exit_code == 0, result.stderr
    assert "order-processing-dlq" in result.stdout


@pytest.mark.parametrize(
    ("name", "dead_letter_queue"),
    [
        ("order-processing-dlq", True),
        ("balance-updates-dlq.fifo", True),
        ("order-events-delivery-dlq", True),
        ("high-value-target-dlq", True),
        ("order-processing", False),
        ("dlq-watchers", False),
    ],
)
def test_a_dead_letter_queue_is_known_by_its_name(name: str, dead_letter_queue: bool) -> None:
    assert is_dead_letter_queue(name) is dead_letter_queue


class Queues(Aws):
    """Queue attributes as SQS answers them (moto keeps no RedriveAllowPolicy), by queue URL."""

    def __init__(self, attributes: dict[str, dict[str, str]]) -> None:
        super().__init__()
        self._attributes = attributes

    def queue_urls(self) -> list[str]:
        return sorted(self._attributes)

    def attributes(self, queue_url: str) -> dict[str, str]:
        return self._attributes[queue_url]


def test_a_dlqs_sources_are_what_its_redrive_allow_policy_names() -> None:
    allowed = "arn:aws:sqs:us-east-1:123456789012:named-elsewhere"
    policy = {"redrivePermission": "byQueue", "sourceQueueArns": [allowed]}
    queues = Queues({"https://sqs/dlq": {"QueueArn": "arn:dlq", "RedriveAllowPolicy": json.dumps(policy)}})
    assert source_queue_arns(queues, "https://sqs/dlq") == [allowed]


def test_without_an_allow_policy_a_dlqs_sources_are_the_queues_that_redrive_to_it(aws: None) -> None:
    sqs = boto3.client("sqs")
    url, dlq = create_queue_pair(sqs, "found")
    create_queue_pair(sqs, "other")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert source_queue_arns(Aws(), dlq) == [arn]


def test_an_unknown_queue_name_is_refused_naming_the_dead_letter_queues_there(aws: None) -> None:
    create_queue_pair(boto3.client("sqs"), "order-processing")
    with pytest.raises(EventctlError, match=r"no queue named 'nope' \(dead-letter queues here: order-processing-dlq\)"):
        Aws().queue_url("nope")
