"""The stateful part of the orders app: the tables the handlers write."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from stacks.config import StageConfig

#: Attribute names of the Powertools idempotency persistence layer (DynamoDBPersistenceLayer defaults).
IDEMPOTENCY_KEY_ATTRIBUTE = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"


class OrdersDataStack(Stack):
    """Tables: Powertools idempotency records, orders, and account balances with their ledger."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, termination_protection=stage.termination_protection, **kwargs)
        common: dict[str, Any] = {
            "billing": dynamodb.Billing.on_demand(),
            "point_in_time_recovery_specification": dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            "encryption": dynamodb.TableEncryptionV2.aws_managed_key(),
            "removal_policy": stage.removal_policy,
            "deletion_protection": stage.is_production,
        }
        self.idempotency_table = dynamodb.TableV2(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(name=IDEMPOTENCY_KEY_ATTRIBUTE, type=dynamodb.AttributeType.STRING),
            time_to_live_attribute=IDEMPOTENCY_TTL_ATTRIBUTE,
            **common,
        )
        self.orders_table = dynamodb.TableV2(
            self,
            "OrdersTable",
            partition_key=dynamodb.Attribute(name="order_id", type=dynamodb.AttributeType.STRING),
            **common,
        )
        # One item per account holds the balance (entry = "BALANCE"); one item per applied
        # transaction (entry = "TXN#<transaction_id>") is the ledger that makes each change apply once.
        self.balances_table = dynamodb.TableV2(
            self,
            "AccountBalancesTable",
            partition_key=dynamodb.Attribute(name="account_id", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="entry", type=dynamodb.AttributeType.STRING),
            **common,
        )
