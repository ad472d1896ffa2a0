"""The peer for the synth benchmark: the orders topology composed from AWS Solutions Constructs.

Same resources as the orders app where a pattern exists (aws-sqs-lambda for each queue and its
consumer, aws-sns-sqs for each subscriber of ``order-events``, aws-eventbridge-stepfunctions for
the bus, rule and workflow); plain CDK for what no pattern covers (tables, data lake, archive,
schema registry, replay function). It has no cdk-nag and no monitoring stack: the bench prints
"ours without cdk-nag" as well, for a like-for-like reading.

Run by ``python -m bench`` as ``cdk synth --app "python bench/peer_app.py"``; not part of the app.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_eventschemas as eventschemas
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.aws_lambda_event_sources import SqsEventSourceProps
from aws_solutions_constructs.aws_eventbridge_stepfunctions import EventbridgeToStepfunctions
from aws_solutions_constructs.aws_sns_sqs import SnsToSqs
from aws_solutions_constructs.aws_sqs_lambda import SqsToLambda
from constructs import Construct

ROOT = Path(__file__).resolve().parent.parent
LAMBDAS = ROOT / "lambdas"
SCHEMA = LAMBDAS / "orders_functions" / "common" / "schemas" / "order_created.json"
POWERTOOLS_ARN = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:36"


class PeerOrdersStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.code = lambda_.Code.from_asset(str(LAMBDAS), exclude=["**/__pycache__", "**/*.pyc"])
        self.layer = lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", POWERTOOLS_ARN)
        tables = {
            name: dynamodb.TableV2(
                self,
                f"{name.title()}Table",
                partition_key=dynamodb.Attribute(name=key, type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name="entry", type=dynamodb.AttributeType.STRING)
                if name == "balances"
                else None,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
            )
            for name, key in (
                ("attempts", "message_key"),
                ("orders", "order_id"),
                ("balances", "account_id"),
                ("payments", "order_id"),
                ("notifications", "notification_id"),
                ("workflow", "order_id"),
            )
        }
        data_lake = s3.Bucket(self, "DataLake", versioned=True, enforce_ssl=True)

        bus = EventbridgeToStepfunctions(
            self,
            "HighValue",
            event_bus_props=events.EventBusProps(event_bus_name="orders"),
            event_rule_props=events.RuleProps(
                rule_name="high-value-order-routing",
                event_pattern=events.EventPattern(
                    source=["com.myapp.orders"],
                    detail_type=["OrderCreated"],
                    detail={"total": events.Match.greater_than(1000), "customer_tier": ["enterprise", "premium"]},
                ),
            ),
            state_machine_props=sfn.StateMachineProps(
                state_machine_name="high-value-order-flow",
                state_machine_type=sfn.StateMachineType.STANDARD,
                definition_body=sfn.DefinitionBody.from_chainable(self._flow(tables["workflow"])),
                timeout=Duration.minutes(15),
                tracing_enabled=True,
            ),
        )
        assert bus.event_bus is not None
        bus.event_bus.archive(
            "Archive",
            archive_name="all-order-events",
            event_pattern=events.EventPattern(source=["com.myapp.orders"]),
            retention=Duration.days(90),
        )
        registry = eventschemas.CfnRegistry(self, "Registry", registry_name="orders")
        eventschemas.CfnSchema(
            self,
            "OrderCreatedSchema",
            registry_name="orders",
            schema_name="com.myapp.orders@OrderCreated",
            type="JSONSchemaDraft4",
            content=json.dumps(json.loads(SCHEMA.read_text())),
        ).node.add_dependency(registry)
        self._function(
            "ArchiveReplay",
            "orders_functions.replay.handler.lambda_handler",
            {"BUS_NAME": "orders"},
            Duration.minutes(15),
        )

        orders = SqsToLambda(
            self,
            "OrderProcessing",
            queue_props=sqs.QueueProps(queue_name="order-processing", visibility_timeout=Duration.seconds(300)),
            max_receive_count=5,
            lambda_function_props=self._props(
                "orders_functions.order_processor.handler.lambda_handler",
                {"ORDERS_TABLE": tables["orders"].table_name, "ATTEMPTS_TABLE": tables["attempts"].table_name},
            ),
            sqs_event_source_props=SqsEventSourceProps(
                batch_size=10, max_batching_window=Duration.seconds(2), report_batch_item_failures=True
            ),
        )
        tables["orders"].grant_read_write_data(orders.lambda_function)
        tables["attempts"].grant_read_write_data(orders.lambda_function)
        assert bus.event_bus is not None
        bus.event_bus.grant_put_events_to(orders.lambda_function)

        filters = {
            "payment-processing": {
                "event_type": sns.SubscriptionFilter.string_filter(allowlist=["order.created", "order.cancelled"]),
                "amount": sns.SubscriptionFilter.numeric_filter(greater_than_or_equal_to=0),
            },
            "notification-service": {
                "event_type": sns.SubscriptionFilter.string_filter(match_prefixes=["order."]),
                "internal": sns.SubscriptionFilter(conditions=[{"exists": False}]),
            },
            "analytics-ingestion": None,
        }
        topic: sns.Topic | None = None
        consumers = {}
        for name, policy in filters.items():
            fan_out = SnsToSqs(
                self,
                f"{name.title().replace('-', '')}FanOut",
                topic_props=sns.TopicProps(topic_name="order-events") if topic is None else None,
                existing_topic_obj=topic,
                queue_props=sqs.QueueProps(queue_name=name, visibility_timeout=Duration.seconds(200)),
                max_receive_count=5,
                sqs_subscription_props=subscriptions.SqsSubscriptionProps(
                    filter_policy=policy, raw_message_delivery=name != "analytics-ingestion"
                ),
            )
            topic = fan_out.sns_topic
            consumers[name] = SqsToLambda(
                self,
                f"{name.title().replace('-', '')}Consumer",
                existing_queue_obj=fan_out.sqs_queue,
                lambda_function_props=self._props(f"{name.split('-')[0]}.handler.lambda_handler", {}),
                sqs_event_source_props=SqsEventSourceProps(batch_size=10, report_batch_item_failures=True),
            )
        assert topic is not None
        topic.grant_publish(orders.lambda_function)
        data_lake.grant_put(consumers["analytics-ingestion"].lambda_function)
        tables["payments"].grant_read_write_data(consumers["payment-processing"].lambda_function)
        tables["notifications"].grant_read_write_data(consumers["notification-service"].lambda_function)

        balances = SqsToLambda(
            self,
            "BalanceUpdates",
            queue_props=sqs.QueueProps(
                queue_name="balance-updates.fifo",
                fifo=True,
                deduplication_scope=sqs.DeduplicationScope.MESSAGE_GROUP,
                fifo_throughput_limit=sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
                visibility_timeout=Duration.seconds(180),
            ),
            dead_letter_queue_props=sqs.QueueProps(queue_name="balance-updates-dlq.fifo", fifo=True),
            max_receive_count=5,
            lambda_function_props=self._props(
                "orders_functions.balance_updater.handler.lambda_handler",
                {"BALANCES_TABLE": tables["balances"].table_name},
            ),
            sqs_event_source_props=SqsEventSourceProps(batch_size=10, report_batch_item_failures=True),
        )
        tables["balances"].grant_read_write_data(balances.lambda_function)
        assert balances.sqs_queue is not None
        balances.sqs_queue.grant_send_messages(consumers["payment-processing"].lambda_function)

    def _props(
        self, handler: str, environment: dict[str, str], timeout: Duration | None = None
    ) -> lambda_.FunctionProps:
        return lambda_.FunctionProps(
            runtime=lambda_.Runtime.PYTHON_3_14,
            architecture=lambda_.Architecture.ARM_64,
            code=self.code,
            handler=handler,
            layers=[self.layer],
            timeout=timeout or Duration.seconds(30),
            memory_size=256,
            tracing=lambda_.Tracing.ACTIVE,
            environment=environment,
        )

    def _function(
        self, construct_id: str, handler: str, environment: dict[str, str], timeout: Duration | None = None
    ) -> lambda_.Function:
        props = self._props(handler, environment, timeout)
        return lambda_.Function(
            self,
            construct_id,
            runtime=props.runtime,
            architecture=props.architecture,
            code=props.code,
            handler=props.handler,
            layers=props.layers,
            timeout=props.timeout,
            memory_size=props.memory_size,
            tracing=props.tracing,
            environment=props.environment,
        )

    def _flow(self, table: dynamodb.ITableV2) -> sfn.IChainable:
        def invoke(name: str, handler: str, result_path: str) -> tasks.LambdaInvoke:
            function = self._function(name.title().replace(" ", ""), f"orders_functions.workflow.handler.{handler}", {})
            table.grant_read_write_data(function)
            step = tasks.LambdaInvoke(
                self, name, lambda_function=function, payload_response_only=True, result_path=result_path
            )
            step.add_retry(errors=["TransientError"], max_attempts=4, jitter_strategy=sfn.JitterType.FULL)
            return step

        compensated = sfn.Fail(self, "Failed and compensated", error="OrderFlowFailed")
        release = invoke("Release inventory", "release_inventory", "$.compensation").next(compensated)
        approved = sfn.Succeed(self, "Approved")
        assign = invoke("Assign account manager", "assign_account_manager", "$.account_manager")
        assign.add_catch(release, errors=["States.ALL"], result_path="$.error")
        needs_manager = (
            sfn.Choice(self, "Needs an account manager?")
            .when(sfn.Condition.number_greater_than("$.amount", 10_000), assign.next(approved))
            .otherwise(approved)
        )
        reserve = invoke("Reserve inventory", "reserve_inventory", "$.inventory")
        reserve.add_catch(release, errors=["States.ALL"], result_path="$.error")
        credit = invoke("Check credit limit", "check_credit_limit", "$.credit")
        credit.add_catch(
            sfn.Fail(self, "Over the credit limit", error="CreditLimitExceeded"),
            errors=["CreditLimitExceeded"],
            result_path="$.error",
        )
        verdict = (
            sfn.Choice(self, "Fraud verdict")
            .when(
                sfn.Condition.string_equals("$.fraud.verdict", "reject"),
                sfn.Fail(self, "Rejected as fraud", error="FraudSuspected"),
            )
            .otherwise(credit.next(reserve).next(needs_manager))
        )
        return invoke("Screen for fraud", "screen_for_fraud", "$.fraud").next(verdict)


def main() -> None:
    app = cdk.App()
    PeerOrdersStack(app, "PeerOrders")
    app.synth()


if __name__ == "__main__":
    main()
