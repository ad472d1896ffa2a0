"""moto for the reconciliation worker: the balances table with its ledger, the reports bucket, its queue pair."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import boto3
import pytest
from aws_lambda_powertools import Logger

from orders_functions.balance_updater.models import BalanceUpdate
from orders_functions.balance_updater.service import BalanceLedger
from orders_functions.reconciliation.service import Reconciler
from tests.orders_functions.conftest import create_queue_pair, create_table

BALANCES = "balances"
REPORTS = "reports"


@dataclass
class Books:
    """The balances and ledger as balance_updater writes them, and where the reconciliation reports go."""

    dynamodb: Any
    s3: Any
    sqs: Any
    queue_url: str
    dead_letter_queue_url: str

    def apply(self, account: str, transaction: str, amount: str) -> None:
        ledger = BalanceLedger(self.dynamodb, BALANCES)
        ledger.apply(BalanceUpdate(account_id=account, transaction_id=transaction, amount=Decimal(amount)))

    def tamper(self, account: str, balance: str) -> None:
        """Set the balance behind the ledger's back (what reconciliation exists to catch)."""
        self.dynamodb.update_item(
            TableName=BALANCES,
            Key={"account_id": {"S": account}, "entry": {"S": "BALANCE"}},
            UpdateExpression="SET balance = :b",
            ExpressionAttributeValues={":b": {"N": balance}},
        )

    def reconciler(self, metrics: Any = None) -> Reconciler:
        return Reconciler(
            self.dynamodb,
            self.s3,
            self.sqs,
            balances_table=BALANCES,
            reports_bucket=REPORTS,
            queue_url=self.queue_url,
            logger=Logger(service="reconciliation-test", level="CRITICAL"),
            metrics=metrics,
            clock=lambda: __import__("datetime").datetime(2026, 12, 2, tzinfo=__import__("datetime").UTC),
        )

    def report(self, key: str) -> dict[str, Any]:
        import json

        return dict(json.loads(self.s3.get_object(Bucket=REPORTS, Key=key)["Body"].read()))

    def requests(self) -> list[str]:
        bodies = []
        while messages := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages"):
            bodies.extend(message["Body"] for message in messages)
            for message in messages:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bodies


@pytest.fixture
def books(aws: None) -> Iterator[Books]:
    create_table(BALANCES, [("account_id", "HASH"), ("entry", "RANGE")])
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=REPORTS)
    sqs = boto3.client("sqs")
    queue_url, dlq_url = create_queue_pair(sqs, "balance-reconciliation")
    yield Books(boto3.client("dynamodb"), s3, sqs, queue_url, dlq_url)
