"""Lambda without Docker and SQS event source mappings that poll, against a real moto server in this process."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from event_constructs import powertools
from localcloud.compat import installed, lambda_runtime, sqs_event_source, time_scale
from localcloud.settings import LocalCloudSettings
from tests.localcloud.conftest import server_settings

HANDLER = """
import json, os, time
def handler(event, context):
    records = event.get("Records", [])
    print(json.dumps({"batch": [r["body"] for r in records]}))
    started = time.time()
    time.sleep(event.get("sleep", 0) or 0.4 * sum(r["body"].startswith("slow") for r in records))
    print(json.dumps({"ran": [r["body"] for r in records], "from": started, "to": time.time()}))
    return {
        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"] == "fail"],
        "greeting": os.environ.get("GREETING"),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
"""
ROLE = "arn:aws:iam::123456789012:role/lambda"
POWERTOOLS_LAYER = (
    f"arn:aws:lambda:us-east-1:{powertools.POWERTOOLS_LAYER_ACCOUNT}:layer:"
    f"AWSLambdaPowertoolsPythonV3-python314-arm64:{powertools.POWERTOOLS_LAYER_VERSION}"
)


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def _create_function(client: Any, name: str, timeout: int = 5, layers: list[str] | None = None) -> str:
    local = "amazonaws.com" not in client.meta.endpoint_url
    iam = boto3.client(
        "iam",
        endpoint_url=client.meta.endpoint_url if local else None,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(
            RoleName="lambda", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )
    return str(
        client.create_function(
            FunctionName=name,
            Runtime="python3.14",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": _code()},
            Timeout=timeout,
            Environment={"Variables": {"GREETING": "hello"}},
            Layers=layers or [],
        )["FunctionArn"]
    )


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalCloudSettings]:
    settings = server_settings(tmp_path)
    monkeypatch.setenv("MOTO_PORT", str(settings.port))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=settings.port, verbose=False)
    server.start()
    try:
        yield settings
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{settings.endpoint}/moto-api/reset", method="POST"))
        server.stop()


def test_moto_still_needs_docker_to_invoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("lambda")
        _create_function(client, "f")
        response = client.invoke(FunctionName="f", Payload=b"{}")
    assert response["FunctionError"]
    assert b"error running docker" in response["Payload"].read()


def test_a_function_runs_in_a_warm_subprocess_with_its_environment(cloud: LocalCloudSettings) -> None:
    with installed(lambda_runtime, settings=cloud):
        client = cloud.client("lambda")
        _create_function(client, "f", layers=[POWERTOOLS_LAYER])
        first = json.loads(client.invoke(FunctionName="f", Payload=b"{}")["Payload"].read())
        second = json.loads(client.invoke(FunctionName="f", Payload=b"{}")["Payload"].read())
    assert first["greeting"] == second["greeting"] == "hello"
    assert 0 < first["remaining_ms"] <= 5000
    log = (cloud.state_dir / "logs" / "f.log").read_text()
    assert log.count('{"batch": []}') == 2


def test_an_invocation_over_the_timeout_fails_and_the_next_one_gets_a_fresh_environment(
    cloud: LocalCloudSettings,
) -> None:
    with installed(lambda_runtime, settings=cloud):
        client = cloud.client("lambda")
        _create_function(client, "slow", timeout=1)
        timed_out = client.invoke(FunctionName="slow", Payload=json.dumps({"sleep": 3}).encode())
        after = client.invoke(FunctionName="slow", Payload=b"{}")
    assert timed_out["FunctionError"]
    assert "Task timed out after 1.00 seconds" in timed_out["Payload"].read().decode()
    assert "FunctionError" not in after


def test_an_unknown_layer_version_is_refused_with_the_versions_the_local_cloud_has(cloud: LocalCloudSettings) -> None:
    wrong = POWERTOOLS_LAYER.rsplit(":", 1)[0] + ":1"
    with pytest.raises(
        lambda_runtime.UnknownLayerError, match=f"provides version {powertools.POWERTOOLS_LAYER_VERSION} only"
    ):
        lambda_runtime.check_layer(wrong)
    with pytest.raises(lambda_runtime.UnknownLayerError, match="not a layer the local cloud knows"):
        lambda_runtime.check_layer("arn:aws:lambda:us-east-1:999999999999:layer:other:1")


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
    _create_function(client, "consumer")
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
        _create_function(client, "consumer")
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
    _create_function(client, "consumer")
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


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_a_function_imports_from_its_own_layers_ahead_of_what_the_local_cloud_has_installed(
    cloud: LocalCloudSettings,
) -> None:
    """As Lambda puts /opt/python first: a layer's package shadows the one installed next to the local cloud."""
    with installed(lambda_runtime, settings=cloud):
        client = cloud.client("lambda")
        layer = client.publish_layer_version(
            LayerName="own",
            Content={
                "ZipFile": _zip(
                    {"python/only_in_layer.py": "VALUE = 'from the layer'\n", "python/event_runtime/__init__.py": ""}
                )
            },
        )["LayerVersionArn"]
        _create_function(client, "layered", layers=[layer, POWERTOOLS_LAYER])
        handler = (
            "import event_runtime, only_in_layer\n"
            "def handler(event, context):\n"
            "    return {'value': only_in_layer.VALUE, 'runtime': event_runtime.__file__}\n"
        )
        client.update_function_code(FunctionName="layered", ZipFile=_zip({"app.py": handler}))
        answer = json.loads(client.invoke(FunctionName="layered", Payload=b"{}")["Payload"].read())
    assert answer["value"] == "from the layer"
    assert answer["runtime"].startswith(str(cloud.state_dir / "layers"))


def _run_with_layers(cloud: LocalCloudSettings, layers: list[dict[str, str]], module: str) -> str:
    client = cloud.client("lambda")
    arns = [
        client.publish_layer_version(LayerName=f"layer-{i}", Content={"ZipFile": _zip(files)})["LayerVersionArn"]
        for i, files in enumerate(layers)
    ]
    _create_function(client, "layered", layers=arns)
    handler = f"import {module}\ndef handler(event, context):\n    return {{'mark': {module}.MARK}}\n"
    client.update_function_code(FunctionName="layered", ZipFile=_zip({"app.py": handler}))
    return str(json.loads(client.invoke(FunctionName="layered", Payload=b"{}")["Payload"].read())["mark"])


def test_of_two_layers_holding_one_module_the_later_one_wins_as_in_opt(cloud: LocalCloudSettings) -> None:
    """Lambda unpacks layers into /opt in order, a later file replacing an earlier one (the local cloud had it
    the other way round)."""
    with installed(lambda_runtime, settings=cloud):
        first, second = {"python/shared.py": "MARK = 'first'\n"}, {"python/shared.py": "MARK = 'second'\n"}
        assert _run_with_layers(cloud, [first, second], "shared") == "second"


def test_a_layer_laid_out_as_site_packages_is_on_the_path(cloud: LocalCloudSettings) -> None:
    """/opt/python/lib/python3.x/site-packages is on a Lambda function's path too (what `pip install -t` makes)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    with installed(lambda_runtime, settings=cloud):
        layer = {f"python/lib/{version}/site-packages/deep.py": "MARK = 'deep'\n"}
        assert _run_with_layers(cloud, [layer], "deep") == "deep"
