"""The two work queues of the orders app and their consumers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from event_constructs import EventQueue, QueueConsumer
from stacks.config import StageConfig
from stacks.data_stack import OrdersDataStack

LAMBDAS_DIR = Path(__file__).resolve().parent.parent / "lambdas"

ORDER_QUEUE_NAME = "order-processing"
BALANCE_QUEUE_NAME = "balance-updates"


def lambdas_code() -> lambda_.Code:
    """All handlers ship as one asset (one upload): each function is a package in lambdas/."""
    return lambda_.Code.from_asset(str(LAMBDAS_DIR), exclude=["**/__pycache__", "**/*.pyc", "**/.pytest_cache"])


class OrderProcessingStack(Stack):
    """``order-processing`` (standard) -> order_processor; ``balance-updates.fifo`` -> balance_updater."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        data: OrdersDataStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        code = lambdas_code()
        queue_options: dict[str, Any] = {
            "retention_period": Duration.days(stage.queue_retention_days),
            "dead_letter_retention_period": Duration.days(stage.dead_letter_retention_days),
            "removal_policy": stage.removal_policy,
            "max_receive_count": 5,
        }
        consumer_options: dict[str, Any] = {
            "code": code,
            "log_retention": stage.log_retention,
            "removal_policy": stage.removal_policy,
            "timeout": Duration.seconds(30),
        }

        self.order_queue = EventQueue(
            self,
            "OrderProcessingQueue",
            queue_name=ORDER_QUEUE_NAME,
            visibility_timeout=Duration.seconds(300),
            **queue_options,
        )
        self.order_processor = QueueConsumer(
            self,
            "OrderProcessor",
            queue=self.order_queue,
            handler="order_processor.handler.lambda_handler",
            service_name="order_processor",
            description="Stores each order once, whatever the number of deliveries",
            batch_size=10,
            max_batching_window=Duration.seconds(2),
            environment={
                "ORDERS_TABLE": data.orders_table.table_name,
                "IDEMPOTENCY_TABLE": data.idempotency_table.table_name,
                "IDEMPOTENCY_TTL_SECONDS": str(stage.idempotency_ttl_seconds),
            },
            **consumer_options,
        )
        data.orders_table.grant_read_write_data(self.order_processor.function)
        data.idempotency_table.grant_read_write_data(self.order_processor.function)

        # MessageGroupId = account_id keeps each account's updates in order;
        # MessageDeduplicationId = transaction_id drops a resent transaction.
        self.balance_queue = EventQueue(
            self,
            "BalanceUpdatesQueue",
            queue_name=BALANCE_QUEUE_NAME,
            fifo=True,
            high_throughput=True,
            visibility_timeout=Duration.seconds(180),
            **queue_options,
        )
        self.balance_updater = QueueConsumer(
            self,
            "BalanceUpdater",
            queue=self.balance_queue,
            handler="balance_updater.handler.lambda_handler",
            service_name="balance_updater",
            description="Applies each balance change exactly once, in order per account",
            batch_size=10,
            environment={"BALANCES_TABLE": data.balances_table.table_name},
            **consumer_options,
        )
        data.balances_table.grant_read_write_data(self.balance_updater.function)
