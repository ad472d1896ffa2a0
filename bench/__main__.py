"""``python -m bench`` (``make bench``): measure side by side in one run, print ratios, write results.json.

Absolute times on a shared machine are noise; the ratios between things measured in the same
run are the figures to read. Sections:

- synth: ``cdk synth`` of the orders app against the floor (one empty stack) and the peer
  (the same topology from AWS Solutions Constructs), interleaved, medians;
- handlers: CPU per message of order_processor and balance_updater (batches of 1 and 10,
  AWS answered inside botocore) and their cold import;
- SQS requests per 1,000 messages: Lambda's event source mapping and the long-running
  QueueWorker against a consumer loop that receives, processes and deletes one message at a time,
  and against the chapter's loop as printed;
- worker: messages per second of one QueueWorker on a local cloud of its own, with a no-op
  handler and a 20 ms (I/O) one, at CONCURRENCY 1 and 10 (``bench/worker_throughput.py``);
- tests (``--tests`` only): wall time of ``make test`` and of the fast subset;
- pipeline (``--pipeline 10000``): orders through the deployed app on a local cloud, with
  throughput and the checks that nothing was lost or doubled (``bench/pipeline.py``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import sqs_requests, suite, synth, worker_throughput

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
COLD_RUNS = 3
IMPORT_BREAKDOWN = ("boto3", "aws_lambda_powertools", "pydantic", "fastjsonschema")

console = Console(width=None if sys.stdout.isatty() else 140)


def log(message: str) -> None:
    console.print(f"[dim]{message}[/dim]")


def verdict(passed: bool | None) -> str:
    if passed is None:
        return "[yellow]n/a[/yellow]"
    return "[green]pass[/green]" if passed else "[red]FAIL[/red]"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def at_most(value: float | None, limit: float) -> tuple[float | None, bool | None]:
    return value, None if value is None else value <= limit


def fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{suffix}"


# --------------------------------------------------------------------------------------------- synth


def run_synth(results: dict[str, Any], repeat: int) -> None:
    console.rule("cdk synth")
    figures = synth.measure(repeat=repeat, log=log)
    results["synth"] = figures
    cpu = {name: figure["median_cpu_s"] for name, figure in figures.items()}
    table = Table(
        title=f"cdk synth, median of {repeat} interleaved runs (ratios on CPU time; wall time is shared-machine noise)"
    )
    for column in ("variant", "CPU", "wall", "CPU runs", "wall runs", "resources", "÷ floor", "÷ peer"):
        table.add_column(column, justify="left" if column in ("variant", "CPU runs", "wall runs") else "right")
    for name, figure in figures.items():
        failed = "[red]failed[/red]"
        table.add_row(
            name,
            fmt(figure["median_cpu_s"], 1, " s") if not figure["error"] else failed,
            fmt(figure["median_s"], 1, " s") if not figure["error"] else failed,
            ", ".join(f"{value:.1f}" for value in figure["cpu_runs_s"]),
            ", ".join(f"{value:.1f}" for value in figure["runs_s"]),
            str(figure["resources"] or "-"),
            fmt(ratio(cpu[name], cpu["floor"]), 2, "x"),
            fmt(ratio(cpu[name], cpu["peer"]), 2, "x"),
        )
    console.print(table)
    for name, figure in figures.items():
        if figure["error"]:
            console.print(f"[red]{name} failed:[/red] {figure['error'][-600:]}")
    aims = {
        "ours <= 2x floor": at_most(ratio(cpu["ours"], cpu["floor"]), 2.0),
        "ours <= peer": at_most(ratio(cpu["ours"], cpu["peer"]), 1.0),
        "ours without cdk-nag <= peer (like for like)": at_most(ratio(cpu["ours-no-nag"], cpu["peer"]), 1.0),
    }
    results["synth_aims"] = {name: {"ratio_cpu": value, "pass": passed} for name, (value, passed) in aims.items()}
    for name, (value, passed) in aims.items():
        console.print(f"  aim {name} (CPU): {fmt(value, 2, 'x')} {verdict(passed)}")
    console.print(
        "  [dim]the peer runs no cdk-nag and has no monitoring stack (alarms, dashboard); "
        f"peer packages: {peer_versions()}[/dim]"
    )


def peer_versions() -> str:
    names = ("core", "aws-sns-sqs", "aws-sqs-lambda", "aws-eventbridge-stepfunctions")
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(f'aws-solutions-constructs.{name}')}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    return ", ".join(found)


# --------------------------------------------------------------------------------------------- handlers


def _handler_subprocess(args: list[str], python_flags: tuple[str, ...] = ()) -> tuple[dict[str, Any], str]:
    with tempfile.TemporaryDirectory(prefix="bench-handler-") as tmp:
        out = Path(tmp) / "out.json"
        completed = subprocess.run(
            [sys.executable, *python_flags, "-m", "bench.handlers", *args, str(out)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,  # the handlers' JSON logs
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"bench.handlers {' '.join(args)} failed: {completed.stderr[-1500:]}")
        return json.loads(out.read_text()), completed.stderr


def _import_breakdown(stderr: str) -> dict[str, float]:
    """Cumulative ms of the first import of each package in IMPORT_BREAKDOWN (-X importtime lines)."""
    found: dict[str, float] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if name in IMPORT_BREAKDOWN and name not in found and cumulative.isdigit():
            found[name] = int(cumulative) / 1000
    return found


def run_handlers(results: dict[str, Any]) -> None:
    console.rule("handlers")
    log("  CPU per message (fresh interpreter, botocore answered in-process) ...")
    cpu, _ = _handler_subprocess(["cpu"])
    cold: dict[str, Any] = {}
    for handler in ("order_processor", "balance_updater"):
        log(f"  cold import of {handler} x{COLD_RUNS} ...")
        runs = [_handler_subprocess(["cold", handler])[0] for _ in range(COLD_RUNS)]
        _, stderr = _handler_subprocess(["cold", handler], ("-X", "importtime"))
        cold[handler] = {
            "import_ms": statistics.median(run["import_ms"] for run in runs),
            "import_runs_ms": [round(run["import_ms"], 1) for run in runs],
            "first_invoke_ms": statistics.median(run["first_invoke_ms"] for run in runs),
            "import_breakdown_ms": _import_breakdown(stderr),
        }
    results["handlers"] = {"cpu": cpu, "cold": cold}

    table = Table(title="handler CPU per message (time.process_time), median of 3 rounds")
    for column in ("handler", "batch 1", "batch 10", "batch 10 ÷ batch 1", "AWS calls / message"):
        table.add_column(column, justify="left" if column == "handler" else "right")
    for handler in ("order_processor", "balance_updater"):
        one = cpu[f"{handler}/batch_1"]["cpu_ms_per_message"]
        ten = cpu[f"{handler}/batch_10"]["cpu_ms_per_message"]
        calls = ", ".join(f"{op} {n}" for op, n in cpu[f"{handler}/calls"].items())
        table.add_row(
            handler,
            fmt(one, 2, " ms"),
            fmt(ten, 2, " ms"),
            fmt(ratio(ten, one), 2, "x"),
            f"{cpu[f'{handler}/batch_10']['aws_calls_per_message']:.0f} ({calls})",
        )
    console.print(table)
    ratio_handlers = ratio(
        cpu["order_processor/batch_10"]["cpu_ms_per_message"], cpu["balance_updater/batch_10"]["cpu_ms_per_message"]
    )
    console.print(f"  order_processor ÷ balance_updater (batch 10): {fmt(ratio_handlers, 1, 'x')}")

    table = Table(title=f"cold start (fresh interpreter), median of {COLD_RUNS}")
    for column in ("handler", "import", "first invocation (1 msg)", "of the import (cumulative, -X importtime)"):
        table.add_column(
            column, justify="left" if column in ("handler", "of the import (cumulative, -X importtime)") else "right"
        )
    for handler, figure in cold.items():
        breakdown = ", ".join(f"{name} {ms:.0f} ms" for name, ms in figure["import_breakdown_ms"].items())
        table.add_row(handler, fmt(figure["import_ms"], 0, " ms"), fmt(figure["first_invoke_ms"], 0, " ms"), breakdown)
    console.print(table)


# --------------------------------------------------------------------------------------------- SQS requests


def _by_operation(figure: dict[str, Any]) -> str:
    parts = []
    for op, n in figure["by_operation"].items():
        empty = figure.get("empty_receives", 0) if op == "ReceiveMessage" else 0
        parts.append(f"{op} {n}" + (f" ({empty} empty)" if empty else ""))
    return ", ".join(parts)


def run_sqs(results: dict[str, Any]) -> None:
    console.rule("SQS API requests per 1,000 messages")
    log("  draining 1,000 messages per consumer from moto, counting botocore calls ...")
    figures = sqs_requests.measure()
    baseline = figures["one-at-a-time"]["requests_per_1000"]
    printed = figures["seed-as-printed"]["requests_per_1000"]
    table = Table(title="consumer-side SQS requests per 1,000 messages (sending not counted)")
    for column in ("consumer", "requests", "by operation", "one-at-a-time ÷ this", "seed-as-printed ÷ this"):
        table.add_column(column, justify="left" if column in ("consumer", "by operation") else "right")
    for name, figure in figures.items():
        table.add_row(
            name,
            f"{figure['requests_per_1000']:.0f}",
            _by_operation(figure),
            fmt(ratio(baseline, figure["requests_per_1000"]), 1, "x"),
            fmt(ratio(printed, figure["requests_per_1000"]), 1, "x"),
        )
    console.print(table)
    aims: dict[str, dict[str, Any]] = {}
    for theirs in ("one-at-a-time", "seed-as-printed"):
        value = ratio(figures[theirs]["requests_per_1000"], figures["lambda-esm"]["requests_per_1000"])
        passed: bool | None = None if value is None else value >= 5.0
        aims[f"lambda-esm vs {theirs}"] = {"ratio": value, "pass": passed}
    results["sqs_requests"] = figures
    results["sqs_aims"] = aims
    for name, aim in aims.items():
        console.print(f"  aim ≥5x fewer requests, {name}: {fmt(aim['ratio'], 1, 'x')} {verdict(aim['pass'])}")
    workers = {name: figure for name, figure in figures.items() if name.startswith("queue-worker")}
    results["sqs_worker_ratios"] = {
        name: {
            "seed-as-printed ÷ worker": ratio(printed, figure["requests_per_1000"]),
            "worker ÷ lambda-esm": ratio(figure["requests_per_1000"], figures["lambda-esm"]["requests_per_1000"]),
        }
        for name, figure in workers.items()
    }
    for name, figure in workers.items():
        slow = (
            f"{figure['slow_messages']} slow messages kept invisible by {figure['heartbeat_extensions']} "
            "heartbeat extensions; "
            if figure["slow_messages"]
            else ""
        )
        ratios = results["sqs_worker_ratios"][name]
        console.print(
            f"  {name}: {fmt(ratios['seed-as-printed ÷ worker'], 1, 'x')} fewer requests than seed-as-printed, "
            f"{fmt(ratios['worker ÷ lambda-esm'], 2, 'x')} lambda-esm's; {slow}processed twice: "
            f"{figure['processed_twice']}"
        )
    console.print("  [dim]lambda-esm: the mapping's shape in AWS (DeleteMessageBatch)[/dim]")
    console.print(
        f"  [dim]queue-worker: 10 threads, visibility 30 s, heartbeat 10 s; its empty receives are its idle tail "
        f"(1 s long polls while the last batch is worked on). 5% slow: every {sqs_requests.SLOW_EVERY}th message "
        f"takes {sqs_requests.SLOW_SECONDS} s with visibility 2 s and heartbeat 1 s (scaled down; the chapter's "
        "loops make no request while they work, so theirs would not change)[/dim]"
    )


def run_worker(results: dict[str, Any], messages: int) -> None:
    console.rule("QueueWorker on the local cloud")
    log(
        f"  one worker draining {messages} messages per run from a local cloud of its own "
        f"(python -m localcloud serve, port {worker_throughput.PORT}, time scale 1) ..."
    )
    figures = worker_throughput.measure(messages, log=log)
    results["worker_throughput"] = figures
    table = Table(
        title=f"one QueueWorker, msgs/s draining {messages} messages from the local cloud's SQS (2 shared cores)"
    )
    columns = (
        "handler",
        "CONCURRENCY",
        "msgs/s",
        "÷ CONCURRENCY 1",
        "seconds",
        "worker CPU / msg",
        "server CPU / msg",
        "SQS requests / msg",
        "processed twice",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "handler" else "right")
    for figure in figures.values():
        one = figures[f"{figure['handler']}, CONCURRENCY 1"]["msgs_per_s"]
        table.add_row(
            figure["handler"],
            str(figure["concurrency"]),
            fmt(figure["msgs_per_s"], 0),
            fmt(ratio(figure["msgs_per_s"], one), 1, "x"),
            fmt(figure["seconds"], 1, " s"),
            fmt(figure["worker_cpu_ms_per_message"], 2, " ms"),
            fmt(figure["server_cpu_ms_per_message"], 2, " ms"),
            fmt(figure["sqs_requests_per_message"], 3),
            str(figure["processed_twice"]),
        )
    console.print(table)
    console.print(
        "  [dim]worker in this process (its threads, botocore); server: the local cloud's process (HTTP, moto). "
        "Timed from run() to the last delete; visibility 30 s, heartbeat 10 s, batches of 10[/dim]"
    )


# --------------------------------------------------------------------------------------------- tests, pipeline


def run_tests(results: dict[str, Any]) -> None:
    console.rule("test suite wall time")
    figures = suite.measure(log=log)
    results["tests"] = figures
    table = Table(title="test suite")
    for column in ("command", "wall", "exit", "summary"):
        table.add_column(column)
    for name, figure in figures.items():
        table.add_row(name, fmt(figure["wall_s"], 0, " s"), str(figure["exit_code"]), figure["summary"])
    console.print(table)
    full, fast = figures["make test"]["wall_s"], figures["fast (no e2e)"]["wall_s"]
    console.print(f"  fast subset ÷ make test: {fmt(ratio(fast, full), 2, 'x')}")


def pipeline(results: dict[str, Any], orders: int) -> None:
    """Orders through the deployed app on a local cloud (bench/pipeline.py); opt in with --pipeline N."""
    console.rule("pipeline (local cloud)")
    if not orders:
        console.print(
            "[dim]pipeline: not run (opt in with --pipeline 10000, or make bench BENCH_ARGS='--pipeline 10000')[/dim]"
        )
        results["pipeline"] = {"skipped": "run with --pipeline N"}
        return
    module = importlib.import_module("bench.pipeline")
    figures = module.run(results, orders)
    results["pipeline"] = figures
    table = Table("orders", "end to end", "orders/s", "invocations at once", "peak memory", "zero lost, none doubled")
    table.add_row(
        str(figures["orders"]),
        f"{figures['end_to_end_seconds']} s",
        str(figures["orders_per_second"]),
        f"≤ {figures['max_concurrency']} per function",
        f"{figures['peak_memory_mib']} MiB",
        verdict(figures["zero_lost_none_doubled"]),
    )
    console.print(table)
    cpu = figures["cpu_ms_per_order"]
    profile = Table("CPU per order, by component", "ms", "share")
    for component, ms in sorted(cpu.items(), key=lambda item: -item[1]):
        profile.add_row(component, f"{ms}", f"{ms / max(sum(cpu.values()), 1e-9):.0%}")
    profile.add_row("all", f"{sum(cpu.values()):.1f}", "100%")
    console.print(profile)
    console.print(f"  checks: {figures['checks']}")


# --------------------------------------------------------------------------------------------- main


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cpus": os.cpu_count(), "load_average_1m": round(load[0], 2), "python": sys.version.split()[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--tests", action="store_true", help="also time `make test` and the fast subset (long)")
    parser.add_argument("--repeat", type=int, default=3, help="synth runs per variant (default 3)")
    parser.add_argument(
        "--skip", action="append", default=[], choices=["synth", "handlers", "sqs", "worker"], help="skip"
    )
    parser.add_argument(
        "--worker-messages",
        type=int,
        default=worker_throughput.MESSAGES,
        metavar="N",
        help=f"messages per QueueWorker run on the local cloud (default {worker_throughput.MESSAGES})",
    )
    parser.add_argument("--pipeline", type=int, default=0, metavar="N", help="send N orders through the local cloud")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the figures (JSON)")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine_before": machine(),
        "versions": {
            "aws-cdk-lib": importlib.metadata.version("aws-cdk-lib"),
            "peer": peer_versions(),
        },
    }
    if "synth" not in args.skip:
        run_synth(results, args.repeat)
    if "handlers" not in args.skip:
        run_handlers(results)
    if "sqs" not in args.skip:
        run_sqs(results)
    if "worker" not in args.skip:
        run_worker(results, args.worker_messages)
    if args.tests:
        run_tests(results)
    else:
        results["tests"] = {"skipped": "run with --tests (make bench BENCH_ARGS=--tests)"}
        console.print("[dim]tests: not timed (opt in with --tests, or make bench BENCH_ARGS=--tests)[/dim]")
    pipeline(results, args.pipeline)
    results["machine_after"] = machine()
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    console.print(f"figures written to {os.path.relpath(args.output, Path.cwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
