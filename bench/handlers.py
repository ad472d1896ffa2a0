"""Handler cost: CPU time per message and cold start, with AWS answered inside botocore.

Every request the handlers make is built, validated, serialized and signed by botocore as
usual; only the HTTP send is replaced (``URLLib3Session.send``) by a canned 200 answer for
the operation, which botocore then parses. So the figures include the SDK's own work per
call, and nothing of the network or of an emulator.

Each measurement runs in a fresh interpreter (``python -m bench.handlers ...``), so the
handlers' environment, logging and module state never leak into the bench process:

    python -m bench.handlers cpu OUT.json          CPU per message, batches of 1 and 10
    python -m bench.handlers cold HANDLER OUT.json import time and first invocation
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ("order_processor", "balance_updater")
BATCH_SIZES = (1, 10)
REGION = "us-east-1"
ACCOUNT = "123456789012"

ENVIRONMENTS: dict[str, dict[str, str]] = {
    "order_processor": {
        "QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/order-processing",
        "DEAD_LETTER_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/order-processing-dlq",
        "MAX_ATTEMPTS": "8",
        "ATTEMPTS_TABLE": "attempts",
        "ORDERS_TABLE": "orders",
        "ORDER_EVENTS_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:order-events",
        "ORDERS_BUS_NAME": "orders",
    },
    "balance_updater": {
        "QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/balance-updates.fifo",
        "DEAD_LETTER_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/balance-updates-dlq.fifo",
        "MAX_ATTEMPTS": "8",
        "ATTEMPTS_TABLE": "attempts",
        "BALANCES_TABLE": "balances",
    },
}
BASE_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_DEV": "false",
}

# ---------------------------------------------------------------------------------------------
# The stub: canned answers per (service, operation), parsed by botocore like real ones.
# ---------------------------------------------------------------------------------------------

SNS_PUBLISH = (
    '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>'
    "<MessageId>{id}</MessageId></PublishResult><ResponseMetadata><RequestId>{id}</RequestId>"
    "</ResponseMetadata></PublishResponse>"
)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _operation(request: Any) -> str:
    target = request.headers.get("X-Amz-Target")
    if target:  # JSON protocols: "DynamoDB_20120810.PutItem", "AWSEvents.PutEvents"
        return str(target.decode() if isinstance(target, bytes) else target).rsplit(".", 1)[-1]
    body = request.body or b""
    text = body.decode() if isinstance(body, bytes) else str(body)
    for pair in text.split("&"):  # query protocol: Action=Publish&...
        if pair.startswith("Action="):
            return pair.split("=", 1)[1]
    return "Unknown"


def _answer(operation: str, request: Any) -> tuple[bytes, dict[str, str]]:
    json_headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "bench"}
    if operation == "Publish":
        return SNS_PUBLISH.format(id=uuid.uuid4()).encode(), {"Content-Type": "text/xml"}
    if operation == "PutEvents":
        entries = len(json.loads(request.body)["Entries"])
        body = {"FailedEntryCount": 0, "Entries": [{"EventId": str(uuid.uuid4())} for _ in range(entries)]}
        return json.dumps(body).encode(), json_headers
    if operation == "UpdateItem":
        return json.dumps({"Attributes": _updated_item(json.loads(request.body))}).encode(), json_headers
    # DynamoDB GetItem (nothing stored yet) / PutItem / TransactWriteItems, SQS calls: success, nothing to say.
    return b"{}", json_headers


def _updated_item(update: dict[str, Any]) -> dict[str, Any]:
    """What DynamoDB answers an UpdateItem with ReturnValues=ALL_NEW on a new item: its key and what it SETs."""
    item = dict(update.get("Key", {}))
    expression = str(update.get("UpdateExpression", ""))
    if expression.startswith("SET "):
        names = update.get("ExpressionAttributeNames", {})
        values = update.get("ExpressionAttributeValues", {})
        for assignment in expression.removeprefix("SET ").split(", "):
            name, _, value = assignment.partition(" = ")
            if value in values:
                item[names.get(name, name)] = values[value]
    return item


@dataclass
class BotocoreStub:
    """Answers every request botocore sends; counts them by operation."""

    calls: Counter[str]

    def install(self) -> None:
        from botocore.awsrequest import AWSResponse
        from botocore.httpsession import URLLib3Session

        def send(_session: Any, request: Any) -> AWSResponse:
            operation = _operation(request)
            self.calls[operation] += 1
            body, headers = _answer(operation, request)
            return AWSResponse(request.url, 200, headers, _Raw(body))

        URLLib3Session.send = send


# ---------------------------------------------------------------------------------------------
# Lambda events
# ---------------------------------------------------------------------------------------------


@dataclass
class Context:
    function_name: str = "bench"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench"
    aws_request_id: str = "bench"
    log_group_name: str = "/aws/lambda/bench"
    log_stream_name: str = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _record(queue: str, body: str, attributes: dict[str, str] | None = None) -> dict[str, Any]:
    message_id = str(uuid.uuid4())
    return {
        "messageId": message_id,
        "receiptHandle": f"receipt-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764417600000", **(attributes or {})},
        "messageAttributes": {
            "correlation_id": {
                "stringValue": f"corr-{message_id}",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}",
        "awsRegion": REGION,
    }


def order_created(n: int) -> dict[str, Any]:
    """An OrderCreated with two lines; every fourth one is a high-value enterprise order."""
    high_value = n % 4 == 0
    body = {
        "event_type": "order.created",
        "order_id": f"o-{uuid.uuid4().hex[:16]}",
        "customer_id": f"c-{n % 97}",
        "customer_tier": "enterprise" if high_value else "standard",
        "total": "2500.00" if high_value else "120.50",
        "currency": "EUR",
        "items": [
            {"sku": "sku-1", "quantity": 2, "unit_price": "50.25"},
            {"sku": "sku-2", "quantity": 1, "unit_price": "20.00"},
        ],
    }
    return _record("order-processing", json.dumps(body))


def balance_update(n: int) -> dict[str, Any]:
    account = f"acct-{n % 4}"  # a batch of 10 spans four message groups, as on a busy queue
    transaction = f"t-{uuid.uuid4().hex[:16]}"
    body = json.dumps({"account_id": account, "transaction_id": transaction, "amount": "-12.34", "description": "x"})
    attributes = {"MessageGroupId": account, "MessageDeduplicationId": transaction, "SequenceNumber": str(n)}
    return _record("balance-updates.fifo", body, attributes)


MESSAGES: dict[str, Callable[[int], dict[str, Any]]] = {
    "order_processor": order_created,
    "balance_updater": balance_update,
}


# ---------------------------------------------------------------------------------------------
# Measurements (run inside the fresh interpreter)
# ---------------------------------------------------------------------------------------------


def _environment(handler_name: str) -> None:
    os.environ.update(BASE_ENVIRONMENT | ENVIRONMENTS[handler_name])


def _stub() -> BotocoreStub:
    stub = BotocoreStub(Counter())
    stub.install()
    return stub


def _invoke(handler: Callable[..., Any], handler_name: str, batch: int, start: int) -> None:
    event = {"Records": [MESSAGES[handler_name](start + i) for i in range(batch)]}
    response = handler(event, Context())
    if response.get("batchItemFailures"):
        raise RuntimeError(f"{handler_name} failed records in the bench: {response}")


def measure_cpu(messages: int = 300, rounds: int = 3) -> dict[str, Any]:
    """CPU seconds per message, per handler and batch size (median of ``rounds``)."""
    results: dict[str, Any] = {}
    stubs: dict[str, BotocoreStub] = {}
    for handler_name in HANDLERS:
        _environment(handler_name)
        stubs[handler_name] = stub = _stub()
        module = importlib.import_module(f"orders_functions.{handler_name}.handler")
        handler = module.lambda_handler
        n = 0
        for batch in BATCH_SIZES:
            for _ in range(3):  # warm up: clients built, schemas and models compiled
                _invoke(handler, handler_name, batch, n)
                n += batch
            per_message = []
            calls_before = sum(stub.calls.values())
            counted = 0
            for _ in range(rounds):
                invocations = max(1, messages // batch)
                started = time.process_time()
                for _ in range(invocations):
                    _invoke(handler, handler_name, batch, n)
                    n += batch
                elapsed = time.process_time() - started
                per_message.append(elapsed / (invocations * batch))
                counted += invocations * batch
            results[f"{handler_name}/batch_{batch}"] = {
                "cpu_ms_per_message": statistics.median(per_message) * 1000,
                "rounds_ms": [round(value * 1000, 4) for value in per_message],
                "aws_calls_per_message": (sum(stub.calls.values()) - calls_before) / counted,
            }
        results[f"{handler_name}/calls"] = dict(stub.calls)
    return results


def measure_cold(handler_name: str) -> dict[str, Any]:
    """Wall and CPU time of importing the handler module, then of its first invocation (1 message)."""
    _environment(handler_name)
    wall, cpu = time.perf_counter(), time.process_time()
    module = importlib.import_module(f"orders_functions.{handler_name}.handler")
    import_wall, import_cpu = time.perf_counter() - wall, time.process_time() - cpu
    stub = _stub()  # clients are made on first use, so answering from here on is soon enough
    wall, cpu = time.perf_counter(), time.process_time()
    _invoke(module.lambda_handler, handler_name, 1, 0)
    return {
        "import_ms": import_wall * 1000,
        "import_cpu_ms": import_cpu * 1000,
        "first_invoke_ms": (time.perf_counter() - wall) * 1000,
        "first_invoke_cpu_ms": (time.process_time() - cpu) * 1000,
        "first_invoke_calls": dict(stub.calls),
    }


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "cpu":
        results = measure_cpu()
    elif len(argv) == 3 and argv[0] == "cold" and argv[1] in HANDLERS:
        results = measure_cold(argv[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    Path(argv[-1]).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
