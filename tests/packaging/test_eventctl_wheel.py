"""eventctl installs from its own wheel (with the functions' and the runtime's) and runs against a deployed
system with no checkout of this repository beside it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.localcloud.conftest import free_port
from tests.packaging.isolated import REPO, Environment, build_wheel, environment_with, importable

EVENTCTL = ("-c", "import sys; from eventctl.cli import main; sys.argv[0] = 'eventctl'; main()")
NO_CREDENTIALS = {"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent"}


@pytest.fixture(scope="module")
def eventctl(tmp_path_factory: pytest.TempPathFactory) -> Environment:
    out = tmp_path_factory.mktemp("wheels")
    wheels = [build_wheel(REPO / source, out) for source in ("tools/eventctl", "lambdas", "runtime")]
    environment = environment_with(wheels, tmp_path_factory.mktemp("eventctl"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        environment.variables.pop(name, None)
    environment.variables.pop("AWS_DEFAULT_REGION", None)
    environment.variables.update(NO_CREDENTIALS)
    return environment


@pytest.fixture
def deployed() -> Iterator[str]:
    """A deployed system, as far as eventctl's commands here need one: the order queue and its DLQ."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    sqs = boto3.client(
        "sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    dlq = sqs.create_queue(QueueName="order-processing-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    sqs.create_queue(QueueName="order-processing", Attributes={"RedrivePolicy": redrive})
    try:
        yield endpoint
    finally:
        server.stop()


def test_nothing_of_the_checkout_is_importable_but_what_the_wheels_hold(eventctl: Environment, tmp_path: Path) -> None:
    origins = importable(
        eventctl, "eventctl", "orders_functions", "event_runtime", "event_routing", "stacks", "tests", cwd=tmp_path
    )
    for installed in ("eventctl", "orders_functions", "event_runtime", "event_routing"):
        assert str(origins[installed]).startswith(str(eventctl.site)), origins
    assert origins["stacks"] is None
    assert origins["tests"] is None


def test_publish_and_list_dead_letter_queues_against_a_deployed_system(
    eventctl: Environment, deployed: str, tmp_path: Path
) -> None:
    published = eventctl.run(
        *EVENTCTL, "publish", "--count", "5", "--seed", "1", cwd=tmp_path, AWS_ENDPOINT_URL=deployed
    )
    assert published.returncode == 0, published.stderr
    listed = eventctl.run(*EVENTCTL, "dlq", "list", cwd=tmp_path, AWS_ENDPOINT_URL=deployed)
    assert listed.returncode == 0, listed.stderr
    assert "order-processing-dlq" in listed.stdout
    sqs = boto3.client(
        "sqs", endpoint_url=deployed, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    queue = sqs.get_queue_url(QueueName="order-processing")["QueueUrl"]
    depth = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert depth["ApproximateNumberOfMessages"] == "5"


def test_pointed_at_nothing_it_says_so_in_one_line(eventctl: Environment, tmp_path: Path) -> None:
    listed = eventctl.run(*EVENTCTL, "dlq", "list", cwd=tmp_path, AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")
    assert listed.returncode == 2
    assert "cannot reach" in listed.stderr
    assert len(listed.stderr.strip().splitlines()) == 1
