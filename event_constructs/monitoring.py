"""Alarms and one dashboard for every moving part built with this library, via cdk-monitoring-constructs.

:class:`EventMonitoring` finds, in the scopes it is asked to watch, every :class:`EventQueue`
(and its DLQ), every function of a :class:`ServiceFunction` or :class:`QueueConsumer`, every
:class:`FanOutTopic`, every :class:`EventRouter` rule with a target, and every Step
Functions state machine, and gives each the alarms below. A resource added later through
the library gets them with no extra code: watching happens once, for the whole app.

- DLQs (queue, subscription delivery and rule target DLQs): any message.
- Work queues: age of the oldest message above the target.
- Functions: errors (faults) and throttles.
- Topics: failed notifications (deliveries SNS gave up on).
- Rules: failed invocations of their targets.
- State machines: failed, timed out and aborted executions.
- Queue workers (:class:`QueueWorkerService`): their queue and DLQ as above (when the queue is outside the
  watched scopes too), and messages waiting while no task of the service runs, for
  :data:`WORKER_DOWN_MINUTES` minutes in a row (a crash loop, an image that cannot be pulled, tasks that
  cannot be placed): the queue's age alarm would tell only much later, and not why.

Alarms notify an SNS topic encrypted with a customer-managed key; the topic's policy and the key's let
CloudWatch publish for this app's alarms only (``aws:SourceAccount`` and ``aws:SourceArn``, the alarm
names' prefix being the dashboard name), over TLS.
"""

from __future__ import annotations

from dataclasses import dataclass

import cdk_monitoring_constructs as monitoring
from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct, IConstruct

from event_constructs.defaults import EVERY_CONSTRUCT
from event_constructs.event_queue import EventQueue, ExistingEventQueue
from event_constructs.event_router import EventRouter
from event_constructs.fan_out import FanOutTopic
from event_constructs.keys import rotating_key
from event_constructs.queue_consumer import QueueConsumer
from event_constructs.queue_worker_service import QueueWorkerService
from event_constructs.service_function import ServiceFunction

WARNING = "Warning"
#: A worker's no-task alarm fires when messages have waited this many minutes in a row with no task running
#: (a deployment replaces tasks with the old ones still running, so a healthy service never has none).
WORKER_DOWN_MINUTES = 5


@dataclass(frozen=True)
class AlarmThresholds:
    """When to alarm: each alarm fires when its count reaches its threshold (the oldest message's age, when
    it is above). The defaults alarm on the first DLQ message, error or failure.

    Attributes:
        dead_letter_messages: messages in a DLQ (a queue's, a subscription's, a rule target's). Default: 1.
        oldest_message_age_seconds: the age of a work queue's oldest message, in seconds. Default: 900.
        function_errors: a function's errors in 5 minutes. Default: 1.
        function_throttles: a function's throttled invocations in 5 minutes. Default: 1.
        failed_notifications: a topic's notifications SNS gave up on in 5 minutes. Default: 1.
        failed_invocations: a rule's failed target invocations in 5 minutes. Default: 1.
        failed_executions: a state machine's failed, timed-out or aborted executions in 5 minutes. Default: 1.
    """

    dead_letter_messages: int = 1
    oldest_message_age_seconds: int = 900
    function_errors: int = 1
    function_throttles: int = 1
    failed_notifications: int = 1
    failed_invocations: int = 1
    failed_executions: int = 1


class EventMonitoring(Construct):
    """One dashboard and an encrypted alarm topic; call :meth:`watch` with the scopes to cover.

    Args:
        dashboard_name: the dashboard's name, and the prefix of the alarm topic's and the alarms' names.
        thresholds: when each alarm fires. Default: none: AlarmThresholds() (see its defaults).
        removal_policy: what happens to the alarm topic's key when it leaves the stack.
            Default: RemovalPolicy.DESTROY.

    Attributes:
        facade: the cdk-monitoring-constructs facade (add your own monitors to it),
        alarm_topic, alarm_key, watched (construct path -> what was monitored).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        thresholds: AlarmThresholds | None = None,
        removal_policy: RemovalPolicy = EVERY_CONSTRUCT.removal_policy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.thresholds = thresholds or AlarmThresholds()
        self.alarm_key = rotating_key(
            self, "AlarmKey", description=f"Encrypts the alarm topic of {dashboard_name}", removal_policy=removal_policy
        )
        stack = Stack.of(self)
        # CloudWatch publishes the notifications of this app's alarms (named with the prefix below), and only
        # those: the account and the alarm ARN are the confused-deputy guard for the key and for the topic.
        alarms = f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:{dashboard_name}-*"
        from_these_alarms = {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": alarms},
        }
        self.alarm_key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=["*"],
                conditions=from_these_alarms,
            )
        )
        self.alarm_topic = sns.Topic(
            self, "AlarmTopic", topic_name=f"{dashboard_name}-alarms", master_key=self.alarm_key, enforce_ssl=True
        )
        # enforce_ssl gives the topic a policy of its own (only the TLS Deny), which replaces SNS's default
        # policy: without this Allow no alarm could publish, and every alarm would notify no one.
        self.alarm_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisAppsAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.alarm_topic.topic_arn],
                conditions=from_these_alarms,
            )
        )
        self.facade = monitoring.MonitoringFacade(
            self,
            "Facade",
            alarm_factory_defaults=monitoring.AlarmFactoryDefaults(
                actions_enabled=True,
                alarm_name_prefix=dashboard_name,
                action=monitoring.SnsAlarmActionStrategy(on_alarm_topic=self.alarm_topic),
                datapoints_to_alarm=1,
                evaluation_periods=1,
            ),
            dashboard_factory=monitoring.DefaultDashboardFactory(
                self,
                "Dashboards",
                dashboard_name_prefix=dashboard_name,
                create_dashboard=True,
                create_summary_dashboard=False,
                create_alarm_dashboard=False,
            ),
        )
        self.watched: dict[str, str] = {}

    def watch(self, *scopes: IConstruct) -> None:
        """Monitor every resource of the library's constructs found in ``scopes``."""
        for scope in scopes:
            for construct in scope.node.find_all():
                if construct.node.path in self.watched:
                    continue
                if isinstance(construct, EventQueue | ExistingEventQueue):
                    self._queue(construct)
                elif isinstance(construct, ServiceFunction):
                    self._function(construct.node.path, construct)
                elif isinstance(construct, QueueConsumer) and construct.role is None:
                    self._function(construct.node.path, construct)  # an existing function it was given
                elif isinstance(construct, FanOutTopic):
                    self._topic(construct)
                elif isinstance(construct, EventRouter):
                    self._router(construct)
                elif isinstance(construct, sfn.StateMachine):
                    self._state_machine(construct)
                elif isinstance(construct, QueueWorkerService):
                    self._worker(construct)

    def _name(self, construct: IConstruct) -> str:
        return construct.node.path.replace("/", "-")

    def _queue(self, queue: EventQueue | ExistingEventQueue) -> None:
        self.facade.monitor_sqs_queue_with_dlq(
            queue=queue.queue,
            dead_letter_queue=queue.dead_letter_queue,
            alarm_friendly_name=self._name(queue),
            human_readable_name=queue.queue_name,
            add_queue_max_message_age_alarm={
                WARNING: monitoring.MaxMessageAgeThreshold(
                    max_age_in_seconds=self.thresholds.oldest_message_age_seconds
                )
            },
            add_dead_letter_queue_max_size_alarm={
                WARNING: monitoring.MaxMessageCountThreshold(max_message_count=self.thresholds.dead_letter_messages - 1)
            },
        )
        self.watched[queue.node.path] = "queue"

    def _dead_letter_queue(self, queue: sqs.IQueue, name: str) -> None:
        self.facade.monitor_sqs_queue(
            queue=queue,
            alarm_friendly_name=name,
            add_queue_max_size_alarm={
                WARNING: monitoring.MaxMessageCountThreshold(max_message_count=self.thresholds.dead_letter_messages - 1)
            },
        )

    def _function(self, path: str, owner: ServiceFunction | QueueConsumer) -> None:
        self.facade.monitor_lambda_function(
            lambda_function=owner.function,
            alarm_friendly_name=self._name(owner),
            add_fault_count_alarm={
                WARNING: monitoring.ErrorCountThreshold(max_error_count=self.thresholds.function_errors - 1)
            },
            add_throttles_count_alarm={
                WARNING: monitoring.ErrorCountThreshold(max_error_count=self.thresholds.function_throttles - 1)
            },
        )
        self.watched[path] = "function"

    def _topic(self, fan_out: FanOutTopic) -> None:
        self.facade.monitor_sns_topic(
            topic=fan_out.topic,
            alarm_friendly_name=self._name(fan_out),
            add_message_notifications_failed_alarm={
                WARNING: monitoring.NotificationsFailedThreshold(
                    max_notifications_failed_count=self.thresholds.failed_notifications - 1
                )
            },
        )
        for name, queue in fan_out.delivery_dead_letter_queues.items():
            self._dead_letter_queue(queue, f"{self._name(fan_out)}-{name}-delivery-dlq")
        self.watched[fan_out.node.path] = "topic"

    def _router(self, router: EventRouter) -> None:
        for rule_name, rule in router.rules.items():
            failed = cloudwatch.Metric(
                namespace="AWS/Events",
                metric_name="FailedInvocations",
                dimensions_map={"RuleName": rule.rule_name, "EventBusName": router.bus.event_bus_name},
                statistic="Sum",
                period=Duration.minutes(5),
            )
            self.facade.monitor_custom(
                alarm_friendly_name=f"{self._name(router)}-{rule_name}",
                human_readable_name=f"Rule {rule_name}",
                metric_groups=[
                    monitoring.CustomMetricGroup(
                        title="Failed invocations",
                        metrics=[
                            monitoring.CustomMetricWithAlarm(
                                metric=failed,
                                alarm_friendly_name="FailedInvocations",
                                add_alarm={
                                    WARNING: monitoring.CustomThreshold(
                                        threshold=self.thresholds.failed_invocations,
                                        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                                    )
                                },
                            )
                        ],
                    )
                ],
            )
            dead_letter_queue = router.dead_letter_queues.get(rule_name)
            if dead_letter_queue is not None:
                self._dead_letter_queue(dead_letter_queue, f"{self._name(router)}-{rule_name}-target-dlq")
        self.watched[router.node.path] = "router"

    def _worker(self, worker: QueueWorkerService) -> None:
        queue = worker.queue
        if isinstance(queue, EventQueue | ExistingEventQueue) and queue.node.path not in self.watched:
            self._queue(queue)
        # 1 while messages are visible and no task runs (Container Insights leaves no RunningTaskCount for a
        # minute without tasks: FILL makes that 0).
        down = cloudwatch.MathExpression(
            expression="IF(visible > 0 AND FILL(running, 0) < 1, 1, 0)",
            using_metrics={"visible": worker.metric_visible_messages(), "running": worker.metric_running_tasks()},
            label="Messages waiting, no task running",
            period=Duration.minutes(1),
        )
        description = (
            f"Messages of {queue.queue_name} have waited {WORKER_DOWN_MINUTES} minutes with no task of "
            f"{worker.node.path} running: see the service's events and stopped tasks (image pull, crash on start, "
            "placement)"
        )
        self.facade.monitor_custom(
            alarm_friendly_name=self._name(worker),
            human_readable_name=f"Worker of {queue.queue_name}",
            metric_groups=[
                monitoring.CustomMetricGroup(
                    title="Messages waiting, no task running",
                    metrics=[
                        monitoring.CustomMetricWithAlarm(
                            metric=down,
                            alarm_friendly_name="NoTaskRunning",
                            add_alarm={
                                WARNING: monitoring.CustomThreshold(
                                    threshold=1,
                                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                                    evaluation_periods=WORKER_DOWN_MINUTES,
                                    datapoints_to_alarm=WORKER_DOWN_MINUTES,
                                    # No data: the queue's metrics stop after 6 idle hours; nothing waits then.
                                    treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                                    additional_description=description,
                                )
                            },
                        )
                    ],
                )
            ],
        )
        self.watched[worker.node.path] = "worker"

    def _state_machine(self, machine: sfn.StateMachine) -> None:
        threshold = monitoring.ErrorCountThreshold(max_error_count=self.thresholds.failed_executions - 1)
        self.facade.monitor_step_function(
            state_machine=machine,
            alarm_friendly_name=self._name(machine),
            add_failed_execution_count_alarm={WARNING: threshold},
            add_timed_out_execution_count_alarm={WARNING: threshold},
            add_aborted_execution_count_alarm={WARNING: threshold},
        )
        self.watched[machine.node.path] = "state machine"
