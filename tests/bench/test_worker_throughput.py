"""bench.worker_throughput: one worker drains a queue of the local cloud it starts, timed, and stops that cloud."""

from __future__ import annotations

from bench import worker_throughput
from tests.localcloud.conftest import free_port


def test_one_worker_drains_the_local_clouds_queue_and_its_rate_is_measured() -> None:
    logged: list[str] = []
    port = free_port()
    figures = worker_throughput.measure(20, port=port, handlers={"no-op": 0.0}, concurrencies=(2,), log=logged.append)
    (figure,) = figures.values()
    assert list(figures) == ["no-op, CONCURRENCY 2"] and logged == ["  no-op, CONCURRENCY 2: 20 messages ..."]
    assert (figure["messages"], figure["concurrency"], figure["processed_twice"]) == (20, 2, 0)
    assert figure["msgs_per_s"] > 0 and figure["server_cpu_ms_per_message"] > 0
    # A receive and a DeleteMessageBatch per 10, the ARN once, the idle tail's empty receives: far under 1.
    assert 0.15 <= figure["sqs_requests_per_message"] < 0.5
    # The cloud it started is stopped.
    assert not worker_throughput.server.is_running(worker_throughput.LocalCloudSettings(port=port))
