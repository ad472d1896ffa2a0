"""localcloud.compat.cfn_ecs: an ECS cluster, task definition and service from CloudFormation keep the properties
their API takes (Container Insights, a Fargate task's CPU, roles and platform, a service's launch type and network).

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from localcloud.compat import cfn_ecs, installed
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")

TASK_ROLE = "arn:aws:iam::123456789012:role/worker-task"
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/worker-execution"


def _template(command: list[str] | None = None) -> dict[str, Any]:
    container = {
        "Name": "Worker",
        "Image": "example.com/jobs:1",
        "Command": command or ["python", "-m", "jobs.worker"],
        "Environment": [{"Name": "QUEUE_URL", "Value": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"}],
        "StopTimeout": 120,
        "Essential": True,
    }
    return {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24"}},
        "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "t", "VpcId": {"Ref": "Vpc"}}},
        "Cluster": {
            "Type": "AWS::ECS::Cluster",
            "Properties": {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
        },
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "jobs",
                "ContainerDefinitions": [container],
                "Cpu": "256",
                "Memory": "512",
                "NetworkMode": "awsvpc",
                "RequiresCompatibilities": ["FARGATE"],
                "TaskRoleArn": TASK_ROLE,
                "ExecutionRoleArn": EXECUTION_ROLE,
                "RuntimePlatform": {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"},
            },
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": {"Ref": "Cluster"},
                "TaskDefinition": {"Ref": "Task"},
                "LaunchType": "FARGATE",
                "PlatformVersion": "LATEST",
                "NetworkConfiguration": {
                    "AwsvpcConfiguration": {
                        "AssignPublicIp": "ENABLED",
                        "SecurityGroups": [{"Fn::GetAtt": ["Group", "GroupId"]}],
                        "Subnets": [{"Ref": "Subnet"}],
                    }
                },
            },
        },
    }


def _described(stack: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    ecs, ids = boto3.client("ecs"), physical_ids(stack)
    cluster = ecs.describe_clusters(clusters=[ids["Cluster"]], include=["SETTINGS"])["clusters"][0]
    service = ecs.describe_services(cluster=ids["Cluster"], services=[ids["Service"]])["services"][0]
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    return cluster, task, service


def test_moto_still_creates_them_from_a_few_properties_only() -> None:
    cluster, task, service = _described(deploy_template(_template()))
    assert cluster["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    assert (task["networkMode"], task.get("cpu"), task.get("taskRoleArn"), task.get("runtimePlatform")) == (
        "bridge",
        None,
        None,
        None,
    )
    assert (service["launchType"], service["desiredCount"], service.get("networkConfiguration")) == ("EC2", 0, {})


def test_they_keep_what_the_template_says_and_a_service_without_a_desired_count_runs_one_task() -> None:
    with installed(cfn_ecs):
        stack = deploy_template(_template())
        cluster, task, service = _described(stack)
    ids = physical_ids(stack)
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert (task["networkMode"], task["cpu"], task["memory"], task["requiresCompatibilities"]) == (
        "awsvpc",
        "256",
        "512",
        ["FARGATE"],
    )
    assert (task["taskRoleArn"], task["executionRoleArn"]) == (TASK_ROLE, EXECUTION_ROLE)
    assert task["runtimePlatform"] == {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    (container,) = task["containerDefinitions"]
    assert (container["command"], container["stopTimeout"]) == (["python", "-m", "jobs.worker"], 120)
    assert container["environment"] == [
        {"name": "QUEUE_URL", "value": "https://sqs.us-east-1.amazonaws.com/123456789012/jobs"}
    ]
    assert (service["launchType"], service["platformVersion"], service["desiredCount"]) == ("FARGATE", "LATEST", 1)
    assert service["networkConfiguration"] == {
        "awsvpcConfiguration": {
            "assignPublicIp": "ENABLED",
            "securityGroups": [ids["Group"]],
            "subnets": [ids["Subnet"]],
        }
    }


def test_an_updated_task_definition_is_a_new_revision_with_all_its_properties() -> None:
    cloudformation = boto3.client("cloudformation")
    with installed(cfn_ecs):
        stack = deploy_template(_template())
        cloudformation.create_change_set(
            StackName=stack,
            ChangeSetName="update",
            ChangeSetType="UPDATE",
            TemplateBody=json.dumps({"Resources": _template(command=["python", "-m", "jobs.other"])}),
        )
        cloudformation.execute_change_set(ChangeSetName="update", StackName=stack)
        task = boto3.client("ecs").describe_task_definition(taskDefinition="jobs")["taskDefinition"]
    assert (task["revision"], task["containerDefinitions"][0]["command"]) == (2, ["python", "-m", "jobs.other"])
    assert (task["cpu"], task["networkMode"], task["taskRoleArn"]) == ("256", "awsvpc", TASK_ROLE)
