"""event_constructs.runtime_layer: every function of the library gets the runtime half, bundled without Docker."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from event_constructs import EventQueue, QueueConsumer, ServiceFunction
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
