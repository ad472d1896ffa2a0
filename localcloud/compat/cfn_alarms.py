"""``AWS::CloudWatch::Alarm``: moto's stack engine skips it, so a deployed app would have no alarms.

Created here through moto's CloudWatch backend, metric-math alarms (``Metrics``) included, so
``describe-alarms`` lists what the monitoring stack declares. moto does not evaluate alarms.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from localcloud.compat._cfn import CompatResource, register
from localcloud.settings import LocalCloudSettings

GAP = "moto's CloudFormation does not create AWS::CloudWatch::Alarm"
RESOURCE_TYPE = "AWS::CloudWatch::Alarm"


def _metric_data_queries(metrics: list[dict[str, Any]] | None) -> list[Any] | None:
    from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat

    if not metrics:
        return None
    queries = []
    for query in metrics:
        stat = query.get("MetricStat")
        metric_stat = None
        if stat:
            metric = stat["Metric"]
            metric_stat = MetricStat(
                metric=Metric(
                    metric_name=metric["MetricName"],
                    namespace=metric["Namespace"],
                    dimensions=[Dimension(d["Name"], d["Value"]) for d in metric.get("Dimensions", [])],
                ),
                period=stat["Period"],
                stat=stat["Stat"],
                unit=stat.get("Unit"),
            )
        queries.append(
            MetricDataQuery(
                query_id=query["Id"],
                label=query.get("Label"),  # type: ignore[arg-type]
                period=query.get("Period"),  # type: ignore[arg-type]
                return_data=query.get("ReturnData"),  # type: ignore[arg-type]
                expression=query.get("Expression"),
                metric_stat=metric_stat,
            )
        )
    return queries


class Alarm(CompatResource):
    cloudformation_type_name = RESOURCE_TYPE
    name_property = "AlarmName"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        from moto.cloudwatch.models import cloudwatch_backends

        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=properties.get("Namespace"),  # type: ignore[arg-type]
            metric_name=properties.get("MetricName"),  # type: ignore[arg-type]
            metric_data_queries=_metric_data_queries(properties.get("Metrics")),
            comparison_operator=properties["ComparisonOperator"],
            evaluation_periods=int(properties["EvaluationPeriods"]),
            datapoints_to_alarm=properties.get("DatapointsToAlarm"),
            period=properties.get("Period"),  # type: ignore[arg-type]
            threshold=float(properties["Threshold"]),
            statistic=properties.get("Statistic"),  # type: ignore[arg-type]
            extended_statistic=properties.get("ExtendedStatistic"),
            description=properties.get("AlarmDescription", ""),
            dimensions=properties.get("Dimensions", []),
            alarm_actions=properties.get("AlarmActions", []),
            ok_actions=properties.get("OKActions", []),
            insufficient_data_actions=properties.get("InsufficientDataActions", []),
            unit=properties.get("Unit"),
            actions_enabled=properties.get("ActionsEnabled", True),
            treat_missing_data=properties.get("TreatMissingData"),
            tags=properties.get("Tags", []),
        )
        return cls(name, {"Arn": alarm.alarm_arn})

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        from moto.cloudwatch.models import cloudwatch_backends

        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    register(stack, Alarm)
