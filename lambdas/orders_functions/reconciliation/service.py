"""Check an account's balance against its ledger: the balance must be the sum of the applied transactions.

balance_updater writes a ledger item and the balance in one transaction, so for every account
``balance == sum(ledger amounts)`` and ``applied_count == number of ledger items``. The check reads
the account's partition (balance item first: ``BALANCE`` sorts before ``TXN#``), page by page with
strongly consistent reads. A transaction applied while the pages are read can make the two disagree
for a moment, so a disagreement is confirmed by reading the balance item again: if its
``applied_count`` moved, the account changed during the check, which is retried (a transient
failure, backed off); if not, the mismatch is real and is reported.

Each check writes a report, ``reconciliations/run=<run_id>/<account_id>.json``: the same key on every
delivery of the request, so a repeat replaces it. A mismatch is logged as an error and counted in the
``BalanceMismatches`` metric. A request for every account scans the balance items and asks for each
account's check on the worker's own queue (so a large table is spread over the tasks, and a crash
mid-scan repeats asks that are idempotent).

Example:
    >>> from decimal import Decimal
    >>> Reconciliation("acct-1", "run-1", Decimal("15.50"), Decimal("15.50"), 2, 2).status
    'balanced'
    >>> Reconciliation("acct-1", "run-1", Decimal("15.50"), Decimal("5.50"), 2, 1).status
    'mismatch'
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from event_runtime.errors import PoisonMessageError, TransientError
from orders_functions.balance_updater.service import (
    BALANCE_ENTRY,
    applied_count_of,
    balance_key,
    balance_of,
    ledger_transaction,
)
from orders_functions.common.errors import describe_validation_error
from orders_functions.common.readers import json_object
from orders_functions.reconciliation.models import ReconciliationRequest

#: Where in the reports bucket the reports go (the stack grants s3:PutObject under it alone).
PREFIX = "reconciliations"
BALANCE_MISMATCHES = "BalanceMismatches"


@dataclass(frozen=True)
class Reconciliation:
    """One account's check: the balance item's figures and the ledger's."""

    account_id: str
    run_id: str
    balance: Decimal
    ledger_sum: Decimal
    applied_count: int
    ledger_entries: int

    @property
    def status(self) -> str:
        agrees = self.balance == self.ledger_sum and self.applied_count == self.ledger_entries
        return "balanced" if agrees else "mismatch"

    def report(self, checked_at: str) -> dict[str, Any]:
        return {
            **asdict(self),
            "balance": str(self.balance),
            "ledger_sum": str(self.ledger_sum),
            "difference": str(self.balance - self.ledger_sum),
            "status": self.status,
            "checked_at": checked_at,
        }


def report_key(run_id: str, account_id: str) -> str:
    """Where the report of ``account_id`` in run ``run_id`` goes: the same key on every delivery of the request.

    >>> report_key("2026-12-02", "acct-1")
    'reconciliations/run=2026-12-02/acct-1.json'
    """
    return f"{PREFIX}/run={run_id}/{account_id}.json"


def parse_request(body: str | None) -> ReconciliationRequest:
    """The request in ``body``, or :class:`PoisonMessageError` saying what is wrong with it."""
    if not body:
        raise PoisonMessageError("empty message body")
    try:
        return ReconciliationRequest.model_validate(json_object(body))
    except ValidationError as error:
        raise PoisonMessageError(f"invalid reconciliation request: {describe_validation_error(error)}") from None


class Reconciler:
    """Reads the balances table, writes reports to the bucket, asks for checks on its own queue."""

    def __init__(
        self,
        dynamodb: Any,
        s3: Any,
        sqs: Any,
        *,
        balances_table: str,
        reports_bucket: str,
        queue_url: str,
        logger: Logger,
        metrics: Any = None,
        clock: Any = lambda: datetime.now(UTC),
    ) -> None:
        self._dynamodb = dynamodb
        self._s3 = s3
        self._sqs = sqs
        self._table = balances_table
        self._bucket = reports_bucket
        self._queue_url = queue_url
        self._logger = logger
        self._metrics = metrics
        self._clock = clock
        self._metrics_lock = threading.Lock()

    def process(self, record: SQSRecord) -> dict[str, Any]:
        """One request: check its account, or ask for every account's check."""
        request = parse_request(record.body)
        if request.all_accounts:
            asked = self.ask_for_every_account(request.run_id)
            return {"run_id": request.run_id, "accounts_asked": asked}
        assert request.account_id is not None
        return self.check(request.run_id, request.account_id)

    def check(self, run_id: str, account_id: str) -> dict[str, Any]:
        reconciliation = self.reconcile(run_id, account_id)
        if reconciliation.status != "balanced":
            confirmed = self._balance_item(account_id)
            if confirmed is None or applied_count_of(confirmed) != reconciliation.applied_count:
                raise TransientError(f"account {account_id} changed while it was checked: checking it again")
        report = reconciliation.report(self._clock().isoformat())
        self._s3.put_object(
            Bucket=self._bucket,
            Key=report_key(run_id, account_id),
            Body=(json.dumps(report, sort_keys=True) + "\n").encode(),
            ContentType="application/json",
        )
        if reconciliation.status == "balanced":
            self._logger.info("account balanced", extra=report)
        else:
            self._logger.error("balance does not match the ledger", extra=report)
            if self._metrics is not None:
                with self._metrics_lock:  # one EMF line per mismatch, whichever thread found it
                    self._metrics.add_metric(name=BALANCE_MISMATCHES, unit="Count", value=1)
                    self._metrics.flush_metrics()
        return report

    def reconcile(self, run_id: str, account_id: str) -> Reconciliation:
        balance: Decimal | None = None
        applied_count = 0
        ledger_sum = Decimal(0)
        entries = 0
        for item in self._partition(account_id):
            if item["entry"]["S"] == BALANCE_ENTRY:
                balance = balance_of(item)
                applied_count = applied_count_of(item)
            elif ledger_transaction(item) is not None:
                ledger_sum += Decimal(item["amount"]["N"])
                entries += 1
        if balance is None and entries == 0:
            raise PoisonMessageError(f"account {account_id} has no balance and no ledger: nothing to reconcile")
        return Reconciliation(account_id, run_id, balance or Decimal(0), ledger_sum, applied_count, entries)

    def ask_for_every_account(self, run_id: str) -> int:
        """Send one check request per account (found by its balance item) to the worker's own queue."""
        asked = 0
        batch: list[dict[str, str]] = []
        for account_id in self._accounts():
            body = json.dumps({"run_id": run_id, "account_id": account_id})
            batch.append({"Id": str(len(batch)), "MessageBody": body})
            if len(batch) == 10:
                asked += self._send(batch)
                batch = []
        if batch:
            asked += self._send(batch)
        self._logger.info("asked for every account's check", extra={"run_id": run_id, "accounts": asked})
        return asked

    def _send(self, entries: list[dict[str, str]]) -> int:
        response = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
        if response.get("Failed"):  # the whole request is retried: asking twice for a check is harmless
            raise TransientError(f"could not ask for {len(response['Failed'])} account checks")
        return len(entries)

    def _balance_item(self, account_id: str) -> dict[str, Any] | None:
        response = self._dynamodb.get_item(TableName=self._table, Key=balance_key(account_id), ConsistentRead=True)
        item: dict[str, Any] | None = response.get("Item")
        return item

    def _partition(self, account_id: str) -> Iterator[dict[str, Any]]:
        paginator = self._dynamodb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="account_id = :account",
            ExpressionAttributeValues={":account": {"S": account_id}},
            ConsistentRead=True,
        )
        for page in pages:
            yield from page.get("Items", [])

    def _accounts(self) -> Iterator[str]:
        paginator = self._dynamodb.get_paginator("scan")
        pages = paginator.paginate(
            TableName=self._table,
            FilterExpression="entry = :balance",
            ExpressionAttributeValues={":balance": {"S": BALANCE_ENTRY}},
            ProjectionExpression="account_id",
        )
        for page in pages:
            for item in page.get("Items", []):
                yield str(item["account_id"]["S"])
