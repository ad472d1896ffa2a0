"""localcloud.compat.sqs_event_source: an SQS event source mapping polls whole batches, honours batchItemFailures,
its batching window, its concurrency and each FIFO group's order; against a real moto server in this process.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from localcloud.compat import installed, lambda_runtime, sqs_event_source, time_scale
from localcloud.settings import LocalCloudSettings
from tests.localcloud.compat.conftest import create_function


def _queue_with_mapping(cloud: LocalCloudSettings, max_receive_count: int = 5) -> tuple[Any, str, str]:
    sqs, client = cloud.client("sqs"), cloud.client("lambda")
    dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="work",
        Attributes={
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    create_function(client, "consumer")
    for body in ("a", "fail", "b"):  # before the mapping exists: the first poll sees all three
        sqs.send_message(QueueUrl=url, MessageBody=body)
    client.create_event_source_mapping(
        FunctionName="consumer", EventSourceArn=arn, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    return sqs, url, dlq


def _batches(cloud: LocalCloudSettings) -> list[list[str]]:
    log = cloud.state_dir / "logs" / "consumer.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [json.loads(line)["batch"] for line in lines if line.startswith('{"batch"')]


def test_moto_still_invokes_one_record_at_a_time_on_send(cloud: LocalCloudSettings) -> None:
    with installed(lambda_runtime, settings=cloud):
        sqs, client = cloud.client("sqs"), cloud.client("lambda")
        url = sqs.create_queue(QueueName="pushed")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        create_function(client, "consumer")
        client.create_event_source_mapping(FunctionName="consumer", EventSourceArn=arn, BatchSize=10)
        for body in ("a", "b", "c"):
            sqs.send_message(QueueUrl=url, MessageBody=body)
        assert _batches(cloud) == [["a"], ["b"], ["c"]]


def test_a_batching_window_shorter_than_the_visibility_timeout_never_receives_a_message_twice_in_a_batch(
    cloud: LocalCloudSettings,
) -> None:
    """One clock: AWS never puts a message twice in one batch when visibility (20 s) exceeds the window
    (10 s); neither does the local cloud at any scale. Regression: with the visibility scaled (0.2 s) and
    the window not (10 s), the poller received the same message again and again inside one batch."""
    with installed(lambda_runtime, time_scale, sqs_event_source, settings=cloud):
        _mapped_queue(
            cloud, "windowed", [("a", None)], visibility_timeout=20, BatchSize=10, MaximumBatchingWindowInSeconds=10
        )
        deadline = time.monotonic() + 30
        while not _batches(cloud) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(cloud.scaled(20) * 3)  # what a second receive would need: the visibility timeout, thrice over
        assert _batches(cloud) == [["a"]]


def test_the_mapping_polls_whole_batches_and_leaves_reported_failures_until_the_dlq_takes_them(
    cloud: LocalCloudSettings,
) -> None:
    with installed(lambda_runtime, time_scale, sqs_event_source, settings=cloud):
        sqs, _, dlq = _queue_with_mapping(cloud, max_receive_count=3)
        deadline = time.monotonic() + 30
        dead: list[dict[str, Any]] = []
        while not dead and time.monotonic() < deadline:
            dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
            time.sleep(0.2)
        batches = _batches(cloud)
    assert sorted(batches[0]) == ["a", "b", "fail"]  # one invocation with the whole batch
    assert all(batch == ["fail"] for batch in batches[1:])  # the successes were deleted, the failure retried
    assert len(batches) == 3  # maxReceiveCount deliveries, then SQS moved it
    assert [m["Body"] for m in dead] == ["fail"]


def _runs(cloud: LocalCloudSettings) -> list[dict[str, Any]]:
    log = cloud.state_dir / "logs" / "consumer.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [json.loads(line) for line in lines if line.startswith('{"ran"')]


def _most_at_once(runs: list[dict[str, Any]]) -> int:
    moments = sorted([(run["from"], 1) for run in runs] + [(run["to"], -1) for run in runs])
    running = most = 0
    for _, change in moments:
        running += change
        most = max(most, running)
    return most


def _mapped_queue(
    cloud: LocalCloudSettings,
    name: str,
    bodies: list[tuple[str, str | None]],
    *,
    visibility_timeout: int = 300,  # well above the work (0.4 s) at the cloud's scale, as AWS would size it
    reserved_concurrency: int | None = None,
    **mapping: Any,
) -> None:
    """A queue holding ``bodies`` (with their message group on FIFO), mapped to the consumer (batches of 1)."""
    sqs, client = cloud.client("sqs"), cloud.client("lambda")
    fifo = name.endswith(".fifo")
    attributes = {"VisibilityTimeout": str(visibility_timeout), **({"FifoQueue": "true"} if fifo else {})}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    create_function(client, "consumer")
    if reserved_concurrency is not None:
        client.put_function_concurrency(FunctionName="consumer", ReservedConcurrentExecutions=reserved_concurrency)
    for body, group in bodies:
        extra = {"MessageGroupId": group, "MessageDeduplicationId": body} if group else {}
        sqs.send_message(QueueUrl=url, MessageBody=body, **extra)
    client.create_event_source_mapping(FunctionName="consumer", EventSourceArn=arn, **{"BatchSize": 1, **mapping})


def _wait_for_runs(cloud: LocalCloudSettings, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while len(_runs(cloud)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return _runs(cloud)


def test_a_function_runs_as_many_invocations_at_once_as_its_mapping_allows_and_no_more(
    cloud: LocalCloudSettings,
) -> None:
    settings = dataclasses.replace(cloud, max_concurrency=3)
    with installed(lambda_runtime, time_scale, sqs_event_source, settings=settings):
        _mapped_queue(
            settings,
            "busy",
            [(f"slow-{i}", None) for i in range(6)],
            ScalingConfig={"MaximumConcurrency": 2},
        )
        runs = _wait_for_runs(settings, 6)
    assert sorted(run["ran"][0] for run in runs) == [f"slow-{i}" for i in range(6)]
    assert _most_at_once(runs) == 2  # concurrent, as Lambda is, and bounded by MaximumConcurrency


def test_a_fifo_queue_has_one_batch_in_flight_per_message_group_and_keeps_each_groups_order(
    cloud: LocalCloudSettings,
) -> None:
    bodies = [("slow-a1", "a"), ("slow-b1", "b"), ("slow-a2", "a"), ("slow-b2", "b"), ("slow-a3", "a")]
    with installed(lambda_runtime, time_scale, sqs_event_source, settings=cloud):
        _mapped_queue(cloud, "ordered.fifo", bodies)
        runs = _wait_for_runs(cloud, 5)
    for group in "ab":
        of_group = sorted((run for run in runs if run["ran"][0][5] == group), key=lambda run: run["from"])
        assert [run["ran"][0] for run in of_group] == [body for body, g in bodies if g == group]
        assert _most_at_once(of_group) == 1
    assert _most_at_once(runs) == 2  # the two groups, side by side


def test_reserved_concurrency_of_one_runs_one_invocation_at_a_time(cloud: LocalCloudSettings) -> None:
    with installed(lambda_runtime, time_scale, sqs_event_source, settings=cloud):
        _mapped_queue(cloud, "single", [(f"slow-{i}", None) for i in range(3)], reserved_concurrency=1)
        runs = _wait_for_runs(cloud, 3)
    assert len(runs) == 3
    assert _most_at_once(runs) == 1
