"""Run the synthesized high-value-order-flow with moto's Step Functions interpreter.

moto cannot run Lambda functions without Docker, so its Lambda invoke is pointed at the
real task handlers, called in this process with the function's environment (a test
double for the Lambda runtime only: the ASL, the retries and the catches are the
deployed definition's, executed by moto's interpreter).
"""

from __future__ import annotations

import importlib
import io
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaFunction

from tests.cdk_app import SynthesizedApp
from tests.lambdas.conftest import create_table
from tests.lambdas.sqs_harness import FakeLambdaContext

ORDER = {"order_id": "o-1", "customer_id": "c-1", "amount": 2500.0, "priority": "high"}


class TransientError(Exception):
    """Stands for a passing failure inside a task (its name is in the flow's retry list)."""


@dataclass
class Flow:
    sfn: Any
    arn: str
    faults: dict[str, list[Exception]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

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


def _definition(template: dict[str, Any], arns: dict[str, str]) -> str:
    (machine,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return "".join(part if isinstance(part, str) else arns[part["Fn::GetAtt"][0]] for part in parts)


@pytest.fixture
def flow(dev_app: SynthesizedApp, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flow]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        from workflow import handler

        handler.store.cache_clear()
        create_table("workflow", [("order_id", "HASH")])
        role_arn = boto3.client("iam").create_role(
            RoleName="flow", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )["Role"]["Arn"]
        template = dev_app.templates["OrdersOrchestration"]
        arns = _function_arns(template, role_arn)
        sfn = boto3.client("stepfunctions")
        arn = sfn.create_state_machine(
            name="high-value-order-flow", definition=_definition(template, arns), roleArn=role_arn
        )["stateMachineArn"]
        current = Flow(sfn, arn)

        def invoke_in_process(function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
            module_name, name = function.handler.rsplit(".", 1)
            current.calls.append(name)
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
    flow.faults["reserve_inventory"] = [TransientError("table busy")]
    described, _ = flow.run(ORDER, "transient")
    assert described["status"] == "SUCCEEDED"
    assert flow.calls.count("reserve_inventory") == 2
    assert workflow_item()["reservation"] == "RESERVED"


def test_a_failure_after_the_reservation_is_compensated(flow: Flow) -> None:
    flow.faults["assign_account_manager"] = [RuntimeError("directory down")]
    described, entered = flow.run({**ORDER, "amount": 15000}, "compensated")
    assert described["status"] == "FAILED"
    assert described["error"] == "OrderFlowFailed"
    assert entered[-2:] == ["Release inventory", "Failed and compensated"]
    assert workflow_item()["reservation"] == "RELEASED"


def test_fraud_is_rejected_before_anything_is_reserved(flow: Flow) -> None:
    described, entered = flow.run({**ORDER, "amount": 75000}, "fraud")
    assert (described["status"], described["error"]) == ("FAILED", "FraudSuspected")
    assert "Reserve inventory" not in entered
    assert workflow_item() == {}


def test_over_the_credit_limit_fails_without_a_reservation(flow: Flow) -> None:
    described, entered = flow.run({**ORDER, "amount": 40000}, "credit")
    assert (described["status"], described["error"]) == ("FAILED", "CreditLimitExceeded")
    assert entered[-1] == "Over the credit limit"
    assert flow.calls.count("check_credit_limit") == 1  # a business error is not retried
    assert workflow_item() == {}
