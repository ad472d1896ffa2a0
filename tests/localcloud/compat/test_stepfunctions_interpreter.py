"""localcloud.compat.stepfunctions_interpreter: state machines made by CloudFormation run.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import json
import time

import boto3
import pytest

from localcloud.compat import (
    installed,
    stepfunctions_interpreter,
)
from tests.localcloud.conftest import deploy_template

pytestmark = pytest.mark.usefixtures("aws")


PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
#: A state machine as a template declares it.
MACHINE = {
    "Type": "AWS::StepFunctions::StateMachine",
    "Properties": {
        "StateMachineName": "flow",
        "DefinitionString": PASS_MACHINE,
        "RoleArn": "arn:aws:iam::123456789012:role/r",
    },
}


def test_moto_still_does_not_run_state_machines_made_by_cloudformation() -> None:
    from moto.core.config import default_user_config

    deploy_template({"Machine": MACHINE})
    default_user_config["stepfunctions"]["execute_state_machine"] = True
    try:
        assert boto3.client("stepfunctions").list_state_machines()["stateMachines"] == []  # not in the running backend
    finally:
        default_user_config["stepfunctions"]["execute_state_machine"] = False


def test_state_machine_made_by_cloudformation_runs() -> None:
    with installed(stepfunctions_interpreter):
        deploy_template({"Machine": MACHINE})
        sfn = boto3.client("stepfunctions")
        arn = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn, input='{"a": 1}')["executionArn"]
        deadline = time.monotonic() + 20
        while (described := sfn.describe_execution(executionArn=execution))[
            "status"
        ] == "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.1)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"a": 1}
