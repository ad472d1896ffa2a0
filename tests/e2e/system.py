"""The deployed app as the end-to-end tests see it: clients, names, and polling with deadlines."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from localcloud import demo
from localcloud.settings import LocalCloudSettings
from orders_functions.common.outputs import StackOutput

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 60, interval: float = 0.25, what: str = "condition") -> T:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@dataclass
class DeployedSystem:
    settings: LocalCloudSettings

    def client(self, service: str) -> Any:
        return self.settings.client(service)

    @cached_property
    def sqs(self) -> Any:
        return self.client("sqs")

    def queue_url(self, name: str) -> str:
        return str(self.sqs.get_queue_url(QueueName=name)["QueueUrl"])

    def topic_arn(self, name: str) -> str:
        topics = self.client("sns").list_topics()["Topics"]
        return next(t["TopicArn"] for t in topics if t["TopicArn"].endswith(f":{name}"))

    def table(self, output: StackOutput) -> str:
        """The name of the table the app's stack output ``output`` names."""
        return demo.outputs(self.settings)[output]

    def state_machine_arn(self, name: str) -> str:
        machines = self.client("stepfunctions").list_state_machines()["stateMachines"]
        return next(m["stateMachineArn"] for m in machines if m["name"] == name)

    def function_reading(self, queue: str) -> str:
        mappings = self.client("lambda").list_event_source_mappings()["EventSourceMappings"]
        return next(m["FunctionArn"].rsplit(":", 1)[-1] for m in mappings if m["EventSourceArn"].endswith(f":{queue}"))

    def log_entries(self, function_name: str) -> list[dict[str, Any]]:
        """The function's JSON log lines so far."""
        log = self.settings.state_dir / "logs" / f"{function_name}.log"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]

    def log_text(self, function_name: str) -> str:
        log = self.settings.state_dir / "logs" / f"{function_name}.log"
        return log.read_text() if log.exists() else ""

    def queue_depth(self, name: str) -> int:
        """Messages visible or in flight."""
        return sum(demo.depth(self.sqs, self.queue_url(name)))

    @contextmanager
    def reconfigured(self, function: str, **changes: Any) -> Iterator[None]:
        """Change the function's configuration for the block (a new execution environment, as on AWS)."""
        lambda_client = self.client("lambda")
        before = lambda_client.get_function_configuration(FunctionName=function)
        lambda_client.update_function_configuration(FunctionName=function, **changes)
        try:
            yield
        finally:
            lambda_client.update_function_configuration(
                FunctionName=function, Handler=before["Handler"], Environment=before["Environment"]
            )

    def drain(self, queue: str, wait: float = 2.0) -> list[dict[str, Any]]:
        """Receive and delete everything ``queue`` holds (its consumer paused)."""
        url = self.queue_url(queue)
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            batch = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
            ).get("Messages", [])
            for message in batch:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            messages.extend(batch)
            if not batch:
                time.sleep(0.2)
        return messages

    @contextmanager
    def consumers_paused(self, *queues: str) -> Iterator[None]:
        """Disable the event source mappings of ``queues`` for the block (messages stay on the queues)."""
        lambda_client = self.client("lambda")
        mappings = [
            m
            for m in lambda_client.list_event_source_mappings()["EventSourceMappings"]
            if m["EventSourceArn"].rsplit(":", 1)[-1] in queues
        ]
        for mapping in mappings:
            lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
        time.sleep(1.5)  # a receive already in progress finishes
        try:
            yield
        finally:
            for mapping in mappings:
                lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)

    def executions_for(self, state_machine: str, order_id: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        found = []
        for execution in sfn.list_executions(stateMachineArn=self.state_machine_arn(state_machine))["executions"]:
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            if json.loads(described["input"]).get("order_id") == order_id:
                found.append(described)
        return found
