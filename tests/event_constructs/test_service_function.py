"""ServiceFunction: what it synthesizes (runtime, role, log group, layers, tracing, environment) and the
cdk-nag findings it acknowledges, each with its reason."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from event_constructs import ServiceFunction
from event_constructs.powertools import POWERTOOLS_LAYER_VERSION
from event_constructs.runtime_layer import LAYER_ID

CODE = lambda_.Code.from_inline("def handler(event, context): ...")
EXTRA_LAYER = "arn:aws:lambda:us-east-1:111122223333:layer:shared:4"


def logical_id(construct: Any) -> str:
    """The logical id of ``construct``'s CloudFormation resource."""
    return cdk.Stack.of(construct).get_logical_id(cast(cdk.CfnElement, construct.node.default_child))


@dataclass
class Built:
    template: dict[str, Any]
    report: dict[str, Any]
    functions: dict[str, ServiceFunction]

    def resource(self, owner: str, kind: str) -> dict[str, Any]:
        """The one resource of type ``kind`` that the ServiceFunction ``owner`` made."""
        return self.template["Resources"][logical_id(getattr(self.functions[owner], kind))]

    def policy_of(self, owner: str) -> dict[str, Any]:
        role = logical_id(self.functions[owner].role)
        (policy,) = [
            r
            for r in self.template["Resources"].values()
            if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
        ]
        return policy["Properties"]["PolicyDocument"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    outdir = tmp_path_factory.mktemp("service-function")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Functions")
    shared = lambda_.LayerVersion.from_layer_version_arn(stack, "Shared", EXTRA_LAYER)
    functions = {
        "Task": ServiceFunction(stack, "Task", code=CODE, handler="index.handler", invoked_by="a state machine"),
        "Custom": ServiceFunction(
            stack,
            "Custom",
            code=CODE,
            handler="app.handle",
            invoked_by="an event source mapping",
            service_name="payments",
            description="Charges orders",
            environment={"TABLE": "payments"},
            timeout=cdk.Duration.seconds(45),
            memory_size=512,
            layers=[shared],
            log_retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=cdk.RemovalPolicy.RETAIN,
            role_name="payments-function",
        ),
        "Bare": ServiceFunction(
            stack, "Bare", code=CODE, handler="index.handler", invoked_by="a test", with_runtime_layer=False
        ),
    }
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    assembly = app.synth()
    directory = Path(assembly.directory)
    report = directory / "validation-report.json"
    return Built(
        template=json.loads((directory / "Functions.template.json").read_text()),
        report=json.loads(report.read_text()) if report.exists() else {},
        functions=functions,
    )


def test_the_newest_python_on_arm64_traced_with_json_logs_in_its_own_group(built: Built) -> None:
    function = built.resource("Task", "function")["Properties"]
    assert (function["Runtime"], function["Architectures"]) == ("python3.14", ["arm64"])
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    group = logical_id(built.functions["Task"].log_group)
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": group}
    assert (function["MemorySize"], function["Timeout"]) == (256, 30)


def test_what_is_given_is_what_the_function_gets(built: Built) -> None:
    function = built.resource("Custom", "function")["Properties"]
    assert (function["Handler"], function["Description"]) == ("app.handle", "Charges orders")
    assert (function["MemorySize"], function["Timeout"]) == (512, 45)


def test_the_service_name_is_powertools_and_the_environment_is_added_to_it(built: Built) -> None:
    assert built.resource("Task", "function")["Properties"]["Environment"]["Variables"] == {
        "POWERTOOLS_SERVICE_NAME": "Task"  # the construct id when no service name is given
    }
    assert built.resource("Custom", "function")["Properties"]["Environment"]["Variables"] == {
        "POWERTOOLS_SERVICE_NAME": "payments",
        "TABLE": "payments",
    }


def test_the_layers_are_powertools_then_the_runtime_half_then_the_functions_own(built: Built) -> None:
    runtime_layer = {"Ref": logical_id(cdk.Stack.of(built.functions["Task"]).node.find_child(LAYER_ID))}
    powertools, runtime, extra = built.resource("Custom", "function")["Properties"]["Layers"]
    assert f":layer:AWSLambdaPowertoolsPythonV3-python314-arm64:{POWERTOOLS_LAYER_VERSION}" in json.dumps(powertools)
    assert runtime == runtime_layer
    assert extra == EXTRA_LAYER
    assert built.resource("Task", "function")["Properties"]["Layers"][1] == runtime_layer
    (only,) = built.resource("Bare", "function")["Properties"]["Layers"]
    assert "AWSLambdaPowertoolsPythonV3" in json.dumps(only)  # without the runtime half: Powertools alone
    layers = [r for r in built.template["Resources"].values() if r["Type"] == "AWS::Lambda::LayerVersion"]
    assert len(layers) == 1  # one runtime layer, shared by every function of the stack


def test_the_log_group_keeps_logs_for_its_retention_and_goes_with_the_stack_unless_retained(built: Built) -> None:
    task, custom = built.resource("Task", "log_group"), built.resource("Custom", "log_group")
    assert (task["Properties"]["RetentionInDays"], task["DeletionPolicy"]) == (30, "Delete")
    assert (custom["Properties"]["RetentionInDays"], custom["DeletionPolicy"]) == (90, "Retain")


def test_the_role_is_lambdas_without_managed_policies_and_says_who_runs_it(built: Built) -> None:
    task, custom = built.resource("Task", "role")["Properties"], built.resource("Custom", "role")["Properties"]
    assert task["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in task and "RoleName" not in task
    assert task["Description"] == "Runs Task, invoked by a state machine"
    assert custom["Description"] == "Runs payments, invoked by an event source mapping"
    assert custom["RoleName"] == "payments-function"


def test_the_role_may_write_to_its_own_log_group_and_send_traces_and_nothing_else(built: Built) -> None:
    group = logical_id(built.functions["Task"].log_group)
    assert built.policy_of("Task")["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [group, "Arn"]},
        },
        {"Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Effect": "Allow", "Resource": "*"},
    ]


def test_the_function_depends_on_its_roles_policy_not_on_the_role_it_names(built: Built) -> None:
    """cfn-lint W3005: the role is already ordered by ``Role: Fn::GetAtt``."""
    function = built.resource("Task", "function")
    role = logical_id(built.functions["Task"].role)
    (policy,) = [
        logical_id
        for logical_id, r in built.template["Resources"].items()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
    ]
    assert function["Properties"]["Role"] == {"Fn::GetAtt": [role, "Arn"]}
    assert function["DependsOn"] == [policy]


def acknowledged(construct: Any) -> dict[str, str]:
    """Rule id -> reason, as acknowledged on ``construct``."""
    found: dict[str, str] = {}
    for entry in construct.node.metadata:
        if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
            found |= {rule.split("::", 1)[-1]: reason for rule, reason in dict(entry.data).items()}
    return found


def test_it_acknowledges_the_async_dlq_and_the_xray_wildcard_naming_who_invokes_it(built: Built) -> None:
    task = built.functions["Task"]
    (dlq_reason,) = acknowledged(task.function).values()
    assert list(acknowledged(task.function)) == ["Serverless-LambdaDLQ"]
    assert "invoked synchronously by a state machine" in dlq_reason
    assert list(acknowledged(task.role)) == ["AwsSolutions-IAM5[Resource::*]"]
    assert "xray:PutTraceSegments" in acknowledged(task.role)["AwsSolutions-IAM5[Resource::*]"]


def test_cdk_nag_finds_nothing_left_to_acknowledge(built: Built) -> None:
    violations = [
        (violation["ruleName"], construct["constructPath"])
        for plugin in built.report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]
    assert built.report, "cdk-nag ran and wrote its report"
    assert violations == []
