"""Count the real attempts at a message, apart from its receive count.

SQS counts receives (``ApproximateReceiveCount``), not attempts. A record can be received and
never tried: a FIFO record held back behind a failed record of its group, a record cut off when
an invocation times out mid-batch, a batch whose invocation was throttled. Judged by receive
count, such a record uses up its retries without having been tried, and is dead-lettered as
"exhausted" (or moved by SQS without a reason) while its account's later updates go ahead.

:class:`DynamoDBAttempts` keeps, per message, the number of attempts that started and the last
error, in a table with a time to live:

- a record on its first receive is attempt 1, and costs no write (the common case);
- a record received again counts one attempt as it starts (``ADD attempts 1``), so an attempt
  killed by a timeout or a crash is counted too;
- a failed first attempt writes its count and error once, when it fails.

A record that was received but not tried writes nothing, so it keeps its attempts. The queue's
``maxReceiveCount`` is then only a backstop, set well above the attempt limit.

:class:`ReceiveCountAttempts` is the fallback without a table: the receive count is the attempt.

Example:
    >>> import boto3
    >>> from moto import mock_aws
    >>> from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    >>> def record(receives):
    ...     return SQSRecord({"messageId": "m-1", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
    ...                       "attributes": {"ApproximateReceiveCount": str(receives)}})
    >>> with mock_aws():
    ...     dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    ...     _ = dynamodb.create_table(TableName="attempts", BillingMode="PAY_PER_REQUEST",
    ...             KeySchema=[{"AttributeName": "message_key", "KeyType": "HASH"}],
    ...             AttributeDefinitions=[{"AttributeName": "message_key", "AttributeType": "S"}])
    ...     attempts = DynamoDBAttempts(dynamodb, "attempts")
    ...     first = attempts.begin(record(1))           # tried, and failed:
    ...     attempts.failed(record(1), first, RuntimeError("downstream down"))
    ...     skipped = record(2)                          # received, held back behind its group: no write
    ...     third = attempts.begin(record(3))            # tried again
    ...     (first.number, third.number, third.last_error)
    (1, 2, 'RuntimeError: downstream down')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

#: Attribute names of the attempts table (the construct creates it with these).
MESSAGE_KEY_ATTRIBUTE = "message_key"
EXPIRES_AT_ATTRIBUTE = "expires_at"
#: Kept longer than any message lives on a queue (SQS keeps a message 14 days at most).
DEFAULT_TTL_SECONDS = 15 * 24 * 3600
MAX_ERROR_LENGTH = 1000


def receive_count(record: SQSRecord) -> int:
    """SQS's ApproximateReceiveCount of the record (1 for a record that carries none, as hand-made events may)."""
    attributes = record.raw_event.get("attributes") or {}
    return int(attributes.get("ApproximateReceiveCount") or 1)


def describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]


@dataclass(frozen=True)
class Attempt:
    """The attempt about to be made at a record: its number (1-based) and the last error before it.

    ``counted`` is False when the attempt could not be counted (the attempts table failed).
    """

    number: int
    last_error: str | None = None
    counted: bool = True


class AttemptCounter(Protocol):
    def begin(self, record: SQSRecord) -> Attempt: ...

    def failed(self, record: SQSRecord, attempt: Attempt, error: BaseException) -> None: ...


class ReceiveCountAttempts:
    """No table: every receive is taken for an attempt (what SQS itself assumes)."""

    def begin(self, record: SQSRecord) -> Attempt:
        return Attempt(receive_count(record))

    def failed(self, record: SQSRecord, attempt: Attempt, error: BaseException) -> None:
        return None


class DynamoDBAttempts:
    """Attempts per message in a DynamoDB table (key ``message_key``, TTL attribute ``expires_at``)."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table_name = table_name
        self._ttl_seconds = ttl_seconds
        self._clock = clock

    def begin(self, record: SQSRecord) -> Attempt:
        if receive_count(record) <= 1:
            return Attempt(1)
        response = self._client.update_item(
            TableName=self._table_name,
            Key=self._key(record),
            UpdateExpression="ADD attempts :one SET #expires = :expires",
            ExpressionAttributeNames={"#expires": EXPIRES_AT_ATTRIBUTE},
            ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": self._expires_at()}},
            ReturnValues="ALL_NEW",
        )
        item = response["Attributes"]
        return Attempt(int(item["attempts"]["N"]), (item.get("last_error") or {}).get("S"))

    def failed(self, record: SQSRecord, attempt: Attempt, error: BaseException) -> None:
        # The first attempt was not written when it began: count it now that it has failed.
        counted = "ADD attempts :one " if receive_count(record) <= 1 else ""
        values = {":error": {"S": describe_error(error)}, ":expires": {"N": self._expires_at()}}
        if counted:
            values[":one"] = {"N": "1"}
        self._client.update_item(
            TableName=self._table_name,
            Key=self._key(record),
            UpdateExpression=f"{counted}SET last_error = :error, #expires = :expires",
            ExpressionAttributeNames={"#expires": EXPIRES_AT_ATTRIBUTE},
            ExpressionAttributeValues=values,
        )

    def _key(self, record: SQSRecord) -> dict[str, dict[str, str]]:
        return {MESSAGE_KEY_ATTRIBUTE: {"S": f"{record.event_source_arn}|{record.message_id}"}}

    def _expires_at(self) -> str:
        return str(int(self._clock()) + self._ttl_seconds)
