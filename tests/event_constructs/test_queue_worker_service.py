"""QueueWorkerService: the worker's environment, its least-privilege roles, backlog-per-task scaling, the network
made when none is given, the cdk-nag findings it leaves (none) and acknowledges, and every prop it refuses."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from cfnlint.api import ManualArgs, lint_file

from event_constructs import EventQueue, InvalidPropsError, QueueWorkerService
from event_constructs.queue_worker_service import NETWORK_ID
from event_runtime.environment import WorkerSettings

IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")
COMMAND = ["python", "-m", "jobs.worker"]


def logical_id(construct: Any) -> str:
    child = construct.node.default_child or construct
    return cast(str, cdk.Stack.of(construct).resolve(cdk.Stack.of(construct).get_logical_id(child)))


@dataclass
class Built:
    """One synthesized app, with cdk-nag's AwsSolutions and Serverless packs, of the workers below."""

    template: dict[str, Any]
    report: dict[str, Any]
    workers: dict[str, QueueWorkerService]
    table: dynamodb.TableV2
    bucket: s3.IBucket

    def resource(self, construct: Any) -> dict[str, Any]:
        return cast(dict[str, Any], self.template["Resources"][logical_id(construct)])

    def props(self, construct: Any) -> dict[str, Any]:
        return cast(dict[str, Any], self.resource(construct)["Properties"])

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.template["Resources"].items() if r["Type"] == resource_type}

    def container(self, worker: str) -> dict[str, Any]:
        (container,) = self.props(self.workers[worker].task_definition)["ContainerDefinitions"]
        return cast(dict[str, Any], container)

    def environment(self, worker: str) -> dict[str, Any]:
        return {v["Name"]: v["Value"] for v in self.container(worker)["Environment"]}

    def statements(self, role: iam.IRole) -> list[dict[str, Any]]:
        (policy,) = [
            r["Properties"]["PolicyDocument"]
            for r in self.of_type("AWS::IAM::Policy").values()
            if {"Ref": logical_id(role)} in r["Properties"]["Roles"]
        ]
        return cast(list[dict[str, Any]], policy["Statement"])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("queue-worker-service")))
    stack = cdk.Stack(app, "Workers")
    jobs = EventQueue(
        stack, "Jobs", queue_name="jobs", visibility_timeout=cdk.Duration.minutes(2), max_receive_count=20
    )
    table = dynamodb.TableV2(
        stack, "Attempts", partition_key=dynamodb.Attribute(name="message_key", type=dynamodb.AttributeType.STRING)
    )
    bucket = s3.Bucket.from_bucket_name(stack, "Archive", "archive")  # the user's own resource
    password = ssm.StringParameter.from_secure_string_parameter_attributes(
        stack, "Password", parameter_name="/jobs/password"
    )
    workers = {
        "Scaling": QueueWorkerService(
            stack,
            "Scaling",
            queue=jobs,
            image=IMAGE,
            command=COMMAND,
            environment={"GREETING": "hello"},
            secrets={"PASSWORD": ecs.Secret.from_ssm_parameter(password)},
            cpu=1024,
            memory_limit_mib=4096,
            cpu_architecture=ecs.CpuArchitecture.ARM64,
            min_task_count=2,
            max_task_count=10,
            time_per_message=cdk.Duration.seconds(10),
            concurrency=4,
            batch_size=4,
            heartbeat=cdk.Duration.seconds(30),
            max_in_hand=cdk.Duration.hours(2),
            drain_deadline=cdk.Duration.seconds(45),
            stop_timeout=cdk.Duration.seconds(60),
            max_attempts=8,
            attempts_table=table,
        ),
        "Fixed": QueueWorkerService(
            stack, "Fixed", queue=EventQueue(stack, "Reports", queue_name="reports"), image=IMAGE, command=COMMAND
        ),
        "FromEcr": QueueWorkerService(
            stack,
            "FromEcr",
            queue=EventQueue(stack, "Builds", queue_name="builds"),
            image=ecs.ContainerImage.from_ecr_repository(
                ecr.Repository.from_repository_name(stack, "Repository", "builds"), tag="1.0"
            ),
            command=COMMAND,
        ),
    }
    iam.Grant.add_to_principal(
        grantee=workers["Fixed"].grantee, actions=["s3:GetObject"], resource_arns=[bucket.arn_for_objects("today.json")]
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    directory = Path(app.outdir)
    with contextlib.suppress(RuntimeError):  # nag findings abort synth; the template and the report are written
        app.synth()
    report = directory / "validation-report.json"
    return Built(
        template=json.loads((directory / "Workers.template.json").read_text()),
        report=json.loads(report.read_text()) if report.exists() else {},
        workers=workers,
        table=table,
        bucket=bucket,
    )


# --- the container ---------------------------------------------------------------------------------------------------


def test_the_environment_is_the_worker_settings_and_the_extra_variables(built: Built) -> None:
    worker = built.workers["Scaling"]
    environment = built.environment("Scaling")
    assert set(environment) == {*WorkerSettings.variables().values(), "GREETING"}
    assert environment == {
        "QUEUE_URL": {"Ref": logical_id(worker.queue.queue)},
        "DEAD_LETTER_QUEUE_URL": {"Ref": logical_id(worker.queue.dead_letter_queue)},
        "MAX_ATTEMPTS": "8",
        "MAX_RECEIVE_COUNT": "20",
        "ATTEMPTS_TABLE": {"Ref": logical_id(built.table)},
        "VISIBILITY_TIMEOUT_SECONDS": "120",
        "HEARTBEAT_SECONDS": "30",
        "MAX_IN_HAND_SECONDS": "7200",
        "DRAIN_SECONDS": "45",
        "CONCURRENCY": "4",
        "BATCH_SIZE": "4",
        "GREETING": "hello",
    }
    (secret,) = built.container("Scaling")["Secrets"]
    assert secret["Name"] == "PASSWORD"


def test_the_defaults_give_a_heartbeat_of_a_third_of_the_visibility_and_drain_before_the_stop(built: Built) -> None:
    environment = built.environment("Fixed")
    assert environment["VISIBILITY_TIMEOUT_SECONDS"] == "30" and environment["HEARTBEAT_SECONDS"] == "10"
    assert environment["MAX_ATTEMPTS"] == environment["MAX_RECEIVE_COUNT"] == "5"  # no attempts table: receives
    assert "ATTEMPTS_TABLE" not in environment
    assert int(environment["DRAIN_SECONDS"]) < built.container("Fixed")["StopTimeout"] == 120


def test_the_container_runs_the_command_and_logs_to_its_group_with_a_retention(built: Built) -> None:
    worker = built.workers["Scaling"]
    container = built.container("Scaling")
    assert (container["Command"], container["StopTimeout"], container["Essential"]) == (COMMAND, 60, True)
    assert container["Image"] == "public.ecr.aws/docker/library/python:3.13-slim"
    options = container["LogConfiguration"]["Options"]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"
    assert options["awslogs-group"] == {"Ref": logical_id(worker.log_group)}
    assert built.resource(worker.log_group)["Properties"]["RetentionInDays"] == 30
    assert built.resource(worker.log_group)["DeletionPolicy"] == "Delete"


def test_the_task_is_the_fargate_size_and_cpu_asked_for(built: Built) -> None:
    task = built.props(built.workers["Scaling"].task_definition)
    assert (task["Cpu"], task["Memory"], task["NetworkMode"], task["RequiresCompatibilities"]) == (
        "1024",
        "4096",
        "awsvpc",
        ["FARGATE"],
    )
    assert task["RuntimePlatform"] == {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
    fixed = built.props(built.workers["Fixed"].task_definition)
    assert (fixed["Cpu"], fixed["Memory"], fixed["RuntimePlatform"]["CpuArchitecture"]) == ("256", "512", "X86_64")


# --- least privilege -------------------------------------------------------------------------------------------------


def test_the_task_role_consumes_the_queue_dead_letters_and_counts_attempts_and_nothing_else(built: Built) -> None:
    worker = built.workers["Scaling"]
    assert built.statements(worker.task_role) == [
        {
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            ],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [logical_id(worker.queue.queue), "Arn"]},
        },
        {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [logical_id(worker.queue.dead_letter_queue), "Arn"]},
        },
        {
            "Action": "dynamodb:UpdateItem",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [logical_id(built.table), "Arn"]},
        },
    ]


def test_only_ecs_tasks_of_this_account_may_assume_the_task_role(built: Built) -> None:
    role = built.props(built.workers["Fixed"].task_role)
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "ManagedPolicyArns" not in role


def test_the_grantee_is_the_task_role(built: Built) -> None:
    worker = built.workers["Fixed"]
    assert worker.grantee is worker.task_role
    assert built.statements(worker.task_role)[-1]["Action"] == "s3:GetObject"  # what the test granted the grantee


def test_the_execution_role_may_write_its_logs_and_pull_its_image_only(built: Built) -> None:
    fixed, ecr_worker = built.workers["Fixed"], built.workers["FromEcr"]
    assert built.statements(fixed.execution_role) == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [logical_id(fixed.log_group), "Arn"]},
        }
    ]
    actions = sorted(json.dumps(s["Action"]) for s in built.statements(ecr_worker.execution_role))
    assert actions == sorted(
        [
            json.dumps(["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]),
            json.dumps("ecr:GetAuthorizationToken"),
            json.dumps(["logs:CreateLogStream", "logs:PutLogEvents"]),
        ]
    )
    secrets = [s for s in built.statements(built.workers["Scaling"].execution_role) if "ssm" in json.dumps(s)]
    assert [s["Action"] for s in secrets] == [
        ["ssm:DescribeParameters", "ssm:GetParameters", "ssm:GetParameter", "ssm:GetParameterHistory"]
    ]


# --- scaling ---------------------------------------------------------------------------------------------------------


def test_it_tracks_backlog_per_task_visible_messages_over_running_tasks(built: Built) -> None:
    worker = built.workers["Scaling"]
    assert worker.acceptable_backlog_per_task == 120.0  # 5 minutes x 4 at once / 10 s each
    assert worker.scaling_policy is not None
    policy = built.props(worker.scaling_policy)
    configuration = policy["TargetTrackingScalingPolicyConfiguration"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert (configuration["TargetValue"], configuration["ScaleOutCooldown"], configuration["ScaleInCooldown"]) == (
        120,
        60,
        300,
    )
    visible, running, backlog = configuration["CustomizedMetricSpecification"]["Metrics"]
    assert visible["MetricStat"] == {
        "Metric": {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [
                {"Name": "QueueName", "Value": {"Fn::GetAtt": [logical_id(worker.queue.queue), "QueueName"]}}
            ],
        },
        "Stat": "Sum",
    }
    assert running["MetricStat"]["Metric"]["Namespace"] == "ECS/ContainerInsights"
    assert running["MetricStat"]["Metric"]["MetricName"] == "RunningTaskCount"
    assert [d["Name"] for d in running["MetricStat"]["Metric"]["Dimensions"]] == ["ClusterName", "ServiceName"]
    assert running["MetricStat"]["Stat"] == "Average"
    assert (visible["ReturnData"], running["ReturnData"]) == (False, False)
    assert backlog == {
        "Id": "backlog_per_task",
        "Label": "Backlog per task",
        "Expression": f"{visible['Id']} / {running['Id']}",
        "ReturnData": True,
    }
    (target,) = built.of_type("AWS::ApplicationAutoScaling::ScalableTarget")
    assert policy["ScalingTargetId"] == {"Ref": target}
    target_props = built.template["Resources"][target]["Properties"]
    assert (target_props["MinCapacity"], target_props["MaxCapacity"]) == (2, 10)
    assert target_props["ScalableDimension"] == "ecs:service:DesiredCount"


def test_a_scaling_service_leaves_its_desired_count_to_the_policy_and_a_fixed_one_runs_its_count(built: Built) -> None:
    assert "DesiredCount" not in built.props(built.workers["Scaling"].service)
    assert built.props(built.workers["Fixed"].service)["DesiredCount"] == 1
    fixed = built.workers["Fixed"]
    assert (fixed.scaling, fixed.scaling_policy, fixed.acceptable_backlog_per_task) == (None, None, None)
    assert len(built.of_type("AWS::ApplicationAutoScaling::ScalingPolicy")) == 1


def test_a_backlog_per_task_can_be_given_directly() -> None:
    stack = cdk.Stack(cdk.App(), "Direct")
    queue = EventQueue(stack, "Jobs", queue_name="jobs")
    worker = QueueWorkerService(
        stack, "Worker", queue=queue, image=IMAGE, command=COMMAND, max_task_count=3, acceptable_backlog_per_task=25
    )
    assert worker.acceptable_backlog_per_task == 25
    quick = QueueWorkerService(
        stack,
        "Quick",
        queue=queue,
        image=IMAGE,
        command=COMMAND,
        max_task_count=3,
        time_per_message=cdk.Duration.millis(500),
    )
    assert quick.acceptable_backlog_per_task == 600  # 5 minutes / 0.5 s
    Template.from_stack(stack).has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {"TargetTrackingScalingPolicyConfiguration": Match.object_like({"TargetValue": 25})},
    )


def test_deployments_start_new_tasks_first_and_roll_back_when_they_keep_failing(built: Built) -> None:
    deployment = built.props(built.workers["Fixed"].service)["DeploymentConfiguration"]
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert (deployment["MinimumHealthyPercent"], deployment["MaximumPercent"]) == (100, 200)


def test_an_existing_queue_is_worked_on_with_the_same_grants() -> None:
    from aws_cdk import aws_sqs as sqs

    stack = cdk.Stack(cdk.App(), "Existing")
    arn = "arn:aws:sqs:us-east-1:111122223333:{}"
    queue = EventQueue.from_existing(
        stack,
        "Jobs",
        queue=sqs.Queue.from_queue_arn(stack, "Queue", arn.format("jobs")),
        dead_letter_queue=sqs.Queue.from_queue_arn(stack, "DeadLetterQueue", arn.format("jobs-dlq")),
        visibility_timeout=cdk.Duration.minutes(5),
        max_receive_count=10,
    )
    worker = QueueWorkerService(stack, "Worker", queue=queue, image=IMAGE, command=COMMAND)
    assert (worker.settings.visibility_timeout_seconds, worker.settings.heartbeat_seconds) == (300, 100)
    assert worker.settings.max_attempts == 10
    statements = Template.from_stack(stack).to_json()["Resources"][
        logical_id(worker.task_role.node.find_child("DefaultPolicy"))
    ]
    resources = [s["Resource"] for s in statements["Properties"]["PolicyDocument"]["Statement"]]
    assert resources == [arn.format("jobs"), arn.format("jobs-dlq")]


# --- the network -----------------------------------------------------------------------------------------------------


def test_workers_given_no_network_share_one_vpc_without_nat_and_a_cluster_with_container_insights(built: Built) -> None:
    assert len(built.of_type("AWS::EC2::VPC")) == 1
    assert built.of_type("AWS::EC2::NatGateway") == {}
    subnets = built.of_type("AWS::EC2::Subnet").values()
    assert len(subnets) == 2 and all(s["Properties"]["MapPublicIpOnLaunch"] for s in subnets)
    (cluster,) = built.of_type("AWS::ECS::Cluster").values()
    assert cluster["Properties"]["ClusterSettings"] == [{"Name": "containerInsights", "Value": "enabled"}]
    assert len(built.of_type("Custom::VpcRestrictDefaultSG")) == 1  # the default security group has no rules
    (flow_log,) = built.of_type("AWS::EC2::FlowLog").values()
    assert (flow_log["Properties"]["TrafficType"], flow_log["Properties"]["LogDestinationType"]) == (
        "ALL",
        "cloud-watch-logs",
    )
    clusters = {built.props(w.service)["Cluster"]["Ref"] for w in built.workers.values()}
    assert len(clusters) == 1


def test_tasks_get_a_public_ip_behind_a_group_with_no_inbound_and_https_out_only(built: Built) -> None:
    worker = built.workers["Fixed"]
    network = built.props(worker.service)["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "ENABLED"
    assert network["SecurityGroups"] == [{"Fn::GetAtt": [logical_id(worker.security_group), "GroupId"]}]
    group = built.props(worker.security_group)
    assert "SecurityGroupIngress" not in group
    assert built.of_type("AWS::EC2::SecurityGroupIngress") == {}
    assert [(e["CidrIp"], e["IpProtocol"], e["FromPort"], e["ToPort"]) for e in group["SecurityGroupEgress"]] == [
        ("0.0.0.0/0", "tcp", 443, 443)
    ]


def test_the_service_starts_once_the_subnets_route_to_the_internet(built: Built) -> None:
    depends_on = built.resource(built.workers["Fixed"].service)["DependsOn"]
    routes = [k for k in built.of_type("AWS::EC2::Route")]
    assert set(routes) <= set(depends_on)


def test_your_vpc_gets_a_cluster_and_the_tasks_run_in_its_private_subnets_without_a_public_ip() -> None:
    stack = cdk.Stack(cdk.App(), "Own")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    worker = QueueWorkerService(
        stack, "Worker", queue=EventQueue(stack, "Jobs", queue_name="jobs"), image=IMAGE, command=COMMAND, vpc=vpc
    )
    template = Template.from_stack(stack)
    assert stack.node.try_find_child(NETWORK_ID) is None
    template.resource_count_is("AWS::EC2::VPC", 1)
    template.has_resource_properties(
        "AWS::ECS::Cluster", {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]}
    )
    network = template.to_json()["Resources"][logical_id(worker.service)]["Properties"]["NetworkConfiguration"]
    subnets = [stack.resolve(s.subnet_id) for s in vpc.private_subnets]
    assert network["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    assert network["AwsvpcConfiguration"]["Subnets"] == subnets


def test_your_cluster_is_used_as_it_is() -> None:
    stack = cdk.Stack(cdk.App(), "Own")
    cluster = ecs.Cluster(
        stack, "Cluster", vpc=ec2.Vpc(stack, "Vpc", max_azs=2), container_insights_v2=ecs.ContainerInsights.ENHANCED
    )
    worker = QueueWorkerService(
        stack,
        "Worker",
        queue=EventQueue(stack, "Jobs", queue_name="jobs"),
        image=IMAGE,
        command=COMMAND,
        cluster=cluster,
        assign_public_ip=True,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
    )
    assert worker.cluster is cluster
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::ECS::Cluster", 1)
    service = template.to_json()["Resources"][logical_id(worker.service)]["Properties"]
    assert service["Cluster"] == {"Ref": logical_id(cluster)}
    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "ENABLED"


# --- cdk-nag ---------------------------------------------------------------------------------------------------------


def acknowledged(construct: Any) -> dict[str, str]:
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    return {
        rule.split("::", 1)[-1]: reason
        for entry in construct.node.metadata
        if entry.type == key
        for rule, reason in dict(entry.data).items()
    }


def test_cdk_nag_finds_nothing_left_to_acknowledge(built: Built) -> None:
    violations = [
        (violation["ruleName"], construct["constructPath"])
        for plugin in built.report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]
    assert built.report, "cdk-nag ran and wrote its report"
    assert violations == []


def test_it_acknowledges_the_plain_environment_and_ecrs_token_each_with_its_reason(built: Built) -> None:
    fixed, ecr_worker = built.workers["Fixed"], built.workers["FromEcr"]
    assert list(acknowledged(fixed.task_definition)) == ["AwsSolutions-ECS2"]
    assert "none of them secret" in acknowledged(fixed.task_definition)["AwsSolutions-ECS2"]
    assert acknowledged(fixed.execution_role) == {}  # a registry image: nothing to acknowledge
    reason = acknowledged(ecr_worker.execution_role)["AwsSolutions-IAM5[Resource::*]"]
    assert "ecr:GetAuthorizationToken" in reason


# --- refusals --------------------------------------------------------------------------------------------------------


def worker(queue_props: dict[str, Any] | None = None, **props: Any) -> QueueWorkerService:
    stack = cdk.Stack(cdk.App(), "Refused")
    queue = EventQueue(
        stack, "Jobs", queue_name="jobs", **{"visibility_timeout": cdk.Duration.minutes(2), **(queue_props or {})}
    )
    return QueueWorkerService(stack, "Worker", queue=queue, **{"image": IMAGE, "command": COMMAND, **props})


SECONDS = cdk.Duration.seconds
REFUSED: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    (
        {},
        {"drain_deadline": SECONDS(60), "stop_timeout": SECONDS(60)},
        "stop_timeout (60 s) must be above drain_deadline (60 s)",
    ),
    (
        {},
        {"drain_deadline": SECONDS(30), "stop_timeout": SECONDS(121)},
        "stop_timeout is 121 s; Fargate allows at most 120 s",
    ),
    ({}, {"heartbeat": SECONDS(61)}, "HEARTBEAT_SECONDS (61) must be at most half of VISIBILITY_TIMEOUT_SECONDS (120)"),
    (
        {"visibility_timeout": SECONDS(1)},
        {},
        "HEARTBEAT_SECONDS (1) must be at most half of VISIBILITY_TIMEOUT_SECONDS (1)",
    ),
    ({}, {"max_in_hand": cdk.Duration.hours(13)}, "MAX_IN_HAND_SECONDS (46800) must be at most 43200"),
    ({}, {"batch_size": 11}, "BATCH_SIZE (11) must be at most 10"),
    ({}, {"batch_size": 0}, "batch_size is 0; use 1 to 10"),
    ({}, {"concurrency": 0}, "concurrency is 0; use 1 or more"),
    ({}, {"min_task_count": 0, "max_task_count": 0}, "min_task_count is 0; use 1 or more"),
    ({}, {"min_task_count": 3, "max_task_count": 2}, "max_task_count (2) is below min_task_count (3)"),
    ({}, {"max_task_count": 4}, "give time_per_message"),
    (
        {},
        {"max_task_count": 4, "time_per_message": SECONDS(1), "acceptable_backlog_per_task": 10},
        "give acceptable_backlog_per_task, or time_per_message (with acceptable_latency), not both",
    ),
    ({}, {"max_task_count": 4, "acceptable_backlog_per_task": 0}, "acceptable_backlog_per_task is 0"),
    ({}, {"time_per_message": SECONDS(1)}, "time_per_message only matter(s) to scaling"),
    ({}, {"environment": {"QUEUE_URL": "x", "BATCH_SIZE": "3"}}, "environment names BATCH_SIZE, QUEUE_URL"),
    ({}, {"secrets": "CONCURRENCY"}, "secrets names CONCURRENCY"),  # the secret is made in the test
    ({}, {"cpu": 300}, "cpu is 300; Fargate offers 256, 512"),
    ({}, {"cpu": 1024, "memory_limit_mib": 1024}, "with cpu 1024 Fargate offers 2048 to 8192 MiB in steps of 1024 MiB"),
    ({}, {"memory_limit_mib": 4096}, "with cpu 256 Fargate offers 512, 1024, 2048 MiB"),
    ({}, {"command": []}, "command is []"),
    ({}, {"command": "python -m jobs.worker"}, "give the program and its arguments as a list"),
    ({}, {"max_attempts": 6}, "max_attempts is 6 but queue jobs moves a message to its DLQ after 5 receives"),
    ({}, {"heartbeat": cdk.Duration.millis(1500)}, "heartbeat is 1.5 s; use whole seconds"),
    (
        {},
        {"vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC)},
        "vpc_subnets needs your vpc or cluster",
    ),
    ({}, {"assign_public_ip": False}, "drop assign_public_ip=False"),
]


@pytest.mark.parametrize(("queue_props", "props", "message"), REFUSED, ids=[m for *_, m in REFUSED])
def test_refused_props(queue_props: dict[str, Any], props: dict[str, Any], message: str) -> None:
    if "secrets" in props:
        props = {**props, "secrets": {props["secrets"]: ecs.Secret.from_ssm_parameter(_parameter())}}
    with pytest.raises(InvalidPropsError) as raised:
        worker(queue_props, **props)
    assert message in str(raised.value)


def _parameter() -> ssm.IParameter:
    return ssm.StringParameter.from_string_parameter_name(cdk.Stack(cdk.App(), "Parameters"), "P", "/p")


def test_with_an_attempts_table_the_queues_max_receive_count_must_be_a_backstop() -> None:
    stack = cdk.Stack(cdk.App(), "Refused")
    queue = EventQueue(
        stack, "Jobs", queue_name="jobs", visibility_timeout=cdk.Duration.minutes(2), max_receive_count=15
    )
    table = dynamodb.TableV2(
        stack, "Attempts", partition_key=dynamodb.Attribute(name="message_key", type=dynamodb.AttributeType.STRING)
    )
    with pytest.raises(InvalidPropsError) as raised:
        QueueWorkerService(stack, "Worker", queue=queue, image=IMAGE, command=COMMAND, attempts_table=table)
    assert "at least 2 x max_attempts (8) = 16" in str(raised.value)


def test_a_cluster_and_a_vpc_together_are_refused_and_so_is_a_cluster_without_container_insights() -> None:
    stack = cdk.Stack(cdk.App(), "Refused")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.DISABLED)
    queue = EventQueue(stack, "Jobs", queue_name="jobs")
    with pytest.raises(InvalidPropsError) as raised:
        QueueWorkerService(stack, "Worker", queue=queue, image=IMAGE, command=COMMAND, cluster=cluster, vpc=vpc)
    assert [p.split(";")[0].split(",")[0] for p in raised.value.problems] == [
        "give cluster or vpc",
        "cluster Refused/Cluster has Container Insights off",
    ]


def test_a_cluster_that_leaves_container_insights_to_the_account_is_warned_about() -> None:
    stack = cdk.Stack(cdk.App(), "Warned")
    cluster = ecs.Cluster(stack, "Cluster", vpc=ec2.Vpc(stack, "Vpc", max_azs=2))
    queue = EventQueue(stack, "Jobs", queue_name="jobs")
    QueueWorkerService(stack, "Worker", queue=queue, image=IMAGE, command=COMMAND, cluster=cluster)
    warnings = cdk.assertions.Annotations.from_stack(stack).find_warning(
        "/Warned/Worker", Match.string_like_regexp("Container Insights")
    )
    assert len(warnings) == 1


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidPropsError) as raised:
        worker(
            heartbeat=cdk.Duration.seconds(90),
            stop_timeout=cdk.Duration.seconds(30),
            drain_deadline=cdk.Duration.seconds(30),
            batch_size=12,
            concurrency=0,
            max_task_count=5,
            environment={"DRAIN_SECONDS": "1"},
        )
    assert len(raised.value.problems) == 6, raised.value.problems


def test_cfn_lint_finds_nothing(built: Built, tmp_path: Path) -> None:
    template = tmp_path / "Workers.template.json"
    template.write_text(json.dumps(built.template))
    assert [str(match) for match in lint_file(template, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))] == []
