"""A function to run in the local cloud (the Lambda and event source mapping tests; ``cloud`` is in
tests/localcloud/conftest.py)."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from event_constructs import powertools
from localcloud.compat import events_input_transformer, installed, routing_rules

HANDLER = """
import json, os, time
def handler(event, context):
    records = event.get("Records", [])
    print(json.dumps({"batch": [r["body"] for r in records]}))
    started = time.time()
    time.sleep(event.get("sleep", 0) or 0.4 * sum(r["body"].startswith("slow") for r in records))
    print(json.dumps({"ran": [r["body"] for r in records], "from": started, "to": time.time()}))
    return {
        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"] == "fail"],
        "greeting": os.environ.get("GREETING"),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
"""


ROLE = "arn:aws:iam::123456789012:role/lambda"


POWERTOOLS_LAYER = (
    f"arn:aws:lambda:us-east-1:{powertools.POWERTOOLS_LAYER_ACCOUNT}:layer:"
    f"AWSLambdaPowertoolsPythonV3-python314-arm64:{powertools.POWERTOOLS_LAYER_VERSION}"
)


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def create_function(client: Any, name: str, timeout: int = 5, layers: list[str] | None = None) -> str:
    local = "amazonaws.com" not in client.meta.endpoint_url
    iam = boto3.client(
        "iam",
        endpoint_url=client.meta.endpoint_url if local else None,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(
            RoleName="lambda", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )
    return str(
        client.create_function(
            FunctionName=name,
            Runtime="python3.14",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": _code()},
            Timeout=timeout,
            Environment={"Variables": {"GREETING": "hello"}},
            Layers=layers or [],
        )["FunctionArn"]
    )


@pytest.fixture
def routing_cloud(aws: None) -> Iterator[None]:
    """A cloud of its own with the local cloud's routing: rules, filter policies and input transformers."""
    with installed(routing_rules, events_input_transformer):
        yield


def queue_with_arn(name: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def received(url: str) -> list[dict]:
    return boto3.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])


def rule_to_queue(pattern: str, queue_arn: str, **target: Any) -> None:
    events = boto3.client("events")
    events.put_rule(Name="r", EventPattern=pattern)
    events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": queue_arn, **target}])
