"""Fine-grained assertions on the work queues and their consumers (dev stage)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from event_constructs import POWERTOOLS_LAYER_VERSION, backstop_receive_count
from stacks.processing_stack import MAX_ATTEMPTS, STANDARD_MAX_RECEIVE_COUNT
from tests.cdk_app import SynthesizedApp

FOURTEEN_DAYS = 14 * 24 * 3600
FOUR_DAYS = 4 * 24 * 3600


def queue_by_name(app: SynthesizedApp, name: str) -> tuple[str, dict[str, Any]]:
    for logical_id, queue in app.resources("OrdersProcessing", "AWS::SQS::Queue").items():
        if queue["Properties"].get("QueueName") == name:
            return logical_id, queue["Properties"]
    raise AssertionError(f"no queue named {name}")


def test_order_processing_queue_is_standard_with_300s_visibility_and_a_dlq(dev_app: SynthesizedApp) -> None:
    _, queue = queue_by_name(dev_app, "order-processing")
    dlq_id, dlq = queue_by_name(dev_app, "order-processing-dlq")
    assert "FifoQueue" not in queue
    assert queue["VisibilityTimeout"] == 300
    assert queue["MessageRetentionPeriod"] == FOUR_DAYS
    assert queue["ReceiveMessageWaitTimeSeconds"] == 20
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": dev_app.orders.stage.max_receive_count["order-processing"],
    }
    assert dlq["MessageRetentionPeriod"] == FOURTEEN_DAYS
    assert dlq["SqsManagedSseEnabled"] is True


def test_balance_updates_queue_is_fifo_in_high_throughput_mode_with_a_fifo_dlq(
    dev_app: SynthesizedApp,
) -> None:
    _, queue = queue_by_name(dev_app, "balance-updates.fifo")
    dlq_id, dlq = queue_by_name(dev_app, "balance-updates-dlq.fifo")
    assert queue["FifoQueue"] is True
    assert queue["DeduplicationScope"] == "messageGroup"
    assert queue["FifoThroughputLimit"] == "perMessageGroupId"
    assert queue["ContentBasedDeduplication"] is False
    assert queue["VisibilityTimeout"] == 180
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq_id, "Arn"]}
    assert dlq["FifoQueue"] is True
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]


@pytest.mark.parametrize("name", ["order-processing", "balance-updates.fifo"])
def test_dlq_redrive_allow_policy_names_only_its_source(dev_app: SynthesizedApp, name: str) -> None:
    dlq_name = name.replace(".fifo", "-dlq.fifo") if name.endswith(".fifo") else f"{name}-dlq"
    _, dlq = queue_by_name(dev_app, dlq_name)
    assert dlq["RedriveAllowPolicy"] == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [
            {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":sqs:",
                        {"Ref": "AWS::Region"},
                        ":",
                        {"Ref": "AWS::AccountId"},
                        f":{name}",
                    ],
                ]
            }
        ],
    }


def test_every_queue_has_a_dlq_or_is_one(dev_app: SynthesizedApp) -> None:
    queues = dev_app.resources("OrdersProcessing", "AWS::SQS::Queue")
    subscriptions = dev_app.resources("OrdersProcessing", "AWS::SNS::Subscription")
    queue_dlqs = {
        queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for queue in queues.values()
        if "RedrivePolicy" in queue["Properties"]
    }
    delivery_dlqs = {
        subscription["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for subscription in subscriptions.values()
    }
    assert len(queue_dlqs) == 6
    assert len(delivery_dlqs) == len(subscriptions) == 3
    for logical_id, queue in queues.items():
        assert "RedrivePolicy" in queue["Properties"] or logical_id in queue_dlqs | delivery_dlqs, logical_id
        if logical_id in queue_dlqs:
            assert "RedriveAllowPolicy" in queue["Properties"], logical_id


def test_every_queue_denies_requests_without_tls(dev_app: SynthesizedApp) -> None:
    queues = dev_app.resources("OrdersProcessing", "AWS::SQS::Queue")
    protected: set[str] = set()
    for policy in dev_app.resources("OrdersProcessing", "AWS::SQS::QueuePolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        if any(
            s["Effect"] == "Deny"
            and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            and s["Principal"] == {"AWS": "*"}
            and s["Action"] == "sqs:*"
            for s in statements
        ):
            protected.update(ref["Ref"] for ref in policy["Properties"]["Queues"])
    assert protected == set(queues)


def test_consumers_report_batch_item_failures(dev_app: SynthesizedApp) -> None:
    template = dev_app.template("OrdersProcessing")
    template.resource_count_is("AWS::Lambda::EventSourceMapping", 5)
    template.all_resources_properties(
        "AWS::Lambda::EventSourceMapping", {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
    )
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [Match.string_like_regexp("^OrderProcessingQueue"), "Arn"]},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 2,
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [Match.string_like_regexp("^BalanceUpdatesQueue"), "Arn"]},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": Match.absent(),
        },
    )


def test_visibility_timeout_is_at_least_six_times_the_consumer_timeout(dev_app: SynthesizedApp) -> None:
    queues = dev_app.resources("OrdersProcessing", "AWS::SQS::Queue")
    functions = dev_app.resources("OrdersProcessing", "AWS::Lambda::Function")
    mappings = dev_app.resources("OrdersProcessing", "AWS::Lambda::EventSourceMapping")
    for mapping in mappings.values():
        props = mapping["Properties"]
        queue = queues[props["EventSourceArn"]["Fn::GetAtt"][0]]["Properties"]
        function = functions[props["FunctionName"]["Ref"]]["Properties"]
        window = props.get("MaximumBatchingWindowInSeconds", 0)
        assert queue["VisibilityTimeout"] >= 6 * function["Timeout"] + window
        # A backstop above the attempt limit (attempts are counted apart from receives).
        fifo = queue.get("FifoQueue", False)
        backstop = backstop_receive_count(MAX_ATTEMPTS, props.get("BatchSize", 10), fifo=fifo)
        assert queue["RedrivePolicy"]["maxReceiveCount"] >= backstop


@pytest.mark.parametrize(
    ("handler", "variables"),
    [
        (
            "orders_functions.order_processor.handler.lambda_handler",
            {
                "ORDERS_TABLE",
                "ORDER_EVENTS_TOPIC_ARN",
                "ORDERS_BUS_NAME",
            },
        ),
        ("orders_functions.balance_updater.handler.lambda_handler", {"BALANCES_TABLE"}),
        ("orders_functions.payment.handler.lambda_handler", {"PAYMENTS_TABLE", "BALANCE_UPDATES_QUEUE_URL"}),
        ("orders_functions.notification.handler.lambda_handler", {"NOTIFICATIONS_TABLE"}),
        ("orders_functions.analytics.handler.lambda_handler", {"DATA_LAKE_BUCKET"}),
    ],
)
def test_consumer_functions(dev_app: SynthesizedApp, handler: str, variables: set[str]) -> None:
    functions = [
        f["Properties"]
        for f in dev_app.resources("OrdersProcessing", "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == handler
    ]
    assert len(functions) == 1
    function = functions[0]
    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert function["LoggingConfig"]["LogFormat"] == "JSON"
    assert function["Timeout"] == 30
    (powertools,) = [layer for layer in function["Layers"] if "Fn::Join" in layer]
    (runtime,) = [layer for layer in function["Layers"] if "Ref" in layer]  # the library's runtime half
    assert runtime["Ref"].startswith("EventRuntimeLayer")
    *_, account, layer = powertools["Fn::Join"][1]
    assert account == {"Fn::FindInMap": ["PowertoolsLayerMap", {"Ref": "AWS::Region"}, "account"]}  # per partition
    assert layer == f":layer:AWSLambdaPowertoolsPythonV3-python314-arm64:{POWERTOOLS_LAYER_VERSION}"
    expected = {
        "POWERTOOLS_SERVICE_NAME",
        "QUEUE_URL",
        "DEAD_LETTER_QUEUE_URL",
        "MAX_ATTEMPTS",
        "MAX_RECEIVE_COUNT",
        "ATTEMPTS_TABLE",
        *variables,
    }
    assert set(function["Environment"]["Variables"]) == expected
    assert function["Environment"]["Variables"]["MAX_ATTEMPTS"] == str(MAX_ATTEMPTS)
    assert "MessageAttemptsTable" in json.dumps(function["Environment"]["Variables"]["ATTEMPTS_TABLE"])


def test_consumers_may_send_to_their_dlq_and_consume_only_their_queue(dev_app: SynthesizedApp) -> None:
    policies = dev_app.resources("OrdersProcessing", "AWS::IAM::Policy")
    for name, dlq_prefix, queue_prefix in (
        ("OrderProcessor", "OrderProcessingQueueDeadLetterQueue", "OrderProcessingQueue"),
        ("BalanceUpdater", "BalanceUpdatesQueueDeadLetterQueue", "BalanceUpdatesQueue"),
    ):
        (policy,) = [p for logical_id, p in policies.items() if logical_id.startswith(f"{name}ServiceRole")]
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        by_resource = {
            s["Resource"]["Fn::GetAtt"][0]: set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
            for s in statements
            if isinstance(s["Resource"], dict) and "Fn::GetAtt" in s["Resource"]
        }
        dlq = next(v for k, v in by_resource.items() if k.startswith(dlq_prefix))
        queue = next(v for k, v in by_resource.items() if k.startswith(queue_prefix) and "DeadLetter" not in k)
        assert "sqs:SendMessage" in dlq and "sqs:ReceiveMessage" not in dlq
        assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"} <= queue
        wildcard = [s for s in statements if s["Resource"] == "*"]
        assert [set(s["Action"]) for s in wildcard] == [{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}]


def test_each_function_logs_to_its_own_group_with_retention(dev_app: SynthesizedApp) -> None:
    template = dev_app.template("OrdersProcessing")
    # Five functions, the reconciliation worker, and its network's flow log.
    template.resource_count_is("AWS::Logs::LogGroup", 7)
    template.all_resources_properties("AWS::Logs::LogGroup", {"RetentionInDays": 7})
    template.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    roles = dev_app.resources("OrdersProcessing", "AWS::IAM::Role")
    managed = [logical_id for logical_id, role in roles.items() if "ManagedPolicyArns" in role["Properties"]]
    # Only CDK's own provider, which empties the workers' VPC's default security group, has one (its logs).
    assert [
        logical_id.startswith("CustomVpcRestrictDefaultSGCustomResourceProviderRole") for logical_id in managed
    ] == [True]


def test_the_attempt_limit_comes_long_before_the_backstop() -> None:
    """A standard queue's consumer gives up after MAX_ATTEMPTS real attempts, well before SQS's maxReceiveCount."""
    assert 2 * MAX_ATTEMPTS <= STANDARD_MAX_RECEIVE_COUNT
