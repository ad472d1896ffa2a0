"""The orders bus, its rule, target, archive, schema registry and the high-value order flow."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.orchestration_stack import ORDER_CREATED_SCHEMA, TRANSIENT_ERRORS
from tests.cdk_app import SynthesizedApp
from tests.routing import high_value_routes, rule_matches

ROUTES = high_value_routes()


def resources(app: SynthesizedApp, resource_type: str) -> dict[str, dict[str, Any]]:
    return app.resources("OrdersOrchestration", resource_type)


def one(app: SynthesizedApp, resource_type: str) -> tuple[str, dict[str, Any]]:
    (item,) = resources(app, resource_type).items()
    return item


@pytest.fixture(scope="module")
def rule(dev_app: SynthesizedApp) -> dict[str, Any]:
    return one(dev_app, "AWS::Events::Rule")[1]["Properties"]


def test_the_rule_pattern_exactly(rule: dict[str, Any]) -> None:
    assert rule["Name"] == "high-value-order-routing"
    assert rule["EventPattern"] == {
        "source": ["com.myapp.orders"],
        "detail-type": ["OrderCreated"],
        "detail": {"total": [{"numeric": [">", 1000]}], "customer_tier": ["enterprise", "premium"]},
    }


def test_the_input_transformer_exactly(rule: dict[str, Any]) -> None:
    (target,) = rule["Targets"]
    assert target["InputTransformer"] == {
        "InputPathsMap": {
            "detail-order_id": "$.detail.order_id",
            "detail-customer_id": "$.detail.customer_id",
            "detail-total": "$.detail.total",
            "detail-correlation_id": "$.detail.correlation_id",
        },
        "InputTemplate": '{"order_id":<detail-order_id>,"customer_id":<detail-customer_id>,'
        '"amount":<detail-total>,"correlation_id":<detail-correlation_id>,"priority":"high"}',
    }


def test_the_target_has_a_dlq_a_retry_policy_and_a_role_that_may_only_start_the_flow(
    dev_app: SynthesizedApp, rule: dict[str, Any]
) -> None:
    (target,) = rule["Targets"]
    machine_id, _ = one(dev_app, "AWS::StepFunctions::StateMachine")
    assert target["Arn"] == {"Ref": machine_id}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 7200, "MaximumRetryAttempts": 8}
    queues = resources(dev_app, "AWS::SQS::Queue")
    dlq = queues[target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]]["Properties"]
    assert dlq["QueueName"] == "high-value-order-routing-target-dlq"
    assert dlq["SqsManagedSseEnabled"] is True
    role_id = target["RoleArn"]["Fn::GetAtt"][0]
    policies = [
        p for p in resources(dev_app, "AWS::IAM::Policy").values() if p["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    assert statements == [{"Action": "states:StartExecution", "Effect": "Allow", "Resource": {"Ref": machine_id}}]


def test_eventbridge_may_send_to_the_target_dlq_for_this_rule_only(dev_app: SynthesizedApp) -> None:
    rule_id, _ = one(dev_app, "AWS::Events::Rule")
    (policy,) = [
        policy
        for policy in resources(dev_app, "AWS::SQS::QueuePolicy").values()
        if "events.amazonaws.com" in json.dumps(policy["Properties"]["PolicyDocument"])
    ]
    allow = [
        {k: v for k, v in s.items() if k != "Sid"}
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert allow == [
        {
            "Action": "sqs:SendMessage",
            "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}},
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Resource": {"Fn::GetAtt": [policy["Properties"]["Queues"][0]["Ref"], "Arn"]},
        }
    ]


def test_the_archive_keeps_every_order_event_for_90_days(dev_app: SynthesizedApp) -> None:
    bus_id, _ = one(dev_app, "AWS::Events::EventBus")
    _, archive = one(dev_app, "AWS::Events::Archive")
    assert archive["Properties"]["ArchiveName"] == "all-order-events"
    assert archive["Properties"]["EventPattern"] == {"source": ["com.myapp.orders"]}
    assert archive["Properties"]["RetentionDays"] == 90
    assert archive["Properties"]["SourceArn"] == {"Fn::GetAtt": [bus_id, "Arn"]}


def test_only_the_own_account_may_put_events_on_the_bus(dev_app: SynthesizedApp) -> None:
    """And of it only the bus's producers: see tests/app/test_resource_policies.py."""
    statements = [p["Properties"]["Statement"] for p in resources(dev_app, "AWS::Events::EventBusPolicy").values()]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Action"] == "events:PutEvents"
    assert allow["Principal"] == {
        "AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}
    }


def test_the_schema_registry_holds_the_file_the_producer_validates_against(dev_app: SynthesizedApp) -> None:
    _, registry = one(dev_app, "AWS::EventSchemas::Registry")
    _, schema = one(dev_app, "AWS::EventSchemas::Schema")
    assert registry["Properties"]["RegistryName"] == "orders"
    assert schema["Properties"]["SchemaName"] == "com.myapp.orders@OrderCreated"
    assert schema["Properties"]["Type"] == "JSONSchemaDraft4"
    assert json.loads(schema["Properties"]["Content"]) == json.loads(ORDER_CREATED_SCHEMA.read_text())


def test_the_flow_is_standard_traced_and_logs_everything_to_an_encrypted_group(dev_app: SynthesizedApp) -> None:
    _, machine = one(dev_app, "AWS::StepFunctions::StateMachine")
    props = machine["Properties"]
    assert props["StateMachineName"] == "high-value-order-flow"
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    logging = props["LoggingConfiguration"]
    assert (logging["Level"], logging["IncludeExecutionData"]) == ("ALL", True)
    group_id = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    group = resources(dev_app, "AWS::Logs::LogGroup")[group_id]["Properties"]
    key = resources(dev_app, "AWS::KMS::Key")[group["KmsKeyId"]["Fn::GetAtt"][0]]["Properties"]
    assert key["EnableKeyRotation"] is True
    logs_statements = [s for s in key["KeyPolicy"]["Statement"] if "Service" in s["Principal"]]
    assert len(logs_statements) == 1
    assert "kms:EncryptionContext:aws:logs:arn" in logs_statements[0]["Condition"]["ArnEquals"]


def definition(dev_app: SynthesizedApp) -> dict[str, Any]:
    """The ASL, with the function ARNs replaced by their logical ids."""
    _, machine = one(dev_app, "AWS::StepFunctions::StateMachine")
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else p["Fn::GetAtt"][0] if "Fn::GetAtt" in p else p["Ref"] for p in parts)
    return dict(json.loads(text))


def test_every_task_retries_transient_errors_with_backoff_and_jitter(dev_app: SynthesizedApp) -> None:
    states = definition(dev_app)["States"]
    lambda_tasks = {
        name: state for name, state in states.items() if state["Type"] == "Task" and "sqs" not in state["Resource"]
    }
    assert set(lambda_tasks) == {
        "Screen for fraud",
        "Check credit limit",
        "Reserve inventory",
        "Assign account manager",
        "Release inventory",
    }
    for name, task in lambda_tasks.items():
        if name == "Release inventory":  # idempotent: retried on any error, long enough for a throttle storm
            _, retry = task["Retry"]  # (after MissingExecutionId, which no retry can help)
            assert retry["ErrorEquals"] == ["States.ALL"]
            assert (retry["MaxAttempts"], retry["MaxDelaySeconds"], retry["JitterStrategy"]) == (24, 60, "FULL")
            continue
        (retry,) = task["Retry"]
        # TransientError: the one name every task gives throttling and other transient AWS errors.
        assert retry["ErrorEquals"] == TRANSIENT_ERRORS, name
        assert {"TransientError", "Lambda.ClientExecutionTimeoutException", "Lambda.Unknown"} <= set(
            retry["ErrorEquals"]
        )
        assert (retry["BackoffRate"], retry["MaxAttempts"], retry["JitterStrategy"]) == (2, 4, "FULL"), name


def test_the_tasks_that_write_know_their_execution(dev_app: SynthesizedApp) -> None:
    states = definition(dev_app)["States"]
    for name in ("Reserve inventory", "Release inventory", "Assign account manager"):
        assert states[name]["Parameters"] == {"order.$": "$", "execution_id.$": "$$.Execution.Id"}, name


def test_failures_after_a_reservation_run_the_compensation(dev_app: SynthesizedApp) -> None:
    states = definition(dev_app)["States"]
    assert states["Reserve inventory"]["Catch"] == [
        {"ErrorEquals": ["AlreadyHandled"], "ResultPath": "$.error", "Next": "Already handled"},
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Release inventory"},
    ]
    assert states["Already handled"]["Type"] == "Succeed"
    (catch,) = states["Assign account manager"]["Catch"]
    assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Release inventory"}
    # Every way to end without approving goes through the release, which records the decision.
    for name in ("Screen for fraud", "Check credit limit"):
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Release inventory"}
        ], name
    assert states["Fraud verdict"]["Choices"][0]["Next"] == "Refused as fraud"
    assert (states["Refused as fraud"]["ResultPath"], states["Refused as fraud"]["Next"]) == (
        "$.error",
        "Release inventory",
    )
    assert states["Release inventory"]["Next"] == "Decided by this execution?"
    outcome = states["Decided by this execution?"]
    assert [choice["Next"] for choice in outcome["Choices"]] == [
        "Already handled",
        "Rejected as fraud",
        "Over the credit limit",
    ]
    assert outcome["Choices"][0] == {
        "Variable": "$.compensation.reservation",
        "StringEquals": "NOT_MINE",
        "Next": "Already handled",
    }
    assert outcome["Default"] == "Failed and compensated"


def test_a_task_without_its_execution_id_is_not_retried_by_the_release(dev_app: SynthesizedApp) -> None:
    missing, every_error = definition(dev_app)["States"]["Release inventory"]["Retry"]
    assert missing == {"ErrorEquals": ["MissingExecutionId"], "MaxAttempts": 0}
    assert every_error["ErrorEquals"] == ["States.ALL"]


def test_the_release_retries_for_about_ten_minutes_on_average(dev_app: SynthesizedApp) -> None:
    """Found by trying to break the claim: with full jitter each wait is drawn from 0 to its interval, so 14
    retries of 2 s ... 60 s waited about 5 minutes on average, not the 10 the README promised."""
    (_, retry) = definition(dev_app)["States"]["Release inventory"]["Retry"]
    ceilings = [
        min(retry["IntervalSeconds"] * retry["BackoffRate"] ** k, retry["MaxDelaySeconds"])
        for k in range(retry["MaxAttempts"])
    ]
    assert retry["JitterStrategy"] == "FULL"
    assert 9 * 60 <= sum(ceilings) / 2 <= 11 * 60


def test_a_release_that_still_fails_tells_an_operator_and_ends_in_compensation_failed(
    dev_app: SynthesizedApp,
) -> None:
    states = definition(dev_app)["States"]
    (catch,) = states["Release inventory"]["Catch"]
    assert catch == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.compensation_error", "Next": "Tell an operator"}
    tell = states["Tell an operator"]
    assert tell["Resource"].endswith(":states:::sqs:sendMessage")
    assert tell["Next"] == tell["Catch"][0]["Next"] == "Compensation failed"
    assert (states["Compensation failed"]["Type"], states["Compensation failed"]["Error"]) == (
        "Fail",
        "CompensationFailed",
    )
    queues = resources(dev_app, "AWS::SQS::Queue")
    assert tell["Parameters"]["QueueUrl"] in queues
    assert queues[tell["Parameters"]["QueueUrl"]]["Properties"]["QueueName"] == "order-flow-compensation-failures"


def test_the_flow_outlives_its_longest_retries(dev_app: SynthesizedApp) -> None:
    states = definition(dev_app)["States"]
    worst = 0.0
    for state in states.values():
        for retry in state.get("Retry", []):
            interval = retry.get("IntervalSeconds", 1)
            delays = (interval * retry.get("BackoffRate", 2.0) ** n for n in range(retry["MaxAttempts"]))
            worst += sum(min(retry.get("MaxDelaySeconds", delay), delay) for delay in delays)
    assert definition(dev_app)["TimeoutSeconds"] > worst + 5 * 10 * 15  # and every task's 10 s, 15 times


def test_the_pattern_table_is_big_enough() -> None:
    assert len(ROUTES["events"]) >= 15


@pytest.mark.parametrize("route", ROUTES["events"], ids=[r["name"] for r in ROUTES["events"]])
def test_pattern_table(rule: dict[str, Any], route: dict[str, Any]) -> None:
    assert rule_matches(rule["EventPattern"], route["event"]) is route["routed"], route["note"]


def test_every_routed_event_is_a_valid_order_created_by_the_registry_schema() -> None:
    import jsonschema

    validator = jsonschema.Draft4Validator(json.loads(ORDER_CREATED_SCHEMA.read_text()))
    routed = [r for r in ROUTES["events"] if r["routed"] and r["name"] not in {"extra-fields", "tier-in-list"}]
    assert len(routed) >= 4
    for route in routed:
        assert list(validator.iter_errors(route["event"]["detail"])) == [], route["name"]
    # A reader of the schema ignores fields it does not know (issue 15): an added field is still valid.
    extra = next(r for r in ROUTES["events"] if r["name"] == "extra-fields")
    assert list(validator.iter_errors(extra["event"]["detail"])) == []


def test_the_app_and_its_producer_name_the_same_source_and_detail_type() -> None:
    """The stacks cannot import the handlers' package yet (issue 18): the two constants are checked equal."""
    from orders_functions.common.bus import ORDER_CREATED, ORDERS_SOURCE
    from stacks.orchestration_stack import HIGH_VALUE_PATTERN
    from stacks.orchestration_stack import ORDERS_SOURCE as STACK_SOURCE

    assert STACK_SOURCE == ORDERS_SOURCE
    assert HIGH_VALUE_PATTERN.detail_type == [ORDER_CREATED]
