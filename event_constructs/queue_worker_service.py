"""A long-running SQS queue worker on ECS Fargate, scaled on its backlog per task.

For work that does not fit a Lambda consumer: jobs longer than 15 minutes, a process that keeps
state or connections warm, or a worker that holds a message for hours. The worker itself is
:class:`event_runtime.worker.QueueWorker` (or any program that reads
:class:`event_runtime.environment.WorkerSettings`) in the image you give; this construct runs it.

**A plain ``ecs.FargateService``, not ``aws_ecs_patterns.QueueProcessingFargateService``.** The
pattern always adds a step-scaling policy on the queue's absolute depth (its ``scalingSteps`` can be
changed, not removed), which would fight the backlog-per-task target tracking below; it adds a
``QUEUE_NAME`` variable outside the environment contract; its default log driver keeps logs forever;
without a cluster it makes a VPC with a NAT gateway per AZ; and it grants ``grantConsumeMessages``
(with ``sqs:GetQueueUrl``). A plain service makes each of those a decision of this construct.

**The network when you give neither ``cluster`` nor ``vpc``**: one per stack, shared by every
worker in it (VPCs are a scarce quota): a VPC over 2 AZs with public subnets only and no NAT
gateway (NAT costs about 32 USD a month per AZ before data; interface endpoints for SQS, ECR and
CloudWatch Logs cost more, and would not reach another registry); each task gets a public IP to
reach AWS's APIs and the registry, behind a security group with no inbound rule and outbound HTTPS
only, so nothing can reach a task. The VPC's default security group is stripped of its rules (CDK's
``restrict_default_security_group``), its traffic is recorded by a flow log (in a log group with the
first worker's ``log_retention`` and ``removal_policy``), and the ECS cluster has Container Insights,
whose ``RunningTaskCount`` scaling and the no-task alarm read. Give ``vpc`` (tasks in its private
subnets with egress, no public IP) or ``cluster`` to use your own.

**Scaling on backlog per task**, as AWS recommends for queue workers: visible messages divided by
running tasks, tracked against the backlog one task may have, with metric math in the target-tracking
policy itself (no Lambda publishing a custom metric):
https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking-metric-math.html
("Example: Amazon SQS queue backlog per task": ``ApproximateNumberOfMessagesVisible`` of ``AWS/SQS``
over ``RunningTaskCount`` of ``ECS/ContainerInsights``). CDK's ``scale_to_track_custom_metric`` renders a
single metric only (no ``MathExpression``), so the policy is the L1 ``CfnScalingPolicy`` with
``CustomizedMetricSpecification.Metrics``. The acceptable backlog per task is AWS's acceptable latency
over the time one message takes, times the messages a task works on at once (``concurrency``).

Example:
    >>> import aws_cdk as cdk
    >>> from aws_cdk import aws_ecs as ecs
    >>> from event_constructs import EventQueue, QueueWorkerService
    >>> stack = cdk.Stack(cdk.App(), "Example")
    >>> jobs = EventQueue(stack, "Jobs", queue_name="jobs", visibility_timeout=cdk.Duration.minutes(2))
    >>> worker = QueueWorkerService(
    ...     stack, "Worker", queue=jobs, image=ecs.ContainerImage.from_registry("example.com/jobs:1.4.2"),
    ...     command=["python", "-m", "jobs.worker"], max_task_count=8, concurrency=4, batch_size=4,
    ...     time_per_message=cdk.Duration.seconds(20))
    >>> worker.settings.heartbeat_seconds, worker.acceptable_backlog_per_task
    (40, 60.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Acknowledgment, Annotations, Duration, Names, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_applicationautoscaling as applicationautoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from event_constructs._validation import PropsProblems
from event_constructs.cfn_hygiene import drop_implied_dependency
from event_constructs.defaults import CONSUMER, EVERY_CONSTRUCT, WORKER
from event_constructs.event_queue import QueueWithDeadLetterQueue
from event_constructs.queue_consumer import check_attempts
from event_runtime.environment import SQS_MAX_BATCH_SIZE, WorkerSettings, worker_settings_problems

#: Fargate's largest stop timeout: SIGKILL comes at most this long after SIGTERM.
FARGATE_MAX_STOP_TIMEOUT = Duration.seconds(120)
#: Fargate's task sizes: CPU units -> the memory (MiB) each allows.
#: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
FARGATE_TASK_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
#: How soon the policy may add tasks again after adding some, and remove tasks after removing some.
SCALE_OUT_COOLDOWN = Duration.seconds(60)
SCALE_IN_COOLDOWN = Duration.seconds(300)
#: The construct id of the stack's shared network (VPC and cluster) for workers given neither cluster nor vpc.
NETWORK_ID = "QueueWorkerServiceNetwork"
#: The custom resource type by which CDK strips a VPC's default security group of its rules.
RESTRICT_DEFAULT_SG = "Custom::VpcRestrictDefaultSG"
#: Where a worker's logs go in its log group (``<prefix>/<container>/<task id>``).
LOG_STREAM_PREFIX = "worker"
CONTAINER_NAME = "Worker"
#: The period of the metrics scaling reads (SQS and Container Insights publish each minute).
METRIC_PERIOD = Duration.minutes(1)


class QueueWorkerService(Construct):
    """A queue worker in a Fargate service: the queue's messages worked on by long-running tasks.

    The container runs ``command`` with the environment of
    :class:`event_runtime.environment.WorkerSettings`: ``QUEUE_URL``, ``DEAD_LETTER_QUEUE_URL``,
    ``MAX_ATTEMPTS``, ``MAX_RECEIVE_COUNT``, ``ATTEMPTS_TABLE`` (with ``attempts_table``),
    ``VISIBILITY_TIMEOUT_SECONDS`` (the queue's: each heartbeat extends a message in hand by it),
    ``HEARTBEAT_SECONDS``, ``MAX_IN_HAND_SECONDS``, ``DRAIN_SECONDS``, ``CONCURRENCY`` and ``BATCH_SIZE``,
    plus ``environment``. Its logs (the worker's JSON lines) go to a log group with a retention.

    The task role may consume the queue (receive, delete, change visibility, get its attributes), send
    to its DLQ (the worker dead-letters with the reason), update the attempts table, and nothing else:
    grant your own resources to :attr:`grantee`. The execution role may only pull the image (when it is
    in ECR), read ``secrets`` and write to the log group. Deployments start new tasks before stopping old
    ones and roll back when new tasks keep failing. A scaling service leaves its desired count to the
    policy, so that no deployment resets it: CloudFormation creates it with one task, and the policy keeps
    it between ``min_task_count`` and ``max_task_count`` from its first action on.

    Stopping a task (a deployment, a scale-in) sends SIGTERM: the worker finishes or releases what it
    holds within ``drain_deadline``, and ECS kills it ``stop_timeout`` after SIGTERM. A released message
    is received again, which counts as a receive: without an ``attempts_table``, where every receive is an
    attempt, frequent deployments or scale-ins spend attempts.

    Refused at synth, all at once: a ``stop_timeout`` not above ``drain_deadline`` or above Fargate's
    120 s, a queue visibility timeout below 2 x ``heartbeat`` and the other joint checks of
    :func:`event_runtime.environment.worker_settings_problems`, a ``batch_size`` outside 1 to 10,
    ``concurrency`` below 1, task counts that are not 1 <= min <= max, a CPU and memory Fargate does
    not offer, a scaling service without the work's duration, ``environment`` or ``secrets`` naming a
    variable of the contract, ``max_attempts`` the queue's redrive would cut short (or, with an
    attempts table, a ``max_receive_count`` that is no backstop), and a ``cluster`` of this app whose
    Container Insights are off.

    Args:
        queue: the queue to work on, with its DLQ (an :class:`EventQueue`, or one from
            ``EventQueue.from_existing``).
        image: the worker's container image (``ecs.ContainerImage.from_registry``,
            ``from_ecr_repository``...); it must hold the worker and ``event_runtime``.
        command: the container's command, such as ``["python", "-m", "my_package.worker"]``.
        environment: variables besides the contract's. Default: none.
        secrets: variables from Secrets Manager or SSM Parameter Store (the execution role may read
            them). Default: none.
        cpu: the task's CPU units (256 is 0.25 vCPU). Default: 256 (0.25 vCPU).
        memory_limit_mib: the task's memory, one Fargate allows with ``cpu``. Default: 512 MiB.
        cpu_architecture: the CPU the image is built for. Default: X86_64.
        min_task_count: the fewest tasks running (1 or more: backlog per task needs a running task,
            and target tracking cannot start the first). Default: 1.
        max_task_count: the most tasks running; above ``min_task_count`` the service scales on backlog
            per task. Default: 1.
        time_per_message: how long one message takes to work on, on average: with ``acceptable_latency``
            and ``concurrency`` it gives the backlog per task to track. Default: none: give it (or
            ``acceptable_backlog_per_task``) when the service scales.
        acceptable_latency: how long a message may wait for a task, with ``time_per_message``.
            Default: 5 minutes.
        acceptable_backlog_per_task: the visible messages per running task to track, instead of
            ``time_per_message``. Default: none: from ``time_per_message``.
        concurrency: messages (on a FIFO queue, message groups) one task works on at once, each in a
            thread. Default: 1.
        batch_size: messages asked for per receive (1 to 10). Default: 1.
        heartbeat: how often the worker extends the messages it holds; at most half the queue's
            visibility timeout. Default: none: a third of the queue's visibility timeout.
        max_in_hand: the longest the worker keeps a message from its receive (at most 12 hours).
            Default: 1 hour.
        drain_deadline: on SIGTERM, the time to finish what is in hand before releasing the rest.
            Default: 1 minute 30 seconds.
        stop_timeout: how long after SIGTERM ECS kills the container: above ``drain_deadline``, at most
            120 s (Fargate's limit). Default: 2 minutes.
        max_attempts: tries at a message before the worker dead-letters it; without an attempts table at
            most the queue's ``max_receive_count``, with one, the queue's ``max_receive_count`` must be a
            backstop well above it. Default: 8 with an attempts_table; without one, the queue's
            max_receive_count.
        attempts_table: where the worker counts real attempts apart from receives
            (``event_runtime.attempts``). Default: none: every receive is an attempt.
        log_retention: how long the log group keeps the worker's logs. Default: RetentionDays.ONE_MONTH.
        removal_policy: what happens to the log group when it leaves the stack. Default: RemovalPolicy.DESTROY.
        cluster: the ECS cluster to run in (with Container Insights on). Default: none: the stack's
            shared cluster, in ``vpc`` or the stack's shared VPC.
        vpc: the VPC to run in, for a cluster made here. Default: none: the stack's shared VPC (see above).
        vpc_subnets: where the tasks run in your ``vpc`` or ``cluster``. Default: none: its private
            subnets with egress (the public ones in the VPC made here).
        assign_public_ip: whether each task gets a public IP. Default: none: True in the VPC made here
            (it has no NAT gateway), False in yours.

    Attributes:
        service, task_definition, container, cluster, log_group, security_group.
        grantee: the task role: grant it what the worker reaches besides its queue.
        task_role, execution_role.
        connections: the tasks' security group's connections (``connections.allow_to(database, port)``).
        settings: the :class:`~event_runtime.environment.WorkerSettings` in the container's environment.
        scaling: the service's scalable task count, and scaling_policy its backlog-per-task policy
            (both None when ``min_task_count == max_task_count``).
        acceptable_backlog_per_task: the target the policy tracks (None when nothing scales).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queue: QueueWithDeadLetterQueue,
        image: ecs.ContainerImage,
        command: Sequence[str],
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, ecs.Secret] | None = None,
        cpu: int = WORKER.cpu,
        memory_limit_mib: int = WORKER.memory_limit_mib,
        cpu_architecture: ecs.CpuArchitecture | None = None,
        min_task_count: int = WORKER.min_task_count,
        max_task_count: int = WORKER.max_task_count,
        time_per_message: Duration | None = None,
        acceptable_latency: Duration | None = None,
        acceptable_backlog_per_task: float | None = None,
        concurrency: int = WORKER.concurrency,
        batch_size: int = WORKER.batch_size,
        heartbeat: Duration | None = WORKER.heartbeat,
        max_in_hand: Duration | None = None,
        drain_deadline: Duration | None = None,
        stop_timeout: Duration | None = None,
        max_attempts: int | None = None,
        attempts_table: dynamodb.ITable | None = None,
        log_retention: logs.RetentionDays = WORKER.log_retention,
        removal_policy: RemovalPolicy = EVERY_CONSTRUCT.removal_policy,
        cluster: ecs.ICluster | None = None,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        assign_public_ip: bool | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.queue = queue
        self.attempts_table = attempts_table
        if max_attempts is None:
            max_attempts = (
                CONSUMER.max_attempts_with_attempts_table if attempts_table is not None else queue.max_receive_count
            )
        self.max_attempts = max_attempts
        problems = PropsProblems("QueueWorkerService", self.node.path)
        visibility_s = _whole_seconds(
            problems, f"the visibility timeout of queue {queue.queue_name}", queue.visibility_timeout
        )
        if heartbeat is None and visibility_s is not None:
            heartbeat = Duration.seconds(max(1, visibility_s // 3))
        heartbeat_s = _whole_seconds(problems, "heartbeat", heartbeat)
        max_in_hand_s = _whole_seconds(problems, "max_in_hand", max_in_hand or WORKER.max_in_hand)
        drain_s = _whole_seconds(problems, "drain_deadline", drain_deadline or WORKER.drain_deadline)
        stop_s = _whole_seconds(problems, "stop_timeout", stop_timeout or WORKER.stop_timeout)
        self._check_worker(problems, visibility_s, heartbeat_s, max_in_hand_s, drain_s, stop_s, concurrency, batch_size)
        self._check_task(problems, command, environment, secrets, cpu, memory_limit_mib)
        self.acceptable_backlog_per_task = self._check_scaling(
            problems,
            min_task_count,
            max_task_count,
            time_per_message,
            acceptable_latency,
            acceptable_backlog_per_task,
            concurrency,
        )
        self._check_attempts(problems, batch_size)
        self._check_network(problems, cluster, vpc, vpc_subnets, assign_public_ip)
        problems.raise_if_any()
        assert visibility_s and heartbeat_s and max_in_hand_s and drain_s and stop_s  # refused above otherwise

        self.settings = WorkerSettings(
            queue_url=queue.queue_url,
            dead_letter_queue_url=queue.dead_letter_queue.queue_url,
            max_attempts=max_attempts,
            max_receive_count=queue.max_receive_count,
            attempts_table=None if attempts_table is None else attempts_table.table_name,
            visibility_timeout_seconds=visibility_s,
            heartbeat_seconds=heartbeat_s,
            max_in_hand_seconds=max_in_hand_s,
            drain_seconds=drain_s,
            concurrency=concurrency,
            batch_size=batch_size,
        )
        self.cluster, network = self._cluster(cluster, vpc, log_retention, removal_policy)
        made_here = network is not None
        self.log_group = logs.LogGroup(self, "LogGroup", retention=log_retention, removal_policy=removal_policy)
        self.task_role = self._task_role(construct_id)
        self.grantee: iam.IGrantable = self.task_role
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "TaskDefinition",
            cpu=cpu,
            memory_limit_mib=memory_limit_mib,
            task_role=self.task_role,
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
                cpu_architecture=cpu_architecture or ecs.CpuArchitecture.of(WORKER.cpu_architecture),
            ),
        )
        self.container = self.task_definition.add_container(
            CONTAINER_NAME,
            container_name=CONTAINER_NAME,
            image=image,
            command=list(command),
            environment={**self.settings.to_environment(), **(environment or {})},
            secrets=dict(secrets or {}),
            logging=ecs.LogDrivers.aws_logs(stream_prefix=LOG_STREAM_PREFIX, log_group=self.log_group),
            stop_timeout=Duration.seconds(stop_s),
            essential=True,
        )
        self.execution_role = self.task_definition.obtain_execution_role()
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=self.cluster.vpc,
            description=f"{self.node.path}: no inbound; outbound HTTPS to AWS APIs and the image registry",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs and the image registry"
        )
        self.connections = self.security_group.connections
        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            # A scaling service leaves its desired count to the scaling policy, so a deployment never resets it.
            desired_count=min_task_count if max_task_count == min_task_count else None,
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
            security_groups=[self.security_group],
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC) if made_here else vpc_subnets,
            assign_public_ip=made_here if assign_public_ip is None else assign_public_ip,
            platform_version=ecs.FargatePlatformVersion.LATEST,
        )
        if network is not None:  # no task starts before its subnets route to the internet (to pull its image)
            for subnet in network.vpc.public_subnets:
                self.service.node.add_dependency(subnet.internet_connectivity_established)
        self._grant(queue, attempts_table)
        self.scaling: ecs.ScalableTaskCount | None = None
        self.scaling_policy: applicationautoscaling.CfnScalingPolicy | None = None
        if self.acceptable_backlog_per_task is not None:
            self._scale(min_task_count, max_task_count, self.acceptable_backlog_per_task)
        self._acknowledge(image)

    # --- metrics --------------------------------------------------------------------------------------------------

    def metric_visible_messages(self, period: Duration = METRIC_PERIOD) -> cloudwatch.Metric:
        """The queue's visible messages (AWS/SQS ``ApproximateNumberOfMessagesVisible``), summed per period."""
        return self.queue.queue.metric_approximate_number_of_messages_visible(period=period, statistic="Sum")

    def metric_running_tasks(self, period: Duration = METRIC_PERIOD) -> cloudwatch.Metric:
        """The service's running tasks (Container Insights' ``RunningTaskCount``), averaged per period."""
        return cloudwatch.Metric(
            namespace="ECS/ContainerInsights",
            metric_name="RunningTaskCount",
            dimensions_map={"ClusterName": self.cluster.cluster_name, "ServiceName": self.service.service_name},
            statistic="Average",
            period=period,
        )

    # --- checks ---------------------------------------------------------------------------------------------------

    def _check_worker(
        self,
        problems: PropsProblems,
        visibility_s: int | None,
        heartbeat_s: int | None,
        max_in_hand_s: int | None,
        drain_s: int | None,
        stop_s: int | None,
        concurrency: int,
        batch_size: int,
    ) -> None:
        queue_name = self.queue.queue_name
        hints = {
            "HEARTBEAT_SECONDS": f"lower heartbeat or raise the visibility_timeout of queue {queue_name}",
            "VISIBILITY_TIMEOUT_SECONDS": f"lower the visibility_timeout of queue {queue_name}",
            "MAX_IN_HAND_SECONDS": "lower max_in_hand",
            "BATCH_SIZE": "lower batch_size",
        }
        for problem in worker_settings_problems(
            visibility_timeout_seconds=visibility_s,
            heartbeat_seconds=heartbeat_s,
            max_in_hand_seconds=max_in_hand_s,
            batch_size=batch_size,
        ):
            hint = next((hint for name, hint in hints.items() if problem.startswith(name)), None)
            problems.check(False, f"{problem}: {hint}" if hint else problem)
        problems.check(
            batch_size >= 1, f"batch_size is {batch_size}; use 1 to {SQS_MAX_BATCH_SIZE} (messages per receive)"
        )
        problems.check(concurrency >= 1, f"concurrency is {concurrency}; use 1 or more (messages worked on at once)")
        if drain_s is not None and stop_s is not None:
            problems.check(
                stop_s > drain_s,
                f"stop_timeout ({stop_s} s) must be above drain_deadline ({drain_s} s): ECS kills the container "
                "stop_timeout after SIGTERM, and the worker needs the time after its drain to release what it "
                "still holds; lower drain_deadline or raise stop_timeout",
            )
        if stop_s is not None:
            most = int(FARGATE_MAX_STOP_TIMEOUT.to_seconds())
            problems.check(
                stop_s <= most,
                f"stop_timeout is {stop_s} s; Fargate allows at most {most} s between SIGTERM and SIGKILL",
            )

    def _check_task(
        self,
        problems: PropsProblems,
        command: Sequence[str],
        environment: Mapping[str, str] | None,
        secrets: Mapping[str, ecs.Secret] | None,
        cpu: int,
        memory_limit_mib: int,
    ) -> None:
        problems.check(
            not isinstance(command, str) and len(command) > 0 and all(isinstance(a, str) and a for a in command),
            f"command is {command!r}; give the program and its arguments as a list, such as "
            '["python", "-m", "my_package.worker"]',
        )
        contract = set(WorkerSettings.variables().values())
        for what, names in (("environment", environment or {}), ("secrets", secrets or {})):
            taken = sorted(set(names) & contract)
            problems.check(
                not taken,
                f"{what} names {', '.join(taken)}, which the construct sets from its props (WorkerSettings); "
                "set the prop instead, or rename the variable",
            )
        both = sorted(set(environment or {}) & set(secrets or {}))
        problems.check(not both, f"{', '.join(both)} is both in environment and in secrets; keep one")
        allowed = FARGATE_TASK_SIZES.get(cpu)
        if allowed is None:
            problems.check(False, f"cpu is {cpu}; Fargate offers {', '.join(map(str, FARGATE_TASK_SIZES))} CPU units")
        else:
            problems.check(
                memory_limit_mib in allowed,
                f"memory_limit_mib is {memory_limit_mib}; with cpu {cpu} Fargate offers "
                f"{allowed[0]} to {allowed[-1]} MiB in steps of {allowed[1] - allowed[0]} MiB"
                if len(allowed) > 3
                else f"memory_limit_mib is {memory_limit_mib}; with cpu {cpu} Fargate offers "
                + ", ".join(map(str, allowed))
                + " MiB",
            )

    def _check_scaling(
        self,
        problems: PropsProblems,
        min_task_count: int,
        max_task_count: int,
        time_per_message: Duration | None,
        acceptable_latency: Duration | None,
        acceptable_backlog_per_task: float | None,
        concurrency: int,
    ) -> float | None:
        problems.check(
            min_task_count >= 1,
            f"min_task_count is {min_task_count}; use 1 or more: backlog per task is undefined with no task "
            "running, and target tracking scales in proportion to the running tasks, so it cannot start the first",
        )
        problems.check(
            max_task_count >= min_task_count,
            f"max_task_count ({max_task_count}) is below min_task_count ({min_task_count}); raise it",
        )
        given = [
            name
            for name, value in (
                ("time_per_message", time_per_message),
                ("acceptable_latency", acceptable_latency),
                ("acceptable_backlog_per_task", acceptable_backlog_per_task),
            )
            if value is not None
        ]
        if max_task_count <= min_task_count:
            problems.check(
                not given,
                f"{', '.join(given)} only matter(s) to scaling, and max_task_count equals min_task_count, so the "
                "service does not scale: raise max_task_count or drop them",
            )
            return None
        if acceptable_backlog_per_task is not None:
            problems.check(
                time_per_message is None and acceptable_latency is None,
                "give acceptable_backlog_per_task, or time_per_message (with acceptable_latency), not both",
            )
            problems.check(
                acceptable_backlog_per_task > 0,
                f"acceptable_backlog_per_task is {acceptable_backlog_per_task}; use a number above 0",
            )
            return float(acceptable_backlog_per_task)
        if time_per_message is None:
            problems.check(
                False,
                f"max_task_count ({max_task_count}) is above min_task_count ({min_task_count}), so the service scales "
                "on backlog per task: give time_per_message (how long one message takes; with acceptable_latency, "
                "default 5 minutes, and concurrency it gives the backlog one task may have), or "
                "acceptable_backlog_per_task",
            )
            return None
        per_message = _fractional_seconds(time_per_message)
        latency = _fractional_seconds(acceptable_latency or WORKER.acceptable_latency)
        problems.check(
            per_message is not None and per_message > 0, "time_per_message must be a known duration above 0 s"
        )
        problems.check(latency is not None and latency > 0, "acceptable_latency must be a known duration above 0 s")
        if not per_message or not latency:
            return None
        return float(f"{latency * max(concurrency, 1) / per_message:.4g}")

    def _check_attempts(self, problems: PropsProblems, batch_size: int) -> None:
        check_attempts(problems, self.queue, self.max_attempts, batch_size, counted=self.attempts_table is not None)

    def _check_network(
        self,
        problems: PropsProblems,
        cluster: ecs.ICluster | None,
        vpc: ec2.IVpc | None,
        vpc_subnets: ec2.SubnetSelection | None,
        assign_public_ip: bool | None,
    ) -> None:
        problems.check(
            cluster is None or vpc is None, "give cluster or vpc, not both (a cluster runs its tasks in its own VPC)"
        )
        if cluster is None and vpc is None:
            problems.check(
                vpc_subnets is None,
                "vpc_subnets needs your vpc or cluster: the VPC made here has public subnets only; drop vpc_subnets",
            )
            problems.check(
                assign_public_ip is not False,
                "tasks in the VPC made here reach AWS and the registry through their public IP (it has no NAT "
                "gateway): drop assign_public_ip=False, or give a vpc with NAT gateways or VPC endpoints",
            )
        if isinstance(cluster, ecs.Cluster):
            settings = Stack.of(cluster).resolve(cluster.node.default_child.cluster_settings)  # type: ignore[union-attr]
            insights = {s.get("name"): s.get("value") for s in settings or [] if isinstance(s, dict)}
            problems.check(
                insights.get("containerInsights") != "disabled",
                f"cluster {cluster.node.path} has Container Insights off, and backlog-per-task scaling and the "
                "no-task alarm divide by its RunningTaskCount: set container_insights_v2=ContainerInsights.ENABLED",
            )
            if "containerInsights" not in insights:
                Annotations.of(self).add_warning_v2(
                    "event_constructs:containerInsightsUnset",
                    f"cluster {cluster.node.path} leaves Container Insights to the account's default; scaling and "
                    "the no-task alarm read its RunningTaskCount: set container_insights_v2 on the cluster",
                )

    # --- building -------------------------------------------------------------------------------------------------

    def _cluster(
        self,
        cluster: ecs.ICluster | None,
        vpc: ec2.IVpc | None,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> tuple[ecs.ICluster, _WorkerNetwork | None]:
        """The cluster to run in, and the stack's shared network when that is where it is."""
        if cluster is not None:
            return cluster, None
        if vpc is not None:
            return ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED), None
        stack = Stack.of(self)
        network = stack.node.try_find_child(NETWORK_ID)
        if not isinstance(network, _WorkerNetwork):
            network = _WorkerNetwork(stack, NETWORK_ID, log_retention=log_retention, removal_policy=removal_policy)
        return network.cluster, network

    def _task_role(self, construct_id: str) -> iam.Role:
        stack = Stack.of(self)
        # Only ECS tasks of this account may assume it, the confused-deputy guard of ECS's task role guide:
        # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
        principal = iam.ServicePrincipal(
            "ecs-tasks.amazonaws.com",
            conditions={
                "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:ecs:{stack.region}:{stack.account}:*"},
                "StringEquals": {"aws:SourceAccount": stack.account},
            },
        )
        return iam.Role(
            self,
            "TaskRole",
            assumed_by=principal,
            description=f"Runs the {construct_id} worker of {self.queue.queue_name}",
        )

    def _grant(self, queue: QueueWithDeadLetterQueue, attempts_table: dynamodb.ITable | None) -> None:
        # Exactly what the worker calls: CDK's grant_consume_messages adds sqs:GetQueueUrl, which it never needs.
        iam.Grant.add_to_principal(
            grantee=self.task_role,
            actions=[
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            ],
            resource_arns=[queue.queue_arn],
        )
        if queue.encryption_key is not None:
            queue.encryption_key.grant(self.task_role, "kms:Decrypt")
        queue.grant_dead_letter(self.task_role)
        if attempts_table is not None:
            attempts_table.grant(self.task_role, "dynamodb:UpdateItem")

    def _scale(self, min_task_count: int, max_task_count: int, backlog: float) -> None:
        self.scaling = self.service.auto_scale_task_count(min_capacity=min_task_count, max_capacity=max_task_count)
        target = self.scaling.node.find_child("Target")
        assert isinstance(target, applicationautoscaling.ScalableTarget)
        visible, running = self.metric_visible_messages(), self.metric_running_tasks()
        queries = []
        for query_id, label, metric in (
            ("visible", "Messages visible in the queue", visible),
            ("running", "Tasks running in the service", running),
        ):
            queries.append(
                applicationautoscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty(
                    id=query_id,
                    label=label,
                    return_data=False,
                    metric_stat=applicationautoscaling.CfnScalingPolicy.TargetTrackingMetricStatProperty(
                        metric=applicationautoscaling.CfnScalingPolicy.TargetTrackingMetricProperty(
                            namespace=metric.namespace,
                            metric_name=metric.metric_name,
                            dimensions=[
                                applicationautoscaling.CfnScalingPolicy.TargetTrackingMetricDimensionProperty(
                                    name=name, value=value
                                )
                                for name, value in (metric.dimensions or {}).items()
                            ],
                        ),
                        stat=metric.statistic,
                    ),
                )
            )
        queries.append(
            applicationautoscaling.CfnScalingPolicy.TargetTrackingMetricDataQueryProperty(
                id="backlog_per_task", label="Backlog per task", expression="visible / running", return_data=True
            )
        )
        self.scaling_policy = applicationautoscaling.CfnScalingPolicy(
            self,
            "BacklogPerTaskScaling",
            policy_name=f"{Names.unique_resource_name(self, max_length=200, separator='-')}-backlog-per-task",
            policy_type="TargetTrackingScaling",
            scaling_target_id=target.scalable_target_id,
            target_tracking_scaling_policy_configuration=applicationautoscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty(
                target_value=backlog,
                customized_metric_specification=applicationautoscaling.CfnScalingPolicy.CustomizedMetricSpecificationProperty(
                    metrics=queries
                ),
                scale_out_cooldown=int(SCALE_OUT_COOLDOWN.to_seconds()),
                scale_in_cooldown=int(SCALE_IN_COOLDOWN.to_seconds()),
            ),
        )

    def _acknowledge(self, image: ecs.ContainerImage) -> None:
        Validations.of(self.task_definition).acknowledge(
            Acknowledgment(
                id="AwsSolutions-ECS2",
                reason=f"the environment of {self.node.path} is the worker's settings (queue URLs, table name, "
                "numbers: event_runtime.WorkerSettings) and the user's extra environment, none of them secret; "
                "secrets reach the container through the secrets prop (Secrets Manager or SSM)",
            )
        )
        if isinstance(image, ecs.EcrImage | ecs.AssetImage):
            Validations.of(self.execution_role).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-IAM5[Resource::*]",
                    reason=f"{self.node.path} pulls its image from ECR, and ecr:GetAuthorizationToken has no "
                    "resource-level permissions; the pull itself (ecr:BatchGetImage and the layer actions) names "
                    "the repository",
                )
            )


def _whole_seconds(problems: PropsProblems, name: str, duration: Duration | None) -> int | None:
    """``duration`` in whole seconds (at least 1); None, with the problem recorded, when it is not."""
    if duration is None:
        return None
    if Token.is_unresolved(duration.to_string()):
        problems.check(False, f"{name} must be a known duration (not a token): the worker reads it as a number")
        return None
    millis = duration.to_milliseconds()
    problems.check(
        millis % 1000 == 0 and millis >= 1000, f"{name} is {millis / 1000:g} s; use whole seconds, 1 or more"
    )
    return int(millis // 1000) if millis % 1000 == 0 and millis >= 1000 else None


def _fractional_seconds(duration: Duration) -> float | None:
    """``duration`` in seconds, fractions kept (Duration.to_seconds refuses 500 ms); None for a token."""
    return None if Token.is_unresolved(duration.to_string()) else duration.to_milliseconds() / 1000


class _WorkerNetwork(Construct):
    """The stack's VPC and cluster for workers given neither cluster nor vpc (see the module's docstring)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, log_retention: logs.RetentionDays, removal_policy: RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC)],
            restrict_default_security_group=True,
        )
        # The restriction's provider is a stack-wide singleton whose handler both names and depends on its role.
        for provider in Stack.of(self).node.children:
            if provider.node.id.startswith(f"{RESTRICT_DEFAULT_SG}CustomResourceProvider"):
                drop_implied_dependency(provider.node.find_child("Handler"), provider.node.find_child("Role"))
        flow_logs = logs.LogGroup(self, "FlowLogs", retention=log_retention, removal_policy=removal_policy)
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        self.cluster = ecs.Cluster(self, "Cluster", vpc=self.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
