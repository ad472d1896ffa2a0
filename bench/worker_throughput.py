"""Messages per second of one :class:`event_runtime.QueueWorker` on the local cloud.

A local cloud of its own (``python -m localcloud serve``, as ``make up`` starts it: moto's threaded
server with every ``localcloud.compat`` gap, in its own process) on port 4621, at time scale 1 (AWS
timing: the visibility the worker asks for lasts the seconds its heartbeat counts). For each handler
(a no-op; a 20 ms sleep, standing for I/O such as a downstream call) and each ``CONCURRENCY`` (1, 10),
a fresh standard queue is filled with the messages (not timed), then one worker, in this process,
drains it: timed from ``run()`` to the DeleteMessageBatch that deleted the last message (the idle
worker's last long poll is not counted). Settings otherwise as the worker's docstring example:
visibility 30 s, heartbeat 10 s, batches of 10.

Beside msgs/s: the CPU per message of this process (the worker, its threads, botocore) and of the
local cloud's server process (HTTP and moto), both on the 2 shared cores, and the worker's SQS
requests per message. Absolute rates are this machine's; the ratios between the four runs are the
figures to read.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localcloud import server
from localcloud.settings import LocalCloudSettings

PORT = 4621
MESSAGES = 1000
CONCURRENCIES = (1, 10)
#: Handler name -> seconds each message takes (slept: I/O, which threads overlap).
HANDLERS: dict[str, float] = {"no-op": 0.0, "sleep 20 ms": 0.020}


def _server_cpu_seconds(settings: LocalCloudSettings) -> float:
    """CPU seconds (user + system) of the local cloud's server process so far, from /proc."""
    pid = (settings.state_dir / "server.pid").read_text().strip()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _fill(sqs: Any, queue_url: str, messages: int) -> None:
    for start in range(0, messages, 10):
        entries = [{"Id": str(i), "MessageBody": f'{{"n": {start + i}}}'} for i in range(min(10, messages - start))]
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"send failed: {response['Failed']}")


def drain(
    settings: LocalCloudSettings, run: str, *, concurrency: int, seconds_per_message: float, messages: int
) -> dict[str, Any]:
    """Fill a fresh queue with ``messages``, drain it with one worker, and time it."""
    from aws_lambda_powertools import Logger

    from event_runtime import QueueWorker, WorkerSettings

    sqs = settings.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"bench-worker-{run}")["QueueUrl"]
    dead_letter_queue_url = sqs.create_queue(QueueName=f"bench-worker-{run}-dlq")["QueueUrl"]
    _fill(sqs, queue_url, messages)

    lock = threading.Lock()
    deleted = 0
    last_deleted_at = 0.0
    processed: Counter[str] = Counter()

    def count_deleted(parsed: Any, **_: Any) -> None:
        nonlocal deleted, last_deleted_at
        with lock:
            deleted += len(parsed.get("Successful") or [])
            if deleted >= messages and not last_deleted_at:
                last_deleted_at = time.perf_counter()

    sqs.meta.events.register("after-call.sqs.DeleteMessageBatch", count_deleted)

    def process(record: Any) -> None:
        if seconds_per_message:
            time.sleep(seconds_per_message)
        with lock:
            processed[record.body] += 1

    worker = QueueWorker(
        process,
        settings=WorkerSettings(
            queue_url=queue_url,
            dead_letter_queue_url=dead_letter_queue_url,
            max_attempts=3,
            max_receive_count=10,
            visibility_timeout_seconds=30,
            heartbeat_seconds=10,
            max_in_hand_seconds=600,
            drain_seconds=2,  # the long poll is then 1 s: the idle worker stops soon after the last message
            concurrency=concurrency,
            batch_size=10,
        ),
        logger=Logger(service="bench-worker", level="CRITICAL"),
        sqs_client=sqs,
    )
    server_cpu = _server_cpu_seconds(settings)
    cpu = time.process_time()
    started = time.perf_counter()
    report = worker.run(until_idle=True)
    cpu = time.process_time() - cpu
    server_cpu = _server_cpu_seconds(settings) - server_cpu
    sqs.delete_queue(QueueUrl=queue_url)
    sqs.delete_queue(QueueUrl=dead_letter_queue_url)
    if report.succeeded != messages or not last_deleted_at:
        raise RuntimeError(f"worker {run}: {report.succeeded} of {messages} messages done ({report})")
    elapsed = last_deleted_at - started
    return {
        "messages": messages,
        "concurrency": concurrency,
        "seconds_per_message": seconds_per_message,
        "seconds": round(elapsed, 2),
        "msgs_per_s": round(messages / elapsed, 1),
        # Both include the idle tail (the last long poll, the stop): a second at most, at ~no CPU.
        "worker_cpu_ms_per_message": round(1000 * cpu / messages, 2),
        "server_cpu_ms_per_message": round(1000 * server_cpu / messages, 2),
        "sqs_requests_per_message": round(report.sqs_calls / messages, 3),
        "processed_twice": sum(n - 1 for n in processed.values()),
    }


def measure(
    messages: int = MESSAGES,
    *,
    port: int = PORT,
    handlers: dict[str, float] = HANDLERS,
    concurrencies: tuple[int, ...] = CONCURRENCIES,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """msgs/s of one worker per handler and CONCURRENCY, keyed ``"<handler>, CONCURRENCY <n>"``."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as state:
        settings = LocalCloudSettings(port=port, time_scale=1.0, state_dir=Path(state))
        if not server.up(settings):
            raise RuntimeError(f"a local cloud already answers on port {port}: not ours to measure or stop")
        try:
            for handler, seconds in handlers.items():
                for concurrency in concurrencies:
                    name = f"{handler}, CONCURRENCY {concurrency}"
                    log(f"  {name}: {messages} messages ...")
                    run = f"{len(results)}-{time.strftime('%H%M%S')}"
                    results[name] = {
                        "handler": handler,
                        **drain(settings, run, concurrency=concurrency, seconds_per_message=seconds, messages=messages),
                    }
        finally:
            server.down(settings)
    return results
