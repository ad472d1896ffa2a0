"""A stack of event_constructs.QueueWorkerService, deployed with the cdk CLI into the local cloud next to the app:
every resource is created (VPC, flow log, cluster, task definition, service, scaling, alarms), and ECS describes the
service and its task definition as the template declares them, the worker's command and environment included.

The local cloud runs no container: what runs the worker's command is the local cloud's business, not this test's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ecs as ecs
from constructs import IConstruct

from event_constructs import EventMonitoring, EventQueue, QueueWorkerService
from localcloud.deploy import deploy_assembly, missing_resources
from tests.e2e.system import DeployedSystem

STACK_NAME = "library-queue-worker"
COMMAND = ["python", "-m", "jobs.worker"]


@dataclass
class Deployed:
    """The deployed stack's physical ids by construct, and the constructs it was synthesized from."""

    ids: dict[str, str]
    stack: cdk.Stack
    worker: QueueWorkerService

    def id_of(self, construct: IConstruct) -> str:
        child = construct.node.default_child or construct
        return self.ids[self.stack.resolve(self.stack.get_logical_id(child))]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def deployed(system: DeployedSystem, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    out = Path(tmp_path_factory.mktemp("queue-worker")) / "cdk.out"
    app = cdk.App(outdir=str(out))
    stack = cdk.Stack(app, "QueueWorker", stack_name=STACK_NAME)
    jobs = EventQueue(
        stack,
        "Jobs",
        queue_name="library-worker-jobs",
        visibility_timeout=cdk.Duration.minutes(2),
        max_receive_count=20,
    )
    attempts = dynamodb.TableV2(
        stack, "Attempts", partition_key=dynamodb.Attribute(name="message_key", type=dynamodb.AttributeType.STRING)
    )
    worker = QueueWorkerService(
        stack,
        "Worker",
        queue=jobs,
        image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim"),
        command=COMMAND,
        environment={"GREETING": "hello"},
        max_task_count=3,
        time_per_message=cdk.Duration.seconds(10),
        attempts_table=attempts,
    )
    EventMonitoring(stack, "Monitoring", dashboard_name="library-worker").watch(stack)
    app.synth()
    deploy_assembly(system.settings, out)
    assert missing_resources(system.settings, out) == {}
    summaries = system.client("cloudformation").list_stack_resources(StackName=STACK_NAME)["StackResourceSummaries"]
    return Deployed({s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}, stack, worker)


def _service(system: DeployedSystem, deployed: Deployed) -> dict[str, Any]:
    (service,) = system.client("ecs").describe_services(
        cluster=deployed.id_of(deployed.worker.cluster), services=[deployed.id_of(deployed.worker.service)]
    )["services"]
    return dict(service)


def test_the_service_runs_its_fargate_task_in_public_subnets_behind_its_group(
    system: DeployedSystem, deployed: Deployed
) -> None:
    service = _service(system, deployed)
    assert (service["launchType"], service["desiredCount"]) == ("FARGATE", 1)
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    assert (network["assignPublicIp"], network["securityGroups"]) == (
        "ENABLED",
        [deployed.id_of(deployed.worker.security_group)],
    )
    (group,) = system.client("ec2").describe_security_groups(GroupIds=network["securityGroups"])["SecurityGroups"]
    assert group["IpPermissions"] == []
    assert [(r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in group["IpPermissionsEgress"]] == [("tcp", 443, 443)]
    (cluster,) = system.client("ecs").describe_clusters(
        clusters=[deployed.id_of(deployed.worker.cluster)], include=["SETTINGS"]
    )["clusters"]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]


def test_the_task_definition_holds_the_workers_command_and_environment(
    system: DeployedSystem, deployed: Deployed
) -> None:
    task = system.client("ecs").describe_task_definition(taskDefinition=_service(system, deployed)["taskDefinition"])[
        "taskDefinition"
    ]
    (container,) = task["containerDefinitions"]
    assert (container["command"], container["stopTimeout"]) == (COMMAND, 120)
    environment = {variable["name"]: variable["value"] for variable in container["environment"]}
    assert environment["QUEUE_URL"].endswith("/library-worker-jobs")
    assert environment == {
        "QUEUE_URL": deployed.id_of(deployed.worker.queue.queue),  # Ref of a queue: its URL
        "DEAD_LETTER_QUEUE_URL": deployed.id_of(deployed.worker.queue.dead_letter_queue),
        "MAX_ATTEMPTS": "8",
        "MAX_RECEIVE_COUNT": "20",
        "ATTEMPTS_TABLE": deployed.id_of(deployed.worker.attempts_table),  # type: ignore[arg-type]
        "VISIBILITY_TIMEOUT_SECONDS": "120",
        "HEARTBEAT_SECONDS": "40",
        "MAX_IN_HAND_SECONDS": "3600",
        "DRAIN_SECONDS": "90",
        "CONCURRENCY": "1",
        "BATCH_SIZE": "1",
        "GREETING": "hello",
    }
    assert (task["cpu"], task["memory"], task["networkMode"]) == ("256", "512", "awsvpc")
    assert task["taskRoleArn"].endswith(deployed.id_of(deployed.worker.task_role))
    assert container["logConfiguration"]["options"]["awslogs-group"] == deployed.id_of(deployed.worker.log_group)


def test_the_task_count_scales_on_backlog_per_task_and_an_alarm_watches_for_no_task_running(
    system: DeployedSystem, deployed: Deployed
) -> None:
    scaling = system.client("application-autoscaling")
    service_name = deployed.id_of(deployed.worker.service).rsplit("/", 1)[-1]  # Ref of a service is its ARN
    resource_id = f"service/{deployed.id_of(deployed.worker.cluster)}/{service_name}"
    (target,) = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource_id])["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 3)
    (policy,) = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource_id)["ScalingPolicies"]
    configuration = policy["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["TargetValue"] == 30  # 5 minutes / 10 s per message
    assert [m.get("Expression") for m in configuration["CustomizedMetricSpecification"]["Metrics"]] == [
        None,
        None,
        "visible / running",
    ]
    alarms = system.client("cloudwatch").describe_alarms(AlarmNamePrefix="library-worker-")["MetricAlarms"]
    assert any(alarm["AlarmName"].endswith("NoTaskRunning-Warning") for alarm in alarms)


def test_the_vpcs_default_security_group_has_no_rules(system: DeployedSystem, deployed: Deployed) -> None:
    vpc = next(
        v for k, v in deployed.ids.items() if k.startswith("QueueWorkerServiceNetworkVpc") and v.startswith("vpc-")
    )
    (default,) = system.client("ec2").describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    assert (default["IpPermissions"], default["IpPermissionsEgress"]) == ([], [])
