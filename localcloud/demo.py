"""``make demo``: start (or reuse) the local cloud, deploy the app with the cdk CLI, drive one of
every path through it, wait until the system is quiet, and report what happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from eventctl.aws import Aws, is_dead_letter_queue
from eventctl.dlq import list_dead_letter_queues, peek
from localcloud import server
from localcloud.deploy import DeployError, deploy, describe
from localcloud.settings import LocalCloudSettings
from localcloud.workload import Case, cases, expected_balances
from orders_functions.analytics.service import PREFIX as DATA_LAKE_PREFIX
from orders_functions.balance_updater.service import BalanceLedger
from orders_functions.common.outputs import Outputs, StackOutput, read_outputs
from orders_functions.reconciliation.service import report_key

QUIET_ROUNDS = 3


@dataclass
class Sent:
    case: Case
    message_id: str


def outputs(settings: LocalCloudSettings) -> Outputs:
    """The deployed app's stack outputs: where its tables, queues, bucket and state machine are."""
    return read_outputs(settings.client("cloudformation"))


def send(settings: LocalCloudSettings, workload: list[Case]) -> list[Sent]:
    """Send each case to the order queue, one at a time, in order."""
    sqs = settings.client("sqs")
    url = outputs(settings)[StackOutput.ORDER_QUEUE]
    sent = []
    for case in workload:
        if case.message is None:
            response = sqs.send_message(QueueUrl=url, MessageBody=case.raw_body)
        else:
            attributes = {"event_type": case.message.event_type, **case.message.attributes}
            response = sqs.send_message(
                QueueUrl=url,
                MessageBody=json.dumps(case.body),
                MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
            )
        sent.append(Sent(case, response["MessageId"]))
    return sent


def depth(sqs: Any, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) of one queue."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def queue_depths(settings: LocalCloudSettings) -> dict[str, tuple[int, int]]:
    """Queue name -> (visible, in flight)."""
    sqs = settings.client("sqs")
    return {url.rsplit("/", 1)[-1]: depth(sqs, url) for url in sqs.list_queues().get("QueueUrls", [])}


def scan(settings: LocalCloudSettings, table: StackOutput) -> list[dict[str, Any]]:
    """Every item of the table named by the output ``table`` (e.g. ``StackOutput.ORDERS_TABLE``)."""
    dynamodb = settings.client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=outputs(settings)[table]):
        items.extend(page["Items"])
    return items


def running_executions(settings: LocalCloudSettings) -> int:
    sfn = settings.client("stepfunctions")
    return sum(
        len(sfn.list_executions(stateMachineArn=m["stateMachineArn"], statusFilter="RUNNING")["executions"])
        for m in sfn.list_state_machines()["stateMachines"]
    )


def wait_until_quiet(
    settings: LocalCloudSettings,
    timeout_seconds: float = 180,
    on_poll: Callable[[int, int], None] = lambda q, e: None,
    interval: float = 0.5,
) -> float:
    """Poll until no work queue holds a message and no execution runs, several polls in a row."""
    started = time.monotonic()
    quiet = 0
    while time.monotonic() - started < timeout_seconds:
        pending = sum(v + f for name, (v, f) in queue_depths(settings).items() if not is_dead_letter_queue(name))
        executions = running_executions(settings)
        on_poll(pending, executions)
        quiet = quiet + 1 if pending == 0 and executions == 0 else 0
        if quiet >= QUIET_ROUNDS:
            return time.monotonic() - started
        time.sleep(interval)
    raise TimeoutError(f"the system was still busy after {timeout_seconds:.0f} s")


@dataclass
class Report:
    queues: dict[str, tuple[int, int]]
    received: dict[str, Counter[str]]
    executions: list[dict[str, Any]]
    balances: dict[str, Decimal]
    expected_balances: dict[str, Decimal]
    dead_letters: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: Account -> the reconciliation worker's report of this run (balance against ledger).
    reconciliations: dict[str, dict[str, Any]] = field(default_factory=dict)


def _function_queues(settings: LocalCloudSettings) -> dict[str, str]:
    """Function name -> the queue its event source mapping reads."""
    mappings = settings.client("lambda").list_event_source_mappings()["EventSourceMappings"]
    return {m["FunctionArn"].rsplit(":", 1)[-1]: m["EventSourceArn"].rsplit(":", 1)[-1] for m in mappings}


def received_event_types(settings: LocalCloudSettings, run: str) -> dict[str, Counter[str]]:
    """Subscriber queue -> event types its consumer applied in this run (from the functions' JSON logs)."""
    received: dict[str, Counter[str]] = defaultdict(Counter)
    for function, queue in _function_queues(settings).items():
        log = settings.state_dir / "logs" / f"{function}.log"
        if not log.exists():
            continue
        seen = set()
        for line in log.read_text().splitlines():
            if not line.startswith("{"):
                continue
            entry = json.loads(line)
            correlation = str(entry.get("correlation_id", ""))
            if not correlation.startswith(f"demo-{run}-") or "event_type" not in entry or "outcome" not in entry:
                continue
            key = (entry.get("order_id"), entry["event_type"], correlation)
            if key not in seen:
                seen.add(key)
                received[queue][entry["event_type"]] += 1
    received.update(_analytics_event_types(settings, run))
    return dict(received)


def _analytics_event_types(settings: LocalCloudSettings, run: str) -> dict[str, Counter[str]]:
    """The analytics consumer's queue -> event types of this run in the data lake (the function logs none)."""
    s3 = settings.client("s3")
    bucket = outputs(settings)[StackOutput.DATA_LAKE_BUCKET]
    counts: Counter[str] = Counter()
    seen = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{DATA_LAKE_PREFIX}/"):
        for item in page.get("Contents", []):
            for line in s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode().splitlines():
                event = json.loads(line)
                text = json.dumps(event)
                if f"demo-{run}-" in text and event.get("message_id") not in seen:
                    seen.add(event.get("message_id"))
                    counts[str(event.get("event_type") or event.get("event", {}).get("event_type"))] += 1
    return {"analytics-ingestion": counts} if counts else {}


def executions(settings: LocalCloudSettings, run: str) -> list[dict[str, Any]]:
    """The high-value order flow's executions of this run's orders."""
    sfn = settings.client("stepfunctions")
    machine = sfn.describe_state_machine(stateMachineArn=outputs(settings)[StackOutput.HIGH_VALUE_ORDER_FLOW])
    found = []
    for execution in sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        execution_input = json.loads(described["input"])
        if f"-{run}-" not in str(execution_input.get("order_id")):
            continue
        found.append(
            {
                "state_machine": machine["name"],
                "input": execution_input,
                "status": described["status"],
                "output": json.loads(described["output"]) if described.get("output") else None,
            }
        )
    return sorted(found, key=lambda e: str(e["input"].get("order_id")))


def balances(settings: LocalCloudSettings, accounts: list[str]) -> dict[str, Decimal]:
    """Each account's balance, read as balance_updater keeps it; accounts with none are left out."""
    ledger = BalanceLedger(settings.client("dynamodb"), outputs(settings)[StackOutput.BALANCES_TABLE])
    found = {account: ledger.balance(account) for account in accounts}
    return {account: balance for account, balance in found.items() if balance is not None}


def reconcile(
    settings: LocalCloudSettings, run_id: str, accounts: list[str], timeout_seconds: float = 120
) -> dict[str, dict[str, Any]]:
    """Ask the reconciliation worker (an ECS service's task, run by the local cloud) to check every account,
    and wait for its report on each of ``accounts``: account -> report."""
    found = outputs(settings)
    settings.client("sqs").send_message(
        QueueUrl=found[StackOutput.RECONCILIATION_QUEUE],
        MessageBody=json.dumps({"run_id": run_id, "all_accounts": True}),
    )
    s3 = settings.client("s3")
    bucket = found[StackOutput.DATA_LAKE_BUCKET]
    reports: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout_seconds
    while len(reports) < len(accounts):
        for account in accounts:
            if account not in reports:
                with contextlib.suppress(s3.exceptions.NoSuchKey):
                    body = s3.get_object(Bucket=bucket, Key=report_key(run_id, account))["Body"].read()
                    reports[account] = json.loads(body)
        if len(reports) < len(accounts):
            if time.monotonic() > deadline:
                missing = sorted(set(accounts) - set(reports))
                raise TimeoutError(f"no reconciliation report after {timeout_seconds:.0f} s for {missing}")
            time.sleep(0.5)
    return reports


def dead_letters(settings: LocalCloudSettings, limit: int = 2000) -> dict[str, list[dict[str, str]]]:
    """DLQ name -> its messages with the reason each carries (eventctl's peek: the DLQs are left as they were)."""
    aws = Aws(endpoint=settings.endpoint)
    held: dict[str, list[dict[str, str]]] = {}
    for queue in list_dead_letter_queues(aws):
        letters = peek(aws, queue.name, limit) if queue.visible else []
        if letters:
            held[queue.name] = [{"reason": letter.reason, "body": letter.body[:80]} for letter in letters]
    return held


def gather(settings: LocalCloudSettings, run: str) -> Report:
    expected = expected_balances(run)
    return Report(
        queues=queue_depths(settings),
        received=received_event_types(settings, run),
        executions=executions(settings, run),
        balances=balances(settings, sorted(expected)),
        expected_balances=expected,
        dead_letters=dead_letters(settings),
    )


def show(report: Report, console: Console) -> None:
    queues = Table(title="queues (after the run)")
    for column in ("queue", "visible", "in flight"):
        queues.add_column(column)
    for name, (visible, in_flight) in sorted(report.queues.items()):
        queues.add_row(name, str(visible), str(in_flight))
    console.print(queues)

    received = Table(title="what each subscriber applied, by event type")
    received.add_column("consumer's queue")
    received.add_column("event types")
    for queue, counts in sorted(report.received.items()):
        received.add_row(queue, ", ".join(f"{t} x{n}" for t, n in sorted(counts.items())))
    console.print(received)

    flows = Table(title="state machine executions")
    for column in ("order", "input", "status", "outcome"):
        flows.add_column(column, overflow="fold")
    for execution in report.executions:
        output = execution["output"] or {}
        outcome = ", ".join(
            f"{key}: {', '.join(f'{k}={v}' for k, v in value.items() if isinstance(v, str | int | float))}"
            for key, value in output.items()
            if isinstance(value, dict)
        )
        flows.add_row(
            str(execution["input"].get("order_id")), json.dumps(execution["input"]), execution["status"], outcome[:300]
        )
    console.print(flows)

    money = Table(title="balance per account")
    for column in ("account", "balance", "expected"):
        money.add_column(column)
    for account, expected in sorted(report.expected_balances.items()):
        money.add_row(account, str(report.balances.get(account, "-")), str(expected))
    console.print(money)

    checks = Table(title="reconciliation: balance against ledger (the queue worker's reports)")
    for column in ("account", "balance", "ledger sum", "transactions", "status"):
        checks.add_column(column)
    for account, check in sorted(report.reconciliations.items()):
        checks.add_row(account, check["balance"], check["ledger_sum"], str(check["ledger_entries"]), check["status"])
    console.print(checks)

    held = Table(title="dead-letter queues: what is held and why")
    for column in ("queue", "reason", "body"):
        held.add_column(column, overflow="fold")
    for name, messages in sorted(report.dead_letters.items()):
        for message in messages:
            held.add_row(name, message["reason"], message["body"])
    console.print(held)


def main() -> None:
    console = Console()
    settings = LocalCloudSettings.from_environment()
    for name, value in settings.client_environment().items():  # eventctl's clients read these
        os.environ.setdefault(name, value)
    started = server.up(settings)
    console.print(
        f"local cloud {'started' if started else 'reused'} at {settings.endpoint} (time scale {settings.time_scale})"
    )
    with console.status("bootstrapping and deploying every stack with the cdk CLI ..."):
        try:
            console.print(describe(deploy(settings, os.environ.get("STAGE", "dev"))))
        except DeployError as error:
            console.print(f"[red]{error}[/red]")
            raise SystemExit(1) from None
    run = time.strftime("%H%M%S")
    workload = cases(run)
    sent = send(settings, workload)
    queue = outputs(settings)[StackOutput.ORDER_QUEUE].rsplit("/", 1)[-1]
    console.print(f"sent {len(sent)} messages to {queue} (run {run}):")
    for item in sent:
        console.print(f"  • {item.case.path}")
    with console.status("waiting until the system is quiet ...") as status:

        def progress(pending: int, running: int) -> None:
            status.update(
                f"waiting until the system is quiet: {pending} messages queued or in flight, "
                f"{running} executions running"
            )

        took = wait_until_quiet(settings, on_poll=progress)
    console.print(f"quiet after {took:.1f} s")
    report = gather(settings, run)
    with console.status("asking the reconciliation worker to check every account ..."):
        report.reconciliations = reconcile(settings, f"demo-{run}", sorted(report.balances))
    show(report, console)
    logs = Path(settings.state_dir) / "logs"
    console.print(
        "\nLook further with the operator CLI, pointed at the local cloud:\n"
        f"  export AWS_ENDPOINT_URL={settings.endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
        "AWS_DEFAULT_REGION=us-east-1\n"
        "  .venv/bin/eventctl dlq list            # then: eventctl dlq show order-processing-dlq\n"
        "  .venv/bin/eventctl replay --help       # re-deliver archived events\n"
        f"Function logs (JSON lines): {logs}/\n"
        "Stop the local cloud with: make down"
    )


if __name__ == "__main__":
    main()
