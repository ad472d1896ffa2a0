"""The stateful part of the orders app: the tables the handlers write."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from event_runtime.attempts import EXPIRES_AT_ATTRIBUTE, MESSAGE_KEY_ATTRIBUTE
from orders_functions.common.outputs import StackOutput
from stacks.config import StageConfig
from stacks.outputs import declare_outputs

_DATA_LAKE_ARN = "arn:{partition}:s3:::orders-{stage}-data-lake-{account}-{region}"


def data_lake_bucket_name(stage_name: str) -> str:
    """The data lake's bucket name: fixed, so other stacks can name it without a cross-stack export."""
    return data_lake_bucket_arn(stage_name).split(":::", 1)[1]


def data_lake_bucket_arn(stage_name: str, *, as_cdk_nag_renders_it: bool = False) -> str:
    """The bucket's ARN; or, with ``as_cdk_nag_renders_it``, the text cdk-nag shows for it in a finding."""
    if as_cdk_nag_renders_it:
        pseudo = {"partition": "<AWS::Partition>", "account": "<AWS::AccountId>", "region": "<AWS::Region>"}
    else:
        pseudo = {"partition": Aws.PARTITION, "account": Aws.ACCOUNT_ID, "region": Aws.REGION}
    return _DATA_LAKE_ARN.format(stage=stage_name, **pseudo)


class OrdersDataStack(Stack):
    """Tables (orders, balances and their ledger, payments, notifications, the flow's state, and the
    consumers' attempt counts) and the analytics data lake bucket."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, termination_protection=stage.termination_protection, **kwargs)
        self._stage = stage
        # Real attempts per message, apart from SQS's receive count (event_runtime.attempts); items expire.
        self.attempts_table = self._table(
            "MessageAttemptsTable", MESSAGE_KEY_ATTRIBUTE, time_to_live_attribute=EXPIRES_AT_ATTRIBUTE
        )
        # One item per order: every fact received about it, and which of its events were announced.
        self.orders_table = self._table("OrdersTable", "order_id")
        # One item per account holds the balance (entry = "BALANCE"); one item per applied
        # transaction (entry = "TXN#<transaction_id>") is the ledger that makes each change apply once.
        self.balances_table = self._table("AccountBalancesTable", "account_id", sort_key="entry")
        self.payments_table = self._table("PaymentsTable", "order_id")
        self.notifications_table = self._table("NotificationsTable", "notification_id")
        # The high-value order flow's state per order: inventory reservation, account manager.
        self.workflow_table = self._table("OrderWorkflowTable", "order_id")
        self._data_lake(stage.name, stage.removal_policy)
        declare_outputs(
            self,
            {
                StackOutput.ORDERS_TABLE: self.orders_table.table_name,
                StackOutput.BALANCES_TABLE: self.balances_table.table_name,
                StackOutput.PAYMENTS_TABLE: self.payments_table.table_name,
                StackOutput.NOTIFICATIONS_TABLE: self.notifications_table.table_name,
                StackOutput.WORKFLOW_TABLE: self.workflow_table.table_name,
                StackOutput.DATA_LAKE_BUCKET: self.data_lake_bucket.bucket_name,
            },
        )

    def data_lake_arn(self, *, as_cdk_nag_renders_it: bool = False) -> str:
        """The data lake bucket's ARN, by its fixed name: a stack that grants on it needs no export from this one.

        With ``as_cdk_nag_renders_it``, the text cdk-nag shows for it in a finding.
        """
        return data_lake_bucket_arn(self._stage.name, as_cdk_nag_renders_it=as_cdk_nag_renders_it)

    def _table(
        self, construct_id: str, partition_key: str, sort_key: str | None = None, **extra: Any
    ) -> dynamodb.TableV2:
        """On-demand, point-in-time recovery, encrypted; retained and deletion-protected in prod."""
        return dynamodb.TableV2(
            self,
            construct_id,
            partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING) if sort_key else None,
            billing=dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            removal_policy=self._stage.removal_policy,
            deletion_protection=self._stage.is_production,
            **extra,
        )

    def _data_lake(self, stage_name: str, removal_policy: RemovalPolicy) -> None:
        bucket_options = {
            "encryption": s3.BucketEncryption.S3_MANAGED,
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "enforce_ssl": True,
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            "removal_policy": removal_policy,
        }
        self.access_logs_bucket = s3.Bucket(
            self,
            "DataLakeAccessLogs",
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            **bucket_options,  # type: ignore[arg-type]
        )
        Validations.of(self.access_logs_bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="DataLakeAccessLogs is the server access log bucket of the data lake; logging its own "
                "access would log the logs",
            )
        )
        self.data_lake_bucket = s3.Bucket(
            self,
            "DataLake",
            bucket_name=data_lake_bucket_name(stage_name),
            versioned=True,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="data-lake/",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))],
            **bucket_options,  # type: ignore[arg-type]
        )
