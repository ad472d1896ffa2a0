"""localcloud.compat.time_scale: every duration the local cloud honours lasts duration x time_scale (a setting, not
a gap).

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import json
import time

import boto3
import pytest

from localcloud.compat import (
    installed,
    sqs_fifo_deduplication,
    stepfunctions_interpreter,
    time_scale,
)
from localcloud.settings import LocalCloudSettings

pytestmark = pytest.mark.usefixtures("aws")


def test_time_scale_shortens_visibility_timeouts() -> None:
    with installed(time_scale, settings=LocalCloudSettings(time_scale=0.01)):
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="slow", Attributes={"VisibilityTimeout": "100"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="x")
        assert sqs.receive_message(QueueUrl=url)["Messages"]
        assert "Messages" not in sqs.receive_message(QueueUrl=url)  # invisible for 100 s x 0.01
        time.sleep(1.2)
        assert sqs.receive_message(QueueUrl=url)["Messages"]


SCALED = LocalCloudSettings(time_scale=0.005)  # 100 s of AWS time last 0.5 s


def test_time_scale_shortens_message_delays() -> None:
    with installed(time_scale, settings=SCALED):
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="delayed")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=100)
        assert "Messages" not in sqs.receive_message(QueueUrl=url)
        time.sleep(SCALED.scaled(100) + 0.3)
        assert sqs.receive_message(QueueUrl=url)["Messages"]


def test_time_scale_shortens_message_retention() -> None:
    with installed(time_scale, settings=SCALED):
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="brief", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="x")
        time.sleep(SCALED.scaled(60) + 0.3)
        assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_time_scale_shortens_the_fifo_deduplication_window() -> None:
    with installed(sqs_fifo_deduplication, time_scale, settings=SCALED):  # 300 s: 1.5 s
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="dedup.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        send = {"QueueUrl": url, "MessageGroupId": "g", "MessageDeduplicationId": "d"}
        sqs.send_message(MessageBody="first", **send)
        sqs.send_message(MessageBody="inside the window", **send)  # a duplicate: dropped
        time.sleep(SCALED.scaled(sqs_fifo_deduplication.DEDUPLICATION_INTERVAL_SECONDS) + 0.3)
        sqs.send_message(MessageBody="after the window", **send)  # a new message
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in received] == ["first", "after the window"]


def test_time_scale_shortens_step_functions_waits_and_retry_intervals() -> None:
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 100, "Next": "Send"},
            "Send": {  # to a queue that does not exist: fails, is retried after 100 s, fails again
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/none", "MessageBody": "x"},
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 100, "MaxAttempts": 1}],
                "End": True,
            },
        },
    }
    with installed(stepfunctions_interpreter, time_scale, settings=SCALED):
        sfn = boto3.client("stepfunctions")
        arn = sfn.create_state_machine(
            name="waits", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sfn"
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn, name="scaled")["executionArn"]
        deadline = time.monotonic() + 20  # unscaled, the wait alone would take 100 s
        while sfn.describe_execution(executionArn=execution)["status"] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.05)
        history = sfn.get_execution_history(executionArn=execution)["events"]
        status = sfn.describe_execution(executionArn=execution)["status"]
    assert status == "FAILED"
    assert sum(event["type"] == "TaskScheduled" for event in history) == 2  # the first try and its retry
