"""One dashboard and the alarms of the whole orders app."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct, IConstruct

from event_constructs import AlarmThresholds, EventMonitoring
from stacks.config import StageConfig


class OrdersMonitoringStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, stage: StageConfig, watch: list[IConstruct], **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarms = stage.alarms
        self.monitoring = EventMonitoring(
            self,
            "Monitoring",
            dashboard_name=f"orders-{stage.name}",
            removal_policy=stage.removal_policy,
            thresholds=AlarmThresholds(
                dead_letter_messages=alarms.dlq_messages_threshold,
                oldest_message_age_seconds=alarms.oldest_message_age_seconds,
                function_errors=alarms.function_errors_threshold,
                function_throttles=alarms.function_throttles_threshold,
                failed_notifications=alarms.failed_notifications_threshold,
                failed_invocations=alarms.failed_invocations_threshold,
                failed_executions=alarms.failed_executions_threshold,
            ),
        )
        self.monitoring.watch(*watch)
