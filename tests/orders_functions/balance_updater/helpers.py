"""What the balance_updater tests send and read back."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import boto3

from tests.orders_functions.sqs_harness import QueueHarness


def send(
    env: QueueHarness, account: str, txn: str, amount: str, group: str | None = None, dedup: str | None = None
) -> str:
    body = json.dumps({"account_id": account, "transaction_id": txn, "amount": amount})
    return str(
        env.sqs.send_message(
            QueueUrl=env.queue_url,
            MessageBody=body,
            MessageGroupId=group or account,
            MessageDeduplicationId=dedup or txn,
        )["MessageId"]
    )


def table() -> Any:
    return boto3.resource("dynamodb").Table("balances")


def balance(account: str) -> Decimal | None:
    item = table().get_item(Key={"account_id": account, "entry": "BALANCE"}).get("Item")
    return None if item is None else item["balance"]


def ledger(account: str) -> list[str]:
    items = table().query(
        KeyConditionExpression="account_id = :a AND begins_with(entry, :t)",
        ExpressionAttributeValues={":a": account, ":t": "TXN#"},
    )["Items"]
    return sorted(item["entry"].removeprefix("TXN#") for item in items)


def applied_order(account: str) -> list[str]:
    items = table().query(
        KeyConditionExpression="account_id = :a AND begins_with(entry, :t)",
        ExpressionAttributeValues={":a": account, ":t": "TXN#"},
    )["Items"]
    return [item["entry"].removeprefix("TXN#") for item in sorted(items, key=lambda i: i["applied_at"])]


# --- A refund is applied only after its charge ------------------------------------------------------


def send_update(env: QueueHarness, body: dict[str, Any]) -> None:
    env.sqs.send_message(
        QueueUrl=env.queue_url,
        MessageBody=json.dumps(body),
        MessageGroupId=body["account_id"],
        MessageDeduplicationId=body["transaction_id"],
    )
