"""localcloud.compat.cfn_alarms: AWS::CloudWatch::Alarm is created, metric math included.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import boto3
import pytest

from localcloud.compat import (
    _cfn,
    cfn_alarms,
    installed,
)
from tests.localcloud.conftest import deploy_template

pytestmark = pytest.mark.usefixtures("aws")


@pytest.mark.parametrize("resource_type", ["AWS::CloudWatch::Alarm"])
def test_moto_still_skips(resource_type: str) -> None:
    assert not _cfn.moto_supports(resource_type), f"moto now creates {resource_type}: drop cfn_alarms"


def test_metric_math_alarm_is_created() -> None:
    alarm = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": "dlq-not-empty",
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "Metrics": [
                {
                    "Id": "m1",
                    "ReturnData": False,
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/SQS",
                            "MetricName": "ApproximateNumberOfMessagesVisible",
                            "Dimensions": [{"Name": "QueueName", "Value": "work-dlq"}],
                        },
                        "Period": 60,
                        "Stat": "Maximum",
                    },
                },
                {"Id": "expr", "Expression": "m1", "ReturnData": True},
            ],
        },
    }
    with installed(cfn_alarms):
        deploy_template({"Alarm": alarm})
    alarms = boto3.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms] == ["dlq-not-empty"]
    assert [m["Id"] for m in alarms[0]["Metrics"]] == ["m1", "expr"]
