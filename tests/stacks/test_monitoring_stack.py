"""Every queue, function and state machine of the app has alarms; alarms go to an encrypted topic."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cdk_app import SynthesizedApp

MONITORED_TYPES = ("AWS::SQS::Queue", "AWS::Lambda::Function", "AWS::StepFunctions::StateMachine")


def alarms(app: SynthesizedApp) -> list[dict[str, Any]]:
    resources = app.templates["OrdersMonitoring"]["Resources"]
    return [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]


def test_every_queue_function_and_state_machine_has_an_alarm(dev_app: SynthesizedApp) -> None:
    alarm_text = json.dumps(alarms(dev_app))
    missing = []
    for stack in ("OrdersOrchestration", "OrdersProcessing"):
        for logical_id, resource in dev_app.templates[stack]["Resources"].items():
            if resource["Type"] not in MONITORED_TYPES:
                continue
            if not str(resource["Properties"].get("Handler", "orders_functions.")).startswith("orders_functions."):
                continue  # CDK's own custom resource provider (run once, at deployment)
            name = resource["Properties"].get("QueueName") or resource["Properties"].get("StateMachineName")
            # A cross-stack reference's export name carries the logical id of what it refers to.
            if logical_id not in alarm_text and (name is None or f'"{name}"' not in alarm_text):
                missing.append(f"{stack}/{logical_id}")
    assert missing == []


def test_dead_letter_queues_alarm_on_the_first_message(dev_app: SynthesizedApp) -> None:
    dlq_alarms = [a for a in alarms(dev_app) if "DLQ" in a["AlarmName"] or "dlq" in a["AlarmName"]]
    assert len(dlq_alarms) == 11  # 7 queue DLQs (compensation failures included), 3 delivery DLQs, 1 target DLQ
    for alarm in dlq_alarms:
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")


@pytest.mark.parametrize(("fixture", "age"), [("dev_app", 900), ("prod_app", 300)])
def test_the_oldest_message_age_threshold_comes_from_the_stage(
    fixture: str, age: int, request: pytest.FixtureRequest
) -> None:
    app: SynthesizedApp = request.getfixturevalue(fixture)
    ages = {a["Threshold"] for a in alarms(app) if "Message-Age" in a["AlarmName"]}
    assert ages == {age}


def test_alarms_notify_an_encrypted_topic(dev_app: SynthesizedApp) -> None:
    resources = dev_app.templates["OrdersMonitoring"]["Resources"]
    ((topic_id, topic),) = [(k, v) for k, v in resources.items() if v["Type"] == "AWS::SNS::Topic"]
    key = resources[topic["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch and cloudwatch[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "aws:SourceArn" in cloudwatch[0]["Condition"]["ArnLike"]
    # Who may publish to the topic is judged for every flow in tests/app/test_resource_policies.py.
    for alarm in alarms(dev_app):
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], alarm["AlarmName"]


def test_one_dashboard_for_the_app(dev_app: SynthesizedApp) -> None:
    resources = dev_app.templates["OrdersMonitoring"]["Resources"]
    dashboards = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    assert len(dashboards) == 1
    assert dashboards[0]["Properties"]["DashboardName"] == "orders-dev"


def test_the_dashboard_shows_the_events_consumers_acknowledged_without_handling(dev_app: SynthesizedApp) -> None:
    """Issue 15: a routed event type nobody handles is acknowledged and counted, and someone should see it."""
    from orders_functions.common.readers import METRICS_NAMESPACE, UNHANDLED_EVENT_TYPES
    from stacks.monitoring_stack import METRICS_NAMESPACE as DASHBOARD_NAMESPACE

    assert DASHBOARD_NAMESPACE == METRICS_NAMESPACE
    resources = dev_app.templates["OrdersMonitoring"]["Resources"]
    (dashboard,) = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = "".join(part for part in dashboard["Properties"]["DashboardBody"]["Fn::Join"][1] if isinstance(part, str))
    for service in ("order_processor", "payment", "notification"):
        assert f'"{METRICS_NAMESPACE}","{UNHANDLED_EVENT_TYPES}","service","{service}"' in body, service
