"""One dashboard and the alarms of the whole orders app."""

from __future__ import annotations

from typing import Any

import cdk_monitoring_constructs as monitoring
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct, IConstruct

from event_constructs import EventMonitoring
from orders_functions.common.order_event_consumer import INTERNAL_EVENTS_SKIPPED
from orders_functions.common.readers import METRICS_NAMESPACE, UNHANDLED_EVENT_TYPES
from stacks.config import StageConfig

#: The app's own metrics (Powertools Metrics, in METRICS_NAMESPACE), per consumer.
CONSUMER_METRICS = {
    "order_processor": (UNHANDLED_EVENT_TYPES,),
    "payment": (UNHANDLED_EVENT_TYPES,),
    "notification": (UNHANDLED_EVENT_TYPES, INTERNAL_EVENTS_SKIPPED),
}


class OrdersMonitoringStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, stage: StageConfig, watch: list[IConstruct], **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.monitoring = EventMonitoring(
            self,
            "Monitoring",
            dashboard_name=f"orders-{stage.name}",
            removal_policy=stage.removal_policy,
            thresholds=stage.alarms,
        )
        self.monitoring.watch(*watch)
        self._events_nobody_here_handles()

    def _events_nobody_here_handles(self) -> None:
        """A dashboard row for the routed events a consumer acknowledged without acting on them (no alarm:
        a producer's new event type is not a fault, but someone should see it arrive)."""
        metrics = [
            cloudwatch.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name=name,
                dimensions_map={"service": service},
                statistic="Sum",
                period=Duration.minutes(5),
                label=f"{service}: {name}",
            )
            for service, names in CONSUMER_METRICS.items()
            for name in names
        ]
        self.monitoring.facade.monitor_custom(
            alarm_friendly_name="events-not-handled",
            human_readable_name="Events acknowledged without being handled",
            metric_groups=[
                monitoring.CustomMetricGroup(title="Unhandled event types, internal events skipped", metrics=metrics)
            ],
        )
