"""The tools find the deployed app by its stacks' tags and outputs: the local cloud resolves both."""

from __future__ import annotations

import json

import boto3
import pytest

from localcloud.compat import installed
from orders_functions.common.outputs import (
    APP_NAME,
    APP_TAG,
    STAGE_TAG,
    OutputsNotFoundError,
    StackOutput,
    read_outputs,
)
from tests.cdk_app import SynthesizedApp

pytestmark = pytest.mark.usefixtures("aws")


def _deploy(name: str, template: dict[str, object], tags: dict[str, str]) -> None:
    """As ``cdk deploy`` does: a change set, with the stack's tags."""
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_change_set(
        StackName=name,
        ChangeSetName="cdk-deploy-change-set",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps(template),
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )
    cloudformation.execute_change_set(ChangeSetName="cdk-deploy-change-set", StackName=name)


def _manifest_tags(app: SynthesizedApp, stack_id: str) -> dict[str, str]:
    manifest = json.loads((app.assembly_dir / "manifest.json").read_text())
    return dict(manifest["artifacts"][stack_id]["properties"]["tags"])


def test_the_data_stack_as_synthesized_gives_the_tools_its_tables_and_bucket(dev_app: SynthesizedApp) -> None:
    boto3.client("ssm").put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
    with installed():
        _deploy("orders-dev-data", dev_app.templates["OrdersData"], _manifest_tags(dev_app, "OrdersData"))
        outputs = read_outputs(boto3.client("cloudformation"), stage="dev")
    tables = set(boto3.client("dynamodb").list_tables()["TableNames"])
    for key in (
        StackOutput.ORDERS_TABLE,
        StackOutput.BALANCES_TABLE,
        StackOutput.PAYMENTS_TABLE,
        StackOutput.NOTIFICATIONS_TABLE,
        StackOutput.WORKFLOW_TABLE,
    ):
        assert outputs[key] in tables, key
    boto3.client("s3").head_bucket(Bucket=outputs[StackOutput.DATA_LAKE_BUCKET])


QUEUE_AND_FLOW = {
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "order-processing"}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}},
        "Flow": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": "high-value-order-flow",
                "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                "DefinitionString": json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            },
        },
    },
    # As the processing and orchestration stacks declare them.
    "Outputs": {
        StackOutput.ORDER_QUEUE.value: {"Value": {"Ref": "Queue"}},
        StackOutput.HIGH_VALUE_ORDER_FLOW.value: {"Value": {"Ref": "Flow"}},
    },
}


def test_a_queue_output_is_its_url_and_a_state_machine_output_its_arn() -> None:
    with installed():
        _deploy("orders-dev-processing", QUEUE_AND_FLOW, {APP_TAG: APP_NAME, STAGE_TAG: "dev"})
        outputs = read_outputs(boto3.client("cloudformation"))
        (machine,) = boto3.client("stepfunctions").list_state_machines()["stateMachines"]
    assert (
        outputs[StackOutput.ORDER_QUEUE] == boto3.client("sqs").get_queue_url(QueueName="order-processing")["QueueUrl"]
    )
    assert outputs[StackOutput.HIGH_VALUE_ORDER_FLOW] == machine["stateMachineArn"]
    with pytest.raises(OutputsNotFoundError, match="OrdersTableName"):
        outputs[StackOutput.ORDERS_TABLE]


def test_with_two_stages_deployed_a_tool_must_name_one() -> None:
    for stage in ("dev", "prod"):
        template = {"Resources": QUEUE_AND_FLOW["Resources"], "Outputs": QUEUE_AND_FLOW["Outputs"]}
        template = json.loads(json.dumps(template).replace("order-processing", f"order-processing-{stage}"))
        template = json.loads(json.dumps(template).replace("high-value-order-flow", f"flow-{stage}"))
        with installed():
            _deploy(f"orders-{stage}-processing", template, {APP_TAG: APP_NAME, STAGE_TAG: stage})
    with pytest.raises(OutputsNotFoundError, match="name the stage"):
        read_outputs(boto3.client("cloudformation"))
    assert read_outputs(boto3.client("cloudformation"), stage="prod")[StackOutput.ORDER_QUEUE].endswith("-prod")
    # Stacks of another app are not read.
    with installed():
        _deploy("other-app", QUEUE_AND_FLOW, {APP_TAG: "other"})
    assert read_outputs(boto3.client("cloudformation"), stage="dev")[StackOutput.ORDER_QUEUE].endswith("-dev")
