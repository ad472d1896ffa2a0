"""ECS clusters, task definitions and services from CloudFormation, with the properties their API takes.

moto's stack engine builds them from a few properties only:

- ``AWS::ECS::Cluster``: without its ``ClusterSettings`` (Container Insights reads as disabled),
  capacity providers and tags;
- ``AWS::ECS::TaskDefinition``: from its family, containers, volumes and memory alone, so a Fargate
  task definition reads as an EC2 one in ``bridge`` mode, without CPU, task role, execution role or
  runtime platform (and loses them again on every update);
- ``AWS::ECS::Service``: on the EC2 launch type, without its network configuration, platform version,
  tags or deployment controller, and with 0 tasks when ``DesiredCount`` is left out, where AWS starts 1
  ("For new services, if a desired count is not specified, a default value of 1 is used"):
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-service.html

Here each is created with every property moto's ECS API models (keys as the API spells them). What
moto's ECS does not model at all (a service's ``DeploymentConfiguration``) stays out. Nothing runs a
task: the local cloud has no containers.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.core.utils import pascal_to_camelcase, remap_nested_keys
from moto.ecs.models import Cluster, Service, TaskDefinition, ecs_backends

from localcloud.settings import LocalCloudSettings

GAP = (
    "moto's CloudFormation creates an ECS cluster without its settings, a task definition without its CPU, "
    "network mode, compatibilities, roles and runtime platform, and a service on EC2 without its network "
    "configuration (0 tasks when DesiredCount is left out; AWS: 1)"
)
#: A service created without DesiredCount runs this many tasks.
DEFAULT_DESIRED_COUNT = 1


def _api(value: Any) -> Any:
    """CloudFormation's PascalCase keys as ECS's API spells them (camelCase)."""
    return remap_nested_keys(value, pascal_to_camelcase) if value is not None else None


def _name(value: Any) -> str:
    """A cluster or task definition given as the resource moto resolved a ``Ref`` to, or as its name or ARN."""
    if isinstance(value, Cluster):
        return value.name
    if isinstance(value, TaskDefinition):
        return f"{value.family}:{value.revision}"
    return str(value)


def _cluster(
    cls: type[Cluster], resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Cluster:
    properties = cloudformation_json.get("Properties", {})
    return ecs_backends[account_id][region_name].create_cluster(
        cluster_name=resource_name,
        tags=_api(properties.get("Tags")),
        cluster_settings=_api(properties.get("ClusterSettings")),
        configuration=_api(properties.get("Configuration")),
        capacity_providers=properties.get("CapacityProviders"),
        default_capacity_provider_strategy=_api(properties.get("DefaultCapacityProviderStrategy")),
    )


def _register(properties: dict[str, Any], account_id: str, region_name: str) -> TaskDefinition:
    from moto.moto_api._internal import mock_random

    return ecs_backends[account_id][region_name].register_task_definition(
        family=properties.get("Family", f"task-definition-{int(mock_random.random() * 10**6)}"),
        container_definitions=_api(properties.get("ContainerDefinitions", [])),
        volumes=_api(properties.get("Volumes", [])),
        network_mode=properties.get("NetworkMode"),
        tags=_api(properties.get("Tags")),
        placement_constraints=_api(properties.get("PlacementConstraints")),
        requires_compatibilities=properties.get("RequiresCompatibilities"),
        cpu=properties.get("Cpu"),
        memory=properties.get("Memory"),
        task_role_arn=properties.get("TaskRoleArn"),
        execution_role_arn=properties.get("ExecutionRoleArn"),
        proxy_configuration=_api(properties.get("ProxyConfiguration")),
        inference_accelerators=_api(properties.get("InferenceAccelerators")),
        runtime_platform=_api(properties.get("RuntimePlatform")),
        ipc_mode=properties.get("IpcMode"),
        pid_mode=properties.get("PidMode"),
        ephemeral_storage=_api(properties.get("EphemeralStorage")),
    )


def _task_definition(
    cls: type[TaskDefinition],
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> TaskDefinition:
    return _register(cloudformation_json.get("Properties", {}), account_id, region_name)


def _task_definition_update(
    cls: type[TaskDefinition],
    original_resource: TaskDefinition,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> TaskDefinition:
    # Any change to a task definition replaces it with a new revision (every property needs replacement).
    backend = ecs_backends[account_id][region_name]
    backend.deregister_task_definition(original_resource.arn)
    return _register(cloudformation_json.get("Properties", {}), account_id, region_name)


def _service(
    cls: type[Service], resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Service:
    properties = cloudformation_json["Properties"]
    desired = properties.get("DesiredCount")
    return ecs_backends[account_id][region_name].create_service(
        _name(properties["Cluster"]),
        resource_name,
        DEFAULT_DESIRED_COUNT if desired is None else int(desired),
        task_definition_str=_name(properties["TaskDefinition"]) if "TaskDefinition" in properties else None,
        load_balancers=_api(properties.get("LoadBalancers")),
        scheduling_strategy=properties.get("SchedulingStrategy"),
        tags=_api(properties.get("Tags")),
        deployment_controller=_api(properties.get("DeploymentController")),
        launch_type=properties.get("LaunchType"),
        service_registries=_api(properties.get("ServiceRegistries")),
        platform_version=properties.get("PlatformVersion"),
        propagate_tags=properties.get("PropagateTags", "NONE"),
        network_configuration=_api(properties.get("NetworkConfiguration")),
        role_arn=properties.get("Role"),
    )


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    for model, method, function in (
        (Cluster, "create_from_cloudformation_json", _cluster),
        (TaskDefinition, "create_from_cloudformation_json", _task_definition),
        (TaskDefinition, "update_from_cloudformation_json", _task_definition_update),
        (Service, "create_from_cloudformation_json", _service),
    ):
        stack.enter_context(mock.patch.object(model, method, classmethod(function)))
