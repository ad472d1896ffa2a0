"""localcloud.compat.ecs_tasks: an ECS service's tasks run as processes (its container's `python -m` command),
kept at the desired count, stopped with SIGTERM; against a real moto server in this process.

When the "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from event_runtime.environment import WorkerSettings
from localcloud.compat import ecs_tasks, installed, time_scale
from localcloud.settings import LocalCloudSettings

#: A container's module: a QueueWorker that writes each body it processes to a file.
WORKER_MODULE = """
import os
from aws_lambda_powertools import Logger
from event_runtime import QueueWorker

def process(record):
    with open(os.environ["PROCESSED"], "a") as out:
        out.write(record.body + "\\n")

report = QueueWorker(process, logger=Logger(service="echo-worker")).run()
with open(os.environ["PROCESSED"], "a") as out:
    out.write(f"stopped by {report.stopped_by}\\n")
"""


def register_service(ecs: Any, environment: dict[str, str], command: list[str], desired: int = 1) -> None:
    ecs.create_cluster(clusterName="workers")
    definition = ecs.register_task_definition(
        family="echo",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "worker",
                "image": "public.ecr.aws/docker/library/python:3.13-slim",
                "command": command,
                "environment": [{"name": k, "value": v} for k, v in environment.items()],
                "stopTimeout": 60,
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster="workers", serviceName="echo", taskDefinition=definition, desiredCount=desired, launchType="FARGATE"
    )


def wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_moto_still_runs_no_task_of_a_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        ecs = boto3.client("ecs")
        register_service(ecs, {"PROCESSED": str(tmp_path / "out")}, ["python", "-m", "echo_worker"])
        service = ecs.describe_services(cluster="workers", services=["echo"])["services"][0]
    assert service["desiredCount"] == 1
    assert not (tmp_path / "out").exists()  # nothing ran


def test_a_services_worker_runs_as_a_process_on_the_scaled_clock_and_stops_on_sigterm(
    cloud: LocalCloudSettings, tmp_path: Path
) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "echo_worker.py").write_text(WORKER_MODULE)
    processed = tmp_path / "processed"
    sqs, ecs = cloud.client("sqs"), cloud.client("ecs")
    with installed(time_scale, ecs_tasks, settings=cloud):
        queue = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "120"})["QueueUrl"]
        dlq = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
        settings = WorkerSettings(
            queue_url=queue,
            dead_letter_queue_url=dlq,
            max_attempts=3,
            max_receive_count=10,
            visibility_timeout_seconds=120,
            heartbeat_seconds=30,
            max_in_hand_seconds=3600,
            drain_seconds=60,
            concurrency=2,
            batch_size=10,
        )
        environment = {**settings.to_environment(), "PROCESSED": str(processed), "PYTHONPATH": str(tmp_path / "code")}
        register_service(ecs, environment, ["python", "-m", "echo_worker"])
        for n in range(5):
            sqs.send_message(QueueUrl=queue, MessageBody=f"job-{n}")
        wait_for(lambda: processed.exists() and len(processed.read_text().split("\n")) > 5)
        ecs.update_service(cluster="workers", service="echo", desiredCount=0)
        # The task is stopped with SIGTERM: the worker drains (60 s of AWS time: 0.6 s here) and returns.
        wait_for(lambda: "stopped by SIGTERM" in processed.read_text())
    assert sorted(processed.read_text().split("\n")[:5]) == [f"job-{n}" for n in range(5)]
    log = (cloud.state_dir / "logs" / "echo.log").read_text()
    assert '"message":"worker started"' in log


def test_a_container_that_is_not_a_python_module_is_not_run(cloud: LocalCloudSettings, tmp_path: Path) -> None:
    with installed(ecs_tasks, settings=cloud):
        register_service(cloud.client("ecs"), {}, ["java", "-jar", "worker.jar"])
        time.sleep(1.5)
        assert ecs_tasks.wanted_containers(cloud) == {}
