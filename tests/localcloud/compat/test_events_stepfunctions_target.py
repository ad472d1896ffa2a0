"""localcloud.compat.events_stepfunctions_target: a rule starts its Step Functions target, and dead-letters what
keeps failing.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import json
import time

import boto3
import pytest

from localcloud.compat import (
    events_input_transformer,
    events_stepfunctions_target,
    installed,
    stepfunctions_interpreter,
)
from localcloud.settings import LocalCloudSettings

pytestmark = pytest.mark.usefixtures("aws")


TRANSFORMER = {"InputPathsMap": {"id": "$.detail.id", "n": "$.detail.n"}, "InputTemplate": '{"order": <id>, "n": <n>}'}


PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


def _rule_to_state_machine(dead_letter: bool = False, transform: bool = True) -> tuple[str, str]:
    sfn, events, sqs = boto3.client("stepfunctions"), boto3.client("events"), boto3.client("sqs")
    machine = sfn.create_state_machine(name="flow", definition=PASS_MACHINE, roleArn="arn:aws:iam::123456789012:role/r")
    events.put_rule(Name="to-flow", EventPattern=json.dumps({"source": ["shop"]}))
    dlq = sqs.create_queue(QueueName="rule-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    target = {
        "Id": "flow",
        "Arn": machine["stateMachineArn"] + ("-missing" if dead_letter else ""),
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        **({"InputTransformer": TRANSFORMER} if transform else {}),
        "RetryPolicy": {"MaximumRetryAttempts": 2},
        "DeadLetterConfig": {"Arn": dlq_arn},
    }
    events.put_targets(Rule="to-flow", Targets=[target])
    return machine["stateMachineArn"], dlq


def _put_order() -> None:
    boto3.client("events").put_events(
        Entries=[{"Source": "shop", "DetailType": "OrderCreated", "Detail": json.dumps({"id": "o-1", "n": 2})}]
    )


def test_moto_still_cannot_deliver_to_a_state_machine() -> None:
    _rule_to_state_machine(transform=False)
    with pytest.raises(NotImplementedError):
        _put_order()


def test_rule_starts_the_state_machine_with_the_transformed_input() -> None:
    with installed(events_stepfunctions_target, events_input_transformer, stepfunctions_interpreter):
        machine, _ = _rule_to_state_machine()
        _put_order()
        sfn = boto3.client("stepfunctions")
        deadline = time.monotonic() + 20
        while (
            not (executions := sfn.list_executions(stateMachineArn=machine)["executions"])
            and time.monotonic() < deadline
        ):
            time.sleep(0.1)
        assert len(executions) == 1
        assert json.loads(sfn.describe_execution(executionArn=executions[0]["executionArn"])["input"]) == {
            "order": "o-1",
            "n": 2,
        }


def test_a_target_that_keeps_failing_goes_to_the_dead_letter_queue_with_the_reason() -> None:
    with installed(
        events_stepfunctions_target,
        events_input_transformer,
        stepfunctions_interpreter,
        settings=LocalCloudSettings(time_scale=0.001),
    ):
        _, dlq = _rule_to_state_machine(dead_letter=True)
        _put_order()
        sqs = boto3.client("sqs")
        deadline = time.monotonic() + 20
        messages: list[dict[str, object]] = []
        while not messages and time.monotonic() < deadline:
            messages = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"]).get("Messages", [])
            time.sleep(0.1)
    attributes = {k: v["StringValue"] for k, v in messages[0]["MessageAttributes"].items()}  # type: ignore[attr-defined]
    assert attributes["RETRY_ATTEMPTS"] == "2"
    assert attributes["TARGET_ARN"].endswith("flow-missing")
    assert "does not exist" in attributes["ERROR_MESSAGE"].lower() or attributes["ERROR_CODE"]
    assert json.loads(messages[0]["Body"])["detail"] == {"id": "o-1", "n": 2}  # type: ignore[index]
