"""``AWS::ApplicationAutoScaling::ScalableTarget`` and ``ScalingPolicy``: moto's stack engine skips both.

Created here through moto's Application Auto Scaling backend, so ``DescribeScalableTargets`` and
``DescribeScalingPolicies`` show what the template declares (a queue worker's task count and its
backlog-per-task policy, metric math included). Nothing scales locally: the local cloud has no
CloudWatch metrics for a policy to track.

``Ref`` of a scalable target is ``<ResourceId>|<ScalableDimension>|<ServiceNamespace>``, and of a policy
its ARN, as on AWS:
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-applicationautoscaling-scalabletarget.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-applicationautoscaling-scalingpolicy.html
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from localcloud.compat._cfn import CompatResource, register
from localcloud.settings import LocalCloudSettings

GAP = "moto's CloudFormation skips AWS::ApplicationAutoScaling::ScalableTarget and ::ScalingPolicy"
RESOURCE_TYPES = ("AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy")
#: What a scaling policy's configuration is called in CloudFormation, by policy type (the API's names too).
CONFIGURATIONS = {
    "TargetTrackingScaling": "TargetTrackingScalingPolicyConfiguration",
    "StepScaling": "StepScalingPolicyConfiguration",
}


def _backend(account_id: str, region_name: str) -> Any:
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    return applicationautoscaling_backends[account_id][region_name]


class ScalableTarget(CompatResource):
    cloudformation_type_name = RESOURCE_TYPES[0]

    def __init__(self, physical_id: str, account_id: str, region_name: str) -> None:
        super().__init__(physical_id)
        self._account_id, self._region_name = account_id, region_name

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        namespace, resource_id = properties["ServiceNamespace"], properties["ResourceId"]
        dimension = properties["ScalableDimension"]
        _backend(account_id, region_name).register_scalable_target(
            namespace=namespace,
            r_id=resource_id,
            dimension=dimension,
            min_capacity=int(properties["MinCapacity"]),
            max_capacity=int(properties["MaxCapacity"]),
            role_arn=properties.get("RoleARN", ""),
            suspended_state=properties.get("SuspendedState"),
        )
        return cls(f"{resource_id}|{dimension}|{namespace}", account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        resource_id, dimension, namespace = self.physical_resource_id.split("|")
        _backend(account_id, region_name).deregister_scalable_target(namespace, resource_id, dimension)


class ScalingPolicy(CompatResource):
    cloudformation_type_name = RESOURCE_TYPES[1]

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        from moto.applicationautoscaling.exceptions import AWSValidationException

        if "ScalingTargetId" in properties:
            resource_id, dimension, namespace = properties["ScalingTargetId"].split("|")
        else:
            resource_id, dimension = properties["ResourceId"], properties["ScalableDimension"]
            namespace = properties["ServiceNamespace"]
        backend = _backend(account_id, region_name)
        if resource_id not in backend.targets.get(dimension, {}):
            raise AWSValidationException(f"No scalable target registered for {namespace} {resource_id} {dimension}")
        policy_type = properties["PolicyType"]
        policy = backend.put_scaling_policy(
            policy_name=properties["PolicyName"],
            service_namespace=namespace,
            resource_id=resource_id,
            scalable_dimension=dimension,
            policy_body=properties.get(CONFIGURATIONS.get(policy_type, ""), {}),
            policy_type=policy_type,
        )
        return cls(policy.policy_arn, {"Arn": policy.policy_arn})


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    register(stack, ScalableTarget, ScalingPolicy)
