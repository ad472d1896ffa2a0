"""localcloud.compat.cfn_application_autoscaling: a scalable target and its scaling policy (metric math included)
are registered from CloudFormation, with the Ref AWS gives each.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from localcloud.compat import _cfn, cfn_application_autoscaling, installed
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")

METRICS = [
    {
        "Id": "visible",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": "jobs"}],
            },
            "Stat": "Sum",
        },
        "ReturnData": False,
    },
    {
        "Id": "running",
        "MetricStat": {
            "Metric": {
                "Namespace": "ECS/ContainerInsights",
                "MetricName": "RunningTaskCount",
                "Dimensions": [{"Name": "ClusterName", "Value": "workers"}, {"Name": "ServiceName", "Value": "jobs"}],
            },
            "Stat": "Average",
        },
        "ReturnData": False,
    },
    {"Id": "backlog_per_task", "Expression": "visible / running", "ReturnData": True},
]


def _template() -> dict[str, Any]:
    container = {"Name": "Worker", "Image": "example.com/jobs:1", "Memory": 512}
    return {
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "workers"}},
        "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [container]}},
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {"Cluster": {"Ref": "Cluster"}, "TaskDefinition": {"Ref": "Task"}, "ServiceName": "jobs"},
        },
        "Target": {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "Properties": {
                "ServiceNamespace": "ecs",
                "ScalableDimension": "ecs:service:DesiredCount",
                "ResourceId": {
                    "Fn::Join": ["", ["service/", {"Ref": "Cluster"}, "/", {"Fn::GetAtt": ["Service", "Name"]}]]
                },
                "MinCapacity": 1,
                "MaxCapacity": 10,
                "RoleARN": "arn:aws:iam::123456789012:role/scaling",
            },
        },
        "Policy": {
            "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
            "Properties": {
                "PolicyName": "backlog-per-task",
                "PolicyType": "TargetTrackingScaling",
                "ScalingTargetId": {"Ref": "Target"},
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": 60,
                    "CustomizedMetricSpecification": {"Metrics": METRICS},
                    "ScaleOutCooldown": 60,
                    "ScaleInCooldown": 300,
                },
            },
        },
    }


@pytest.mark.parametrize("resource_type", cfn_application_autoscaling.RESOURCE_TYPES)
def test_moto_still_skips(resource_type: str) -> None:
    assert not _cfn.moto_supports(resource_type), f"moto now creates {resource_type}: drop cfn_application_autoscaling"


def test_the_target_and_its_policy_are_registered_with_the_refs_aws_gives_them() -> None:
    with installed(cfn_application_autoscaling):
        stack = deploy_template(_template())
        ids = physical_ids(stack)
        scaling = boto3.client("application-autoscaling")
        (target,) = scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
        (policy,) = scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == ("service/workers/jobs", 1, 10)
    assert ids["Target"] == "service/workers/jobs|ecs:service:DesiredCount|ecs"
    assert ids["Policy"] == policy["PolicyARN"]
    assert (policy["PolicyName"], policy["PolicyType"]) == ("backlog-per-task", "TargetTrackingScaling")
    configuration = policy["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["CustomizedMetricSpecification"]["Metrics"] == METRICS
    assert (configuration["TargetValue"], configuration["ScaleOutCooldown"]) == (60, 60)
