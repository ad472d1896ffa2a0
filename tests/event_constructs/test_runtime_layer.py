"""event_constructs.runtime_layer: every function of the library gets the runtime half, bundled without Docker."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_

from event_constructs import EventQueue, InvalidPropsError, QueueConsumer, ServiceFunction
from event_runtime import __version__ as runtime_version

CODE = lambda_.Code.from_inline("def handler(event, context): ...")


def test_a_consumer_and_a_service_function_share_one_layer_that_holds_the_installed_runtime(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Consumers")
    queue = EventQueue(stack, "Jobs", queue_name="jobs", visibility_timeout=cdk.Duration.seconds(180))
    QueueConsumer(stack, "Worker", queue=queue, code=CODE, handler="index.handler")
    ServiceFunction(stack, "Task", code=CODE, handler="index.handler", invoked_by="a test")
    ServiceFunction(stack, "Bare", code=CODE, handler="index.handler", invoked_by="a test", with_runtime_layer=False)
    assembly = app.synth()
    template = json.loads((Path(assembly.directory) / "Consumers.template.json").read_text())
    resources = template["Resources"]
    (layer_id,) = [name for name, r in resources.items() if r["Type"] == "AWS::Lambda::LayerVersion"]
    assert runtime_version in resources[layer_id]["Properties"]["Description"]
    # Pure Python: any of Lambda's Python runtimes from 3.11, either architecture (a python3.13 function was refused).
    assert resources[layer_id]["Properties"]["CompatibleRuntimes"] == [f"python3.{minor}" for minor in range(11, 15)]
    assert resources[layer_id]["Properties"]["CompatibleArchitectures"] == ["arm64", "x86_64"]
    layered = {
        name: {"Ref": layer_id} in r["Properties"]["Layers"]
        for name, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function"
    }
    assert sorted(layered.values()) == [False, True, True]
    asset_hash = resources[layer_id]["Properties"]["Content"]["S3Key"].removesuffix(".zip")
    bundled = Path(assembly.directory) / f"asset.{asset_hash}"
    assert (bundled / "python" / "event_runtime" / "batch.py").is_file()
    assert not list(bundled.rglob("__pycache__"))


def _stack_with_queue(fifo: bool = False) -> tuple[cdk.Stack, EventQueue]:
    stack = cdk.Stack(cdk.App(), "Attached")
    name = "jobs.fifo" if fifo else "jobs"
    return stack, EventQueue(stack, "Jobs", queue_name=name, fifo=fifo, visibility_timeout=cdk.Duration.seconds(180))


def test_a_consumer_may_go_without_the_runtime_layer() -> None:
    stack, queue = _stack_with_queue()
    QueueConsumer(stack, "Worker", queue=queue, code=CODE, handler="index.handler", with_runtime_layer=False)
    template = cdk.assertions.Template.from_stack(stack)
    template.resource_count_is("AWS::Lambda::LayerVersion", 0)


def test_one_function_is_not_attached_to_two_queues() -> None:
    """The second queue's QUEUE_URL and DLQ silently replaced the first's: the first queue's records were backed
    off on, and dead-lettered to, the other queue."""
    stack, jobs = _stack_with_queue(fifo=True)
    other = EventQueue(stack, "Other", queue_name="other", visibility_timeout=cdk.Duration.seconds(180))
    mine = lambda_.Function(
        stack,
        "Mine",
        runtime=lambda_.Runtime.PYTHON_3_13,
        code=CODE,
        handler="index.handler",
        timeout=Duration.seconds(30),
    )
    QueueConsumer(stack, "First", queue=jobs, function=mine)
    with pytest.raises(InvalidPropsError, match="already consumes Attached/First: a function consumes one queue"):
        QueueConsumer(stack, "Second", queue=other, function=mine)
