"""Run the synthesized high-value-order-flow with moto's Step Functions interpreter.

moto cannot run Lambda functions without Docker, so its Lambda invoke is pointed at the
real task handlers, called in this process with the function's environment (a test
double for the Lambda runtime only: the ASL, the retries and the catches are the
deployed definition's, executed by moto's interpreter). The interpreter's waits between
retries are shortened by :data:`RETRY_TIME_SCALE` (the intervals themselves are the
definition's), so a throttle storm that outlasts many retries runs in a second.
"""

from __future__ import annotations

import importlib
import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaFunction
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from event_runtime.errors import TransientError as OrdersTransientError
from orders_functions.workflow import tasks
from tests.cdk_app import SynthesizedApp
from tests.orders_functions.conftest import create_table
from tests.orders_functions.faults import fail_calls
from tests.orders_functions.sqs_harness import FakeLambdaContext

ORDER = {"order_id": "o-1", "customer_id": "c-1", "amount": 2500.0, "priority": "high"}
#: Waits between retries, in the interpreter, take this fraction of what the definition says.
RETRY_TIME_SCALE = 0.001
COMPENSATION_QUEUE = "order-flow-compensation-failures"


@dataclass
class Flow:
    sfn: Any
    arn: str
    #: Task name -> exceptions its next invocations raise before running (the invocation itself fails).
    faults: dict[str, list[Exception]] = field(default_factory=dict)
    #: Task name -> how many of its DynamoDB calls are throttled (inside the task, which maps the error).
    throttles: dict[str, int] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    queue_url: str = ""
    running: str = ""

    def run(self, order: dict[str, Any], name: str) -> tuple[dict[str, Any], list[str]]:
        execution = self.sfn.start_execution(stateMachineArn=self.arn, name=name, input=json.dumps(order))[
            "executionArn"
        ]
        deadline = time.monotonic() + 60
        while (described := self.sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the execution did not finish in 60 s"
            time.sleep(0.1)
        history = self.sfn.get_execution_history(executionArn=execution)["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        return described, entered


def _function_arns(template: dict[str, Any], role_arn: str) -> dict[str, str]:
    """Create each task function of the template in moto; logical id -> ARN."""
    client = boto3.client("lambda")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("placeholder.py", "")
    arns = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function" or "workflow" not in resource["Properties"]["Handler"]:
            continue
        arns[logical_id] = client.create_function(
            FunctionName=logical_id,
            Runtime="python3.12",
            Role=role_arn,
            Handler=resource["Properties"]["Handler"],
            Code={"ZipFile": buffer.getvalue()},
            Environment={"Variables": {"WORKFLOW_TABLE": "workflow"}},
        )["FunctionArn"]
    return arns


def definition_of(template: dict[str, Any], refs: dict[str, str]) -> str:
    """The state machine's definition with its references (functions, queue, partition) resolved."""
    (machine,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    refs = {"AWS::Partition": "aws", **refs}
    return "".join(
        part if isinstance(part, str) else refs[part["Fn::GetAtt"][0] if "Fn::GetAtt" in part else part["Ref"]]
        for part in parts
    )


def compensation_queue_logical_id(template: dict[str, Any]) -> str | None:
    return next(
        (
            logical_id
            for logical_id, resource in template["Resources"].items()
            if resource["Type"] == "AWS::SQS::Queue" and resource["Properties"].get("QueueName") == COMPENSATION_QUEUE
        ),
        None,
    )


class _ScaledTime:
    """``time`` for moto's retrier: the same, but its sleeps shortened."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds * RETRY_TIME_SCALE)


@pytest.fixture
def flow(dev_app: SynthesizedApp, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flow]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        from orders_functions.workflow import handler

        handler.store.cache_clear()
        monkeypatch.setenv("WORKFLOW_TABLE", "workflow")
        create_table("workflow", [("order_id", "HASH")])
        role_arn = boto3.client("iam").create_role(
            RoleName="flow", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )["Role"]["Arn"]
        template = dev_app.templates["OrdersOrchestration"]
        refs = _function_arns(template, role_arn)
        queue_url = boto3.client("sqs").create_queue(QueueName=COMPENSATION_QUEUE)["QueueUrl"]
        refs[compensation_queue_logical_id(template) or COMPENSATION_QUEUE] = queue_url
        sfn = boto3.client("stepfunctions")
        arn = sfn.create_state_machine(
            name="high-value-order-flow", definition=definition_of(template, refs), roleArn=role_arn
        )["stateMachineArn"]
        current = Flow(sfn, arn, queue_url=queue_url)

        def throttled(params: dict[str, Any]) -> bool:
            if current.throttles.get(current.running, 0) <= 0:
                return False
            current.throttles[current.running] -= 1
            return True

        client = handler.store()._table.meta.client
        for operation in ("UpdateItem", "GetItem"):
            fail_calls(client, operation, 10**6, "ProvisionedThroughputExceededException", throttled)

        def invoke_in_process(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            module_name, name = function.handler.rsplit(".", 1)
            current.calls.append(name)
            current.running = name
            for variable, value in function.environment_vars.items():
                monkeypatch.setenv(variable, value)
            try:
                planned = current.faults.get(name) or []
                if planned:
                    raise planned.pop(0)
                result = getattr(importlib.import_module(module_name), name)(event, FakeLambdaContext())
                return json.dumps(result), False, ""
            except Exception as error:
                return json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}), True, ""

        monkeypatch.setattr(LambdaFunction, "_invoke_lambda", invoke_in_process)
        monkeypatch.setattr(retrier_decl, "time", _ScaledTime())
        yield current
        handler.store.cache_clear()


def workflow_item(order_id: str = "o-1") -> dict[str, Any]:
    return boto3.resource("dynamodb").Table("workflow").get_item(Key={"order_id": order_id}).get("Item", {})


def test_success_reserves_inventory_and_approves(flow: Flow) -> None:
    described, entered = flow.run(ORDER, "success")
    assert described["status"] == "SUCCEEDED"
    assert entered == [
        "Screen for fraud",
        "Fraud verdict",
        "Check credit limit",
        "Reserve inventory",
        "Needs an account manager?",
        "Approved",
    ]
    output = json.loads(described["output"])
    assert output["fraud"]["verdict"] == "approve"
    assert output["inventory"]["reservation"] == "RESERVED"
    assert workflow_item()["reservation"] == "RESERVED"


def test_a_large_order_gets_an_account_manager(flow: Flow) -> None:
    described, entered = flow.run({**ORDER, "order_id": "o-big", "amount": 15000}, "large")
    assert described["status"] == "SUCCEEDED"
    assert "Assign account manager" in entered
    assert (
        workflow_item("o-big")["account_manager"]
        == json.loads(described["output"])["account_manager"]["account_manager"]
    )


def test_a_transient_failure_is_retried_then_succeeds(flow: Flow) -> None:
    flow.faults["reserve_inventory"] = [OrdersTransientError("table busy")]
    described, _ = flow.run(ORDER, "transient")
    assert described["status"] == "SUCCEEDED"
    assert flow.calls.count("reserve_inventory") == 2
    assert workflow_item()["reservation"] == "RESERVED"


def test_a_failure_after_the_reservation_is_compensated(flow: Flow) -> None:
    flow.faults["assign_account_manager"] = [RuntimeError("directory down")]
    described, entered = flow.run({**ORDER, "amount": 15000}, "compensated")
    assert described["status"] == "FAILED"
    assert described["error"] == "OrderFlowFailed"
    assert entered[-3:] == ["Release inventory", "Decided by this execution?", "Failed and compensated"]
    assert workflow_item()["reservation"] == "RELEASED"


def test_fraud_is_rejected_before_anything_is_reserved_and_the_refusal_is_recorded(flow: Flow) -> None:
    described, entered = flow.run({**ORDER, "amount": 75000}, "fraud")
    assert (described["status"], described["error"]) == ("FAILED", "FraudSuspected")
    assert "Reserve inventory" not in entered
    assert entered[-1] == "Rejected as fraud"
    assert (workflow_item()["reservation"], workflow_item()["held_by"]) == ("NONE_HELD", described["executionArn"])


def test_over_the_credit_limit_fails_without_a_reservation_and_the_refusal_is_recorded(flow: Flow) -> None:
    described, entered = flow.run({**ORDER, "amount": 40000}, "credit")
    assert (described["status"], described["error"]) == ("FAILED", "CreditLimitExceeded")
    assert entered[-1] == "Over the credit limit"
    assert flow.calls.count("check_credit_limit") == 1  # a business error is not retried
    assert (workflow_item()["reservation"], workflow_item()["held_by"]) == ("NONE_HELD", described["executionArn"])


def operator_messages(flow: Flow) -> list[dict[str, Any]]:
    messages = boto3.client("sqs").receive_message(QueueUrl=flow.queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


# --- Defect 5: compensation is guaranteed, or ends in a named state an operator hears of --------


def test_a_throttle_storm_during_the_account_manager_step_and_the_release_still_releases(flow: Flow) -> None:
    """On main a throttle surfaced as ClientError, which no Retry covered, and the release had no Catch:
    a throttle during the account-manager step and again during the release ended FAILED with stock held."""
    flow.throttles["assign_account_manager"] = 6  # outlasts the step's 1 + 4 retried attempts
    flow.throttles["release_inventory"] = 10  # a storm the release outlasts
    described, entered = flow.run({**ORDER, "amount": 15000}, "storm")
    assert (described["status"], described["error"]) == ("FAILED", "OrderFlowFailed")
    assert entered[-3:] == ["Release inventory", "Decided by this execution?", "Failed and compensated"]
    assert flow.calls.count("assign_account_manager") == 5  # TransientError retried 4 times, then compensated
    assert flow.calls.count("release_inventory") == 11
    assert workflow_item()["reservation"] == "RELEASED"
    assert operator_messages(flow) == []


def test_a_release_that_never_succeeds_ends_in_compensation_failed_with_a_message_for_an_operator(
    flow: Flow,
) -> None:
    flow.faults["assign_account_manager"] = [RuntimeError("directory down")]
    flow.throttles["release_inventory"] = 10**6
    described, entered = flow.run({**ORDER, "amount": 15000}, "stuck")
    assert (described["status"], described["error"]) == ("FAILED", "CompensationFailed")
    assert entered[-2:] == ["Tell an operator", "Compensation failed"]
    (message,) = operator_messages(flow)
    assert message["order_id"] == "o-1"
    assert message["execution_id"].endswith(":stuck")
    assert "directory down" in json.dumps(message["failed_step_error"])
    assert "TransientError" in json.dumps(message["release_error"])
    assert workflow_item()["reservation"] == "RESERVED"  # held: that is what the operator is told


# --- Defect 4: one outcome per order, whatever the number of executions ---------------------------


def test_a_second_execution_of_an_approved_order_changes_nothing(flow: Flow) -> None:
    first, _ = flow.run(ORDER, "first")
    second, entered = flow.run(ORDER, "second")  # a duplicate delivery or a replay
    assert first["status"] == second["status"] == "SUCCEEDED"
    assert entered[-1] == "Already handled"
    assert (workflow_item()["reservation"], workflow_item()["held_by"]) == ("RESERVED", first["executionArn"])


def test_a_duplicate_execution_that_fails_does_not_release_the_approved_orders_stock(flow: Flow) -> None:
    first, _ = flow.run({**ORDER, "amount": 15000}, "first")
    flow.faults["reserve_inventory"] = [RuntimeError("boom")]
    second, entered = flow.run({**ORDER, "amount": 15000}, "second")
    assert first["status"] == "SUCCEEDED"
    assert (second["status"], entered[-3:]) == (
        "SUCCEEDED",
        ["Release inventory", "Decided by this execution?", "Already handled"],
    )
    assert (workflow_item()["reservation"], workflow_item()["held_by"]) == ("RESERVED", first["executionArn"])


def test_a_re_run_after_compensation_is_not_approved(flow: Flow) -> None:
    flow.faults["assign_account_manager"] = [RuntimeError("directory down")]
    first, _ = flow.run({**ORDER, "amount": 15000}, "first")
    _, entered = flow.run({**ORDER, "amount": 15000}, "replayed")
    assert first["status"] == "FAILED"
    assert entered[-1] == "Already handled"
    assert "Approved" not in entered
    assert workflow_item()["reservation"] == "RELEASED"


# --- Found by trying to break the claims (a reviewer's tests, kept) ----------------------------------

#: What Step Functions reports when Lambda refuses the invoke (concurrency exhausted).
LambdaThrottled = type("Lambda.TooManyRequestsException", (Exception,), {})


@pytest.mark.parametrize("step", ["screen_for_fraud", "check_credit_limit"])
def test_a_first_execution_that_fails_before_reserving_decides_and_a_replay_is_already_handled(
    flow: Flow, step: str
) -> None:
    """Lambda throttled the step past its retries: the first execution failed before reserving having recorded
    nothing, and a later duplicate delivery or archive replay approved the order."""
    flow.faults[step] = [LambdaThrottled("Rate Exceeded.") for _ in range(5)]
    first, first_states = flow.run(ORDER, "first")
    assert (first["status"], first_states[-1]) == ("FAILED", "Failed and compensated")
    assert "Reserve inventory" not in first_states
    _, entered = flow.run(ORDER, "archive-replay")
    assert entered[-1] == "Already handled"
    assert (workflow_item()["reservation"], workflow_item()["held_by"]) == ("NONE_HELD", first["executionArn"])


def test_a_replay_after_the_credit_limit_was_raised_does_not_approve_a_refused_order(
    flow: Flow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal recorded nothing: after a deploy raised the limit, replaying the archive approved the order."""
    first, _ = flow.run({**ORDER, "amount": 40000}, "first")
    assert (first["status"], first["error"]) == ("FAILED", "CreditLimitExceeded")
    monkeypatch.setattr(tasks, "DEFAULT_CREDIT_LIMIT", Decimal("60000"))  # the deploy
    replay, entered = flow.run({**ORDER, "amount": 40000}, "archive-replay")
    assert (replay["status"], entered[-1]) == ("SUCCEEDED", "Already handled")
    assert "Approved" not in entered


def test_a_duplicate_whose_claim_is_throttled_away_ends_in_already_handled(flow: Flow) -> None:
    """It ended in 'Failed and compensated' (and the failed-executions alarm) though it held nothing."""
    first, _ = flow.run(ORDER, "first")
    flow.throttles["reserve_inventory"] = 5  # every attempt of the duplicate's claim
    second, entered = flow.run(ORDER, "duplicate")
    assert (second["status"], entered[-1]) == ("SUCCEEDED", "Already handled")
    assert (workflow_item()["reservation"], workflow_item()["held_by"]) == ("RESERVED", first["executionArn"])


def test_executions_started_together_decide_once(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four deliveries of one order at once (moto runs each execution in a thread of its own).

    DynamoDB applies a conditional write atomically; moto checks and writes without a lock, so two threads
    can both pass one condition. The test gives moto's writes the lock AWS's atomicity implies.
    """
    from moto.dynamodb.models import DynamoDBBackend

    atomic = threading.Lock()
    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        original = getattr(DynamoDBBackend, name)

        def locked(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with atomic:
                return _original(*args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)
    arns = [
        flow.sfn.start_execution(stateMachineArn=flow.arn, name=f"together-{i}", input=json.dumps(ORDER))[
            "executionArn"
        ]
        for i in range(4)
    ]
    ends = []
    for arn in arns:
        while flow.sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            time.sleep(0.05)
        history = flow.sfn.get_execution_history(executionArn=arn)["events"]
        ends.append([e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e][-1])
    assert sorted(ends) == ["Already handled"] * 3 + ["Approved"]
    assert workflow_item()["held_by"] == arns[ends.index("Approved")]


def test_a_fraud_refusal_whose_release_keeps_failing_tells_an_operator(flow: Flow) -> None:
    """Found by trying to break the claims: the refusal reached the release from a Choice, without $.error,
    which the operator's message quotes; moto swallowed the missing path, AWS fails the execution with
    States.Runtime, which no Catch takes: no message, no CompensationFailed."""
    flow.throttles["release_inventory"] = 10**6
    described, entered = flow.run({**ORDER, "amount": 75000}, "fraud-release-down")
    assert (described["status"], described["error"]) == ("FAILED", "CompensationFailed")
    assert entered[:4] == ["Screen for fraud", "Fraud verdict", "Refused as fraud", "Release inventory"]
    (message,) = operator_messages(flow)
    assert message["failed_step_error"]["Error"] == "FraudSuspected"


def test_an_order_created_without_a_correlation_id_runs_the_flow(flow: Flow) -> None:
    """Issue 15: the InputTransformer renders a missing detail.correlation_id as null; the flow decides all the same."""
    described, entered = flow.run({**ORDER, "correlation_id": None}, "no-correlation")
    assert (described["status"], entered[-1]) == ("SUCCEEDED", "Approved")
