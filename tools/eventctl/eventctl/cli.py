"""The eventctl command line (typer + rich)."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from eventctl import diagram as diagram_module
from eventctl import dlq as dlq_module
from eventctl import routes as routes_module
from eventctl.aws import Aws
from eventctl.errors import EventctlError, aws_errors
from eventctl.publish import DEFAULT_MIX, DEFAULT_TIERS, SampleOrders, parse_weights

app = typer.Typer(
    help="Operate the orders app: publish, dead-letter queues, replay, routes, diagram.",
    no_args_is_help=True,
    add_completion=False,
)
dlq_app = typer.Typer(help="Dead-letter queues: list, show, redrive.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
out = Console()
err = Console(stderr=True, soft_wrap=True)  # an error is one line, however narrow the terminal

CdkOut = Annotated[Path, typer.Option("--cdk-out", help="The synthesized cloud assembly.")]


def _fail(message: str) -> None:
    err.print(f"eventctl: {message}", markup=False, highlight=False)
    raise typer.Exit(2)


@app.command()
def publish(
    count: Annotated[int, typer.Option(min=1, max=100_000, help="How many messages.")] = 20,
    rate: Annotated[float, typer.Option(min=0, help="Messages per second (0: as fast as possible).")] = 0,
    mix: Annotated[str, typer.Option(help="Event types and weights.")] = ",".join(
        f"{k}={v}" for k, v in DEFAULT_MIX.items()
    ),
    tiers: Annotated[str, typer.Option(help="Customer tiers and weights.")] = ",".join(
        f"{k}={v}" for k, v in DEFAULT_TIERS.items()
    ),
    queue: Annotated[str, typer.Option(help="The queue orders enter by.")] = "order-processing",
    seed: Annotated[int | None, typer.Option(help="Make the sample repeatable.")] = None,
) -> None:
    """Publish sample orders (creations, cancellations, updates) to the order queue."""
    from orders_functions.common.producer import BatchSendError, MessageProducer

    try:
        samples = SampleOrders(parse_weights(mix, set(DEFAULT_MIX)), parse_weights(tiers, set(DEFAULT_TIERS)), seed)
    except ValueError as error:
        _fail(str(error))
    aws = Aws.from_environment()
    sent = failed = 0
    try:
        with aws_errors(aws.endpoint):
            producer = MessageProducer(aws.queue_url(queue), sqs_client=aws.sqs)
            chunk: list[Any] = []
            with Progress(
                TextColumn("publishing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
            ) as progress:
                task = progress.add_task("publish", total=count)
                started = time.monotonic()
                for index, message in enumerate(samples.messages(count), start=1):
                    chunk.append(message)
                    if len(chunk) == 10 or index == count:
                        try:
                            sent += len(producer.send_batch(chunk).message_ids)
                        except BatchSendError as error:
                            sent += len(error.sent.message_ids)
                            failed += len(error.failed)
                        progress.update(task, completed=index)
                        chunk = []
                        if rate:
                            time.sleep(max(0.0, index / rate - (time.monotonic() - started)))
    except EventctlError as error:
        _fail(str(error))
    table = Table(title=f"published to {queue}")
    table.add_column("event type")
    table.add_column("messages", justify="right")
    for kind, number in sorted(samples.counts.items()):
        table.add_row(kind, str(number))
    table.add_row("sent", str(sent))
    table.add_row("failed", str(failed))
    out.print(table)
    if failed:
        raise typer.Exit(1)


@dlq_app.command("list")
def dlq_list() -> None:
    """Depth of every dead-letter queue, and where its messages came from."""
    aws = Aws.from_environment()
    try:
        with aws_errors(aws.endpoint):
            queues = dlq_module.list_dead_letter_queues(aws)
    except EventctlError as error:
        _fail(str(error))
    table = Table(title="dead-letter queues")
    for column in ("queue", "messages", "in flight", "from"):
        table.add_column(column, justify="right" if column in {"messages", "in flight"} else "left")
    for queue in queues:
        style = "bold red" if queue.visible else None
        table.add_row(
            queue.name, str(queue.visible), str(queue.in_flight), ", ".join(queue.sources) or "-", style=style
        )
    out.print(table)


@dlq_app.command("show")
def dlq_show(
    name: Annotated[str, typer.Argument(help="The dead-letter queue, e.g. order-processing-dlq.")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
) -> None:
    """Peek at messages with their failure reason, attempts and receive count, without consuming them."""
    aws = Aws.from_environment()
    try:
        with aws_errors(aws.endpoint):
            messages = dlq_module.peek(aws, name, limit)
    except EventctlError as error:
        _fail(str(error))
    table = Table(title=f"{name}: {len(messages)} message(s) shown")
    for column in ("message id", "kind", "attempts", "receives", "reason", "body"):
        table.add_column(column, overflow="fold")
    for message in messages:
        table.add_row(
            message.message_id[:12],
            message.kind,
            message.attempts,
            message.receive_count,
            message.reason,
            message.body[:80],
        )
    out.print(table)


@dlq_app.command("redrive")
def dlq_redrive(
    name: Annotated[str, typer.Argument(help="The dead-letter queue to empty back into its source.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would move; move nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Move a DLQ's messages back to the queue they came from."""
    aws = Aws.from_environment()
    try:
        with aws_errors(aws.endpoint):
            _, _, source_arn, count = dlq_module.plan_redrive(aws, name)
            destination = source_arn.rsplit(":", 1)[-1]
            if dry_run:
                out.print(f"would move {count} message(s) from {name} to {destination}")
                return
            if not yes and not typer.confirm(f"move {count} message(s) from {name} to {destination}?"):
                err.print("eventctl: nothing moved")
                raise typer.Exit(1)
            result = dlq_module.redrive(aws, name)
    except EventctlError as error:
        _fail(str(error))
    out.print(f"moved {result.messages} message(s) from {name} to {result.destination} ({result.method})")


def _window(value: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{option} '{value}' is not a time: use ISO 8601 with a zone, e.g. 2026-11-29T10:00:00+00:00")
    if moment.tzinfo is None:
        _fail(f"{option} '{value}' has no time zone: add one, e.g. +00:00")
    return moment


@app.command()
def replay(
    start: Annotated[str, typer.Option("--from", help="Window start, ISO 8601 with a zone.")],
    end: Annotated[str, typer.Option("--to", help="Window end, ISO 8601 with a zone.")],
    archive: Annotated[str, typer.Option(help="The archive.")] = "all-order-events",
    bus: Annotated[str, typer.Option(help="The bus to replay onto.")] = "orders",
    name: Annotated[str | None, typer.Option(help="Replay name (default: from the window).")] = None,
) -> None:
    """Replay a window of the archive onto the bus, following it until it completes."""
    from orders_functions.replay.replayer import ArchiveReplayer, ReplayProgress, ReplayWindowError

    window = (_window(start, "--from"), _window(end, "--to"))
    if window[1] <= window[0]:
        _fail(f"the window ends ({end}) before it starts ({start})")
    aws = Aws.from_environment()
    try:
        with aws_errors(aws.endpoint):
            archive_arn = aws.events.describe_archive(ArchiveName=archive)["ArchiveArn"]
            bus_arn = aws.events.describe_event_bus(Name=bus)["Arn"]
            with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err) as progress:
                task = progress.add_task("replay", total=1.0)

                def show(state: ReplayProgress) -> None:
                    progress.update(task, completed=state.fraction_done, description=f"replay {state.state.lower()}")

                report = ArchiveReplayer(aws.events, poll_seconds=2, on_progress=show).replay(
                    archive_arn, bus_arn, *window, name=name
                )
    except ReplayWindowError as error:
        _fail(str(error))
    except EventctlError as error:
        _fail(str(error))
    out.print(f"replay {report.name}: {report.state}" + (f" ({report.reason})" if report.reason else ""))
    if report.state != "COMPLETED":
        raise typer.Exit(1)


@app.command()
def routes(
    event: Annotated[str | None, typer.Option(help="One order event as JSON (default: sample events).")] = None,
    cdk_out: CdkOut = Path("cdk.out"),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per event and target.")] = False,
) -> None:
    """The routing matrix: which subscribers and rules receive each event, and why not."""
    try:
        subscriptions, rules = routes_module.load(cdk_out)
        events = [json.loads(event)] if event else routes_module.sample_events()
    except json.JSONDecodeError as error:
        _fail(f"--event is not JSON: {error}")
    except RecursionError:
        _fail("--event is nested too deeply")
    except EventctlError as error:
        _fail(str(error))
    if not all(isinstance(e, dict) for e in events):
        _fail("--event must be a JSON object")
    table = Table(title="routes", show_lines=True)
    table.add_column("event")
    for target in [s.queue for s in subscriptions] + [r.name for r in rules]:
        table.add_column(target, overflow="fold")
    for sample in events:
        attributes, body = routes_module.sns_message(sample)
        on_bus = routes_module.bus_event(sample)
        verdicts: list[tuple[str, bool, str]] = []
        for subscription in subscriptions:
            ok = subscription.matches(attributes, body)
            verdicts.append((subscription.queue, ok, "" if ok else subscription.why_not(attributes, body)))
        for rule in rules:
            if on_bus is None:
                verdicts.append((rule.name, False, "only order.created goes on the bus"))
            else:
                ok = rule.matches(on_bus)
                verdicts.append((rule.name, ok, "" if ok else rule.why_not(on_bus)))
        if as_json:
            for target, ok, why in verdicts:
                out.print_json(data={"event": sample, "target": target, "delivered": ok, "why_not": why})
            continue
        label = f"{sample.get('event_type')} {sample.get('customer_tier', '')} {sample.get('amount', '')}".strip()
        table.add_row(label, *("yes" if ok else f"no: {why}" for _, ok, why in verdicts))
    if not as_json:
        out.print(table)


@app.command()
def diagram(
    cdk_out: CdkOut = Path("cdk.out"),
    output: Annotated[Path, typer.Option(help="Where to write (.svg and .png are added).")] = Path("docs/architecture"),
) -> None:
    """Draw the architecture from cdk.out as SVG and PNG (Graphviz)."""
    try:
        written = diagram_module.render(cdk_out, output)
    except EventctlError as error:
        _fail(str(error))
    for path in written:
        out.print(f"wrote {path}")


def main() -> None:
    app()
