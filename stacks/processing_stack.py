"""The orders app's messaging: the two work queues, the order-events fan-out, and their consumers."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from constructs import Construct

from event_constructs import (
    EventQueue,
    EventRouter,
    FanOutTopic,
    QueueConsumer,
    QueueWorkerService,
    Subscriber,
    backstop_receive_count,
)
from orders_functions.analytics.service import PREFIX as DATA_LAKE_PREFIX
from orders_functions.analytics.settings import AnalyticsSettings
from orders_functions.balance_updater.settings import BalanceUpdaterSettings
from orders_functions.common.outputs import StackOutput
from orders_functions.notification.settings import NotificationSettings
from orders_functions.order_processor.settings import OrderProcessorSettings
from orders_functions.payment.settings import PaymentSettings
from orders_functions.reconciliation.service import PREFIX as RECONCILIATION_PREFIX
from orders_functions.reconciliation.settings import ReconciliationSettings
from stacks.assets import functions_code
from stacks.config import StageConfig
from stacks.data_stack import OrdersDataStack
from stacks.outputs import declare_outputs

ORDER_QUEUE_NAME = "order-processing"
BALANCE_QUEUE_NAME = "balance-updates.fifo"
ORDER_EVENTS_TOPIC_NAME = "order-events"
PAYMENT_QUEUE_NAME = "payment-processing"
NOTIFICATION_QUEUE_NAME = "notification-service"
ANALYTICS_QUEUE_NAME = "analytics-ingestion"
RECONCILIATION_QUEUE_NAME = "balance-reconciliation"
#: The reconciliation worker's command in its image (Dockerfile.worker); the local cloud runs it as a process.
RECONCILIATION_COMMAND = ("python", "-m", "orders_functions.reconciliation.worker")
#: The queues this stack makes, by the names cdk.json's ``max_receive_count`` gives each its redrive limit.
QUEUE_NAMES = (
    ORDER_QUEUE_NAME,
    BALANCE_QUEUE_NAME,
    PAYMENT_QUEUE_NAME,
    NOTIFICATION_QUEUE_NAME,
    ANALYTICS_QUEUE_NAME,
    RECONCILIATION_QUEUE_NAME,
)
#: Real attempts at a message before its consumer dead-letters it with the last error: with backoff of
#: 10 s, 20 s ... 640 s between them, the last attempt comes about 21 minutes after the first.
MAX_ATTEMPTS = 8
BATCH_SIZE = 10
#: The least maxReceiveCount the consumers accept on a standard and on a FIFO queue: with attempts counted,
#: maxReceiveCount is only a backstop for records received but not tried (see QueueConsumer). Each queue's
#: own value is a stage setting (``max_receive_count`` in cdk.json), refused at synth when below these.
STANDARD_MAX_RECEIVE_COUNT = backstop_receive_count(MAX_ATTEMPTS, BATCH_SIZE, fifo=False)
FIFO_MAX_RECEIVE_COUNT = backstop_receive_count(MAX_ATTEMPTS, BATCH_SIZE, fifo=True)


def order_event_subscribers(stage: StageConfig) -> tuple[Subscriber, ...]:
    """Who hears which order event, with the stage's redrive limits. Attribute filters: see
    orders_functions/common/events.py for the attributes."""
    return (
        Subscriber(
            PAYMENT_QUEUE_NAME,
            max_receive_count=stage.max_receive_count[PAYMENT_QUEUE_NAME],
            attribute_filter={
                "event_type": ["order.created", "order.cancelled"],
                "amount": [{"numeric": [">=", 0]}],
            },
            raw_message_delivery=True,
            visibility_timeout=Duration.seconds(180),
        ),
        Subscriber(
            NOTIFICATION_QUEUE_NAME,
            max_receive_count=stage.max_receive_count[NOTIFICATION_QUEUE_NAME],
            attribute_filter={"event_type": [{"prefix": "order."}], "internal": [{"exists": False}]},
            raw_message_delivery=True,
            visibility_timeout=Duration.seconds(180),
        ),
        # No filter: the data lake keeps everything. The SNS envelope is kept (no raw delivery) for
        # its message id, timestamp and attributes.
        Subscriber(
            ANALYTICS_QUEUE_NAME,
            max_receive_count=stage.max_receive_count[ANALYTICS_QUEUE_NAME],
            visibility_timeout=Duration.seconds(200),
        ),
    )


class OrderProcessingStack(Stack):
    """``order-processing`` (standard) -> order_processor; ``balance-updates.fifo`` -> balance_updater;
    the order-events fan-out and its consumers; ``balance-reconciliation`` -> the reconciliation worker (ECS)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        data: OrdersDataStack,
        router: EventRouter,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        code = functions_code()
        queue_options: dict[str, Any] = {
            "retention_period": Duration.days(stage.queue_retention_days),
            "dead_letter_retention_period": Duration.days(stage.dead_letter_retention_days),
            "removal_policy": stage.removal_policy,
        }
        consumer_options: dict[str, Any] = {
            "code": code,
            "log_retention": stage.log_retention,
            "removal_policy": stage.removal_policy,
            "attempts_table": data.attempts_table,
            "max_attempts": MAX_ATTEMPTS,
        }

        self.order_queue = EventQueue(
            self,
            "OrderProcessingQueue",
            queue_name=ORDER_QUEUE_NAME,
            visibility_timeout=Duration.seconds(300),
            max_receive_count=stage.max_receive_count[ORDER_QUEUE_NAME],
            **queue_options,
        )
        self.order_events = FanOutTopic(
            self,
            "OrderEvents",
            topic_name=ORDER_EVENTS_TOPIC_NAME,
            subscribers=order_event_subscribers(stage),
            retention_period=queue_options["retention_period"],
            dead_letter_retention_period=queue_options["dead_letter_retention_period"],
            removal_policy=stage.removal_policy,
        )
        self.order_processor = QueueConsumer(
            self,
            "OrderProcessor",
            queue=self.order_queue,
            handler="orders_functions.order_processor.handler.lambda_handler",
            service_name="order_processor",
            description="Records each fact about an order once and announces what the stored order says",
            batch_size=BATCH_SIZE,
            max_batching_window=Duration.seconds(2),
            environment=OrderProcessorSettings(
                orders_table=data.orders_table.table_name,
                order_events_topic_arn=self.order_events.topic.topic_arn,
                orders_bus_name=router.bus.event_bus_name,
            ).to_environment(),
            # Named, so that the bus's policy (in the orchestration stack) can name it without a reference back.
            role_name=f"orders-{stage.name}-order-processor",
            **consumer_options,
        )
        data.orders_table.grant(self.order_processor.function, "dynamodb:GetItem", "dynamodb:UpdateItem")
        self.order_events.grant_publish(self.order_processor.function)
        router.grant_put_events(self.order_processor.function)
        # The entry points accept writes only from their producers (and the operators): nobody else in the
        # account, whatever their own policies allow, can put an order event past order_processor's checks.
        operators = stage.role_arns(stage.operators)
        self.order_queue.accept_writes_only_from(*stage.role_arns(stage.order_producers), *operators)
        self.order_events.accept_writes_only_from(*operators)

        # MessageGroupId = account_id keeps each account's updates in order;
        # MessageDeduplicationId = transaction_id drops a resent transaction.
        self.balance_queue = EventQueue(
            self,
            "BalanceUpdatesQueue",
            queue_name=BALANCE_QUEUE_NAME,
            fifo=True,
            high_throughput=True,
            visibility_timeout=Duration.seconds(180),
            max_receive_count=stage.max_receive_count[BALANCE_QUEUE_NAME],
            **queue_options,
        )
        self.balance_updater = QueueConsumer(
            self,
            "BalanceUpdater",
            queue=self.balance_queue,
            handler="orders_functions.balance_updater.handler.lambda_handler",
            service_name="balance_updater",
            description="Applies each balance change exactly once, in order per account",
            batch_size=BATCH_SIZE,
            environment=BalanceUpdaterSettings(balances_table=data.balances_table.table_name).to_environment(),
            **consumer_options,
        )
        # The ledger entry and the balance in one transaction (PutItem, UpdateItem, ConditionCheckItem for a
        # refund's charge); GetItem to tell a resend with another amount, and a done record.
        data.balances_table.grant(
            self.balance_updater.function,
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:ConditionCheckItem",
            "dynamodb:GetItem",
        )

        self._event_consumers(stage, data, consumer_options)
        self._reconciliation(stage, data, queue_options)
        declare_outputs(
            self,
            {
                StackOutput.ORDER_QUEUE: self.order_queue.queue_url,
                StackOutput.RECONCILIATION_QUEUE: self.reconciliation_queue.queue_url,
            },
        )

    def _event_consumers(self, stage: StageConfig, data: OrdersDataStack, consumer_options: dict[str, Any]) -> None:
        queues = self.order_events.queues
        self.payment = QueueConsumer(
            self,
            "PaymentConsumer",
            queue=queues[PAYMENT_QUEUE_NAME],
            handler="orders_functions.payment.handler.lambda_handler",
            service_name="payment",
            description="Authorises payments and refunds cancellations, sending balance updates",
            environment=PaymentSettings(
                payments_table=data.payments_table.table_name,
                balance_updates_queue_url=self.balance_queue.queue_url,
            ).to_environment(),
            **consumer_options,
        )
        data.payments_table.grant(self.payment.function, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem")
        self.balance_queue.grant_send_messages(self.payment.function)
        self.balance_queue.accept_writes_only_from(*stage.role_arns(stage.operators))

        self.notification = QueueConsumer(
            self,
            "NotificationConsumer",
            queue=queues[NOTIFICATION_QUEUE_NAME],
            handler="orders_functions.notification.handler.lambda_handler",
            service_name="notification",
            description="Records a notification for each public order event",
            environment=NotificationSettings(notifications_table=data.notifications_table.table_name).to_environment(),
            **consumer_options,
        )
        data.notifications_table.grant(self.notification.function, "dynamodb:PutItem")

        self.analytics = QueueConsumer(
            self,
            "AnalyticsConsumer",
            queue=queues[ANALYTICS_QUEUE_NAME],
            handler="orders_functions.analytics.handler.lambda_handler",
            service_name="analytics",
            description="Writes each order event to the data lake, once per event id",
            max_batching_window=Duration.seconds(10),
            batch_size=100,
            environment=AnalyticsSettings(data_lake_bucket=data.data_lake_bucket.bucket_name).to_environment(),
            **consumer_options,
        )
        # The bucket is named, not referenced: its ARN needs no export from the data stack.
        objects = f"{data.data_lake_arn()}/{DATA_LAKE_PREFIX}/*"
        self.analytics.function.add_to_role_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[objects]))
        assert self.analytics.role is not None  # created by QueueConsumer
        Validations.of(self.analytics.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::"
                f"{data.data_lake_arn(as_cdk_nag_renders_it=True)}/{DATA_LAKE_PREFIX}/*]",
                reason="The analytics-ingestion consumer writes one object per batch under events/ of the data "
                "lake, with keys made at run time (date partition + batch hash): the prefix is the narrowest "
                "resource, and the only action is s3:PutObject",
            )
        )

    def _reconciliation(self, stage: StageConfig, data: OrdersDataStack, queue_options: dict[str, Any]) -> None:
        """Balance against ledger, per account, by a long-running worker (docs/decisions/006-queue-worker.md)."""
        self.reconciliation_queue = EventQueue(
            self,
            "BalanceReconciliationQueue",
            queue_name=RECONCILIATION_QUEUE_NAME,
            visibility_timeout=Duration.seconds(120),
            max_receive_count=stage.max_receive_count[RECONCILIATION_QUEUE_NAME],
            **queue_options,
        )
        images = ecr.Repository.from_repository_name(self, "WorkerImages", stage.worker_image_repository)
        self.reconciliation = QueueWorkerService(
            self,
            "BalanceReconciliation",
            queue=self.reconciliation_queue,
            image=ecs.ContainerImage.from_ecr_repository(images, stage.worker_image_tag),
            command=list(RECONCILIATION_COMMAND),
            environment=ReconciliationSettings(
                balances_table=data.balances_table.table_name,
                reports_bucket=data.data_lake_bucket.bucket_name,
            ).to_environment(),
            # A check reads one account's partition: about a second, most of it waiting on DynamoDB.
            concurrency=4,
            batch_size=10,
            max_task_count=2,
            time_per_message=Duration.seconds(1),
            attempts_table=data.attempts_table,
            max_attempts=MAX_ATTEMPTS,
            log_retention=stage.log_retention,
            removal_policy=stage.removal_policy,
        )
        worker = self.reconciliation.grantee
        data.balances_table.grant(worker, "dynamodb:Query", "dynamodb:GetItem", "dynamodb:Scan")
        # A request for every account becomes a request per account, on this same queue.
        self.reconciliation_queue.grant_send_messages(worker)
        self.reconciliation_queue.accept_writes_only_from(*stage.role_arns(stage.operators))
        reports = f"{data.data_lake_arn()}/{RECONCILIATION_PREFIX}/*"
        self.reconciliation.task_role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[reports])
        )
        Validations.of(self.reconciliation.task_role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::"
                f"{data.data_lake_arn(as_cdk_nag_renders_it=True)}/{RECONCILIATION_PREFIX}/*]",
                reason="The BalanceReconciliation worker writes one report per account per run under reconciliations/ "
                "of the data lake, with keys made at run time (run id + account id): the prefix is the narrowest "
                "resource, and the only action is s3:PutObject",
            )
        )
