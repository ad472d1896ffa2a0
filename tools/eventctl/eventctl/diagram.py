"""The architecture, drawn from cdk.out with Graphviz: topic and filtered subscriptions, queues and
their DLQs, consumers, the bus, its rules, targets and archive.

The graph is laid out and drawn by ``graphviz-pure`` (a Python wheel holding Graphviz's ``dot`` as
one program), so drawing needs no system package and gives the same bytes on every machine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import graphviz

from eventctl.errors import EventctlError


def _ref(value: Any, known: dict[str, Any] | None = None) -> str | None:
    """The logical id a value refers to (Ref, GetAtt, or a cross-stack import of one)."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
        if "Fn::ImportValue" in value and known is not None:
            export = str(value["Fn::ImportValue"])
            matches = [logical_id for logical_id in known if logical_id in export]
            return max(matches, key=len) if matches else None
    return None


def _definition_refs(value: Any) -> list[str]:
    parts = value.get("Fn::Join", ["", []])[1] if isinstance(value, dict) else []
    return [ref for part in parts if (ref := _ref(part))]


def build(cdk_out: Path) -> graphviz.Digraph:  # noqa: PLR0915 (one pass per resource kind, kept together)
    files = sorted(cdk_out.glob("*.template.json"))
    if not files:
        raise EventctlError(f"no templates in {cdk_out}: run `make synth` first, or pass --cdk-out")
    graph = graphviz.Digraph(
        "architecture",
        graph_attr={"rankdir": "LR", "fontname": "Helvetica", "fontsize": "11"},
        node_attr={"fontname": "Helvetica", "fontsize": "10", "style": "filled"},
    )
    resources: dict[str, dict[str, Any]] = {}
    for file in files:
        for logical_id, resource in json.loads(file.read_text())["Resources"].items():
            resources[logical_id] = resource

    def label(logical_id: str) -> str:
        resource = resources.get(logical_id, {})
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Lambda::Function":
            module, _, function = str(props.get("Handler", logical_id)).rpartition(".")
            package = module.removesuffix(".handler").rpartition(".")[2]  # orders_functions.payment.handler
            return f"{package}: {function}" if function != "lambda_handler" else package
        for key in ("QueueName", "TopicName", "Name", "StateMachineName", "ArchiveName"):
            if isinstance(props.get(key), str):
                return str(props[key])[:60]
        return logical_id

    shapes = {
        "AWS::SQS::Queue": ("box", "#fde9c9"),
        "AWS::SNS::Topic": ("ellipse", "#f9d0d0"),
        "AWS::Lambda::Function": ("component", "#d7e8f7"),
        "AWS::Events::EventBus": ("hexagon", "#e6d8f5"),
        "AWS::Events::Rule": ("diamond", "#efe6fb"),
        "AWS::StepFunctions::StateMachine": ("doubleoctagon", "#d9f2dc"),
        "AWS::Events::Archive": ("cylinder", "#eeeeee"),
    }
    for logical_id in list(resources):
        if "alarms" in label(logical_id):  # the monitoring topic is not part of the data flow
            resources.pop(logical_id)
    for logical_id, resource in resources.items():
        if resource["Type"] in shapes:
            shape, color = shapes[resource["Type"]]
            is_dlq = "dlq" in label(logical_id)
            graph.node(logical_id, label(logical_id), shape=shape, fillcolor="#f4cccc" if is_dlq else color)
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::SQS::Queue" and "RedrivePolicy" in props:
            dlq = _ref(props["RedrivePolicy"]["deadLetterTargetArn"])
            if dlq:
                graph.edge(
                    logical_id,
                    dlq,
                    label=f"after {props['RedrivePolicy']['maxReceiveCount']} receives",
                    style="dashed",
                    color="#cc0000",
                )
        elif kind == "AWS::SNS::Subscription":
            topic, queue = _ref(props.get("TopicArn")), _ref(props.get("Endpoint"))
            policy = props.get("FilterPolicy")
            text = "everything" if not policy else "\n".join(f"{k}: {json.dumps(v)}" for k, v in policy.items())
            if topic and queue:
                graph.edge(topic, queue, label=text[:120])
                dlq = _ref((props.get("RedrivePolicy") or {}).get("deadLetterTargetArn"))
                if dlq:
                    graph.edge(topic, dlq, label="undeliverable", style="dashed", color="#cc0000")
        elif kind == "AWS::Lambda::EventSourceMapping":
            queue, function = _ref(props.get("EventSourceArn")), _ref(props.get("FunctionName"))
            if queue and function:
                graph.edge(queue, function, label=f"batch {props.get('BatchSize', 10)}")
        elif kind == "AWS::Events::Rule":
            bus = _ref(props.get("EventBusName"))
            if bus:
                graph.edge(bus, logical_id, label=json.dumps(props.get("EventPattern", {}))[:90])
            for target in props.get("Targets", []):
                ref = _ref(target.get("Arn"))
                if ref:
                    graph.edge(logical_id, ref, label="InputTransformer" if "InputTransformer" in target else "")
                dlq = _ref((target.get("DeadLetterConfig") or {}).get("Arn"))
                if dlq:
                    graph.edge(logical_id, dlq, label="undeliverable", style="dashed", color="#cc0000")
        elif kind == "AWS::Lambda::Function":
            verbs = {"AWS::SQS::Queue": "sends", "AWS::SNS::Topic": "publishes", "AWS::Events::EventBus": "puts events"}
            for variable, value in (props.get("Environment") or {}).get("Variables", {}).items():
                if variable in {"QUEUE_URL", "DEAD_LETTER_QUEUE_URL"}:  # its own queue, not a destination
                    continue
                target = _ref(value, resources)
                kind_of_target = resources.get(target or "", {}).get("Type")
                if kind_of_target in verbs:
                    graph.edge(logical_id, str(target), label=verbs[kind_of_target], color="#1f5fa8")
        elif kind == "AWS::StepFunctions::StateMachine":
            for task in dict.fromkeys(_definition_refs(props.get("DefinitionString"))):
                if resources.get(task, {}).get("Type") == "AWS::Lambda::Function":
                    graph.edge(logical_id, task, label="task", style="dotted")
        elif kind == "AWS::Events::Archive":
            bus = _ref(props.get("SourceArn"))
            if bus:
                graph.edge(bus, logical_id, label=f"{props.get('RetentionDays', 'forever')} days", style="dotted")
    return graph


#: The program that lays out and draws the graph (installed with eventctl, from PyPI).
DRAWING_PROGRAM = "graphviz-pure"


def drawing_program() -> str:
    """Where ``graphviz-pure`` is: on PATH, or beside this interpreter's scripts (a venv not activated)."""
    found = shutil.which(DRAWING_PROGRAM) or shutil.which(DRAWING_PROGRAM, path=sysconfig.get_path("scripts"))
    if found is None:
        raise EventctlError(f"{DRAWING_PROGRAM} is not installed: pip install {DRAWING_PROGRAM}")
    return found


def render(cdk_out: Path, output: Path) -> list[Path]:
    """Write ``output``.svg and ``output``.png; returns the files."""
    source = build(cdk_out).source
    program = drawing_program()
    output.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in ("svg", "png"):
        path = output.with_suffix(f".{fmt}")
        drawn = subprocess.run(
            [program, f"-T{fmt}", "-o", str(path)], input=source.encode(), capture_output=True, check=False
        )
        if drawn.returncode != 0:
            problem = drawn.stderr.decode(errors="replace").strip().splitlines()
            raise EventctlError(
                f"{DRAWING_PROGRAM} could not draw {fmt}: {problem[-1] if problem else drawn.returncode}"
            )
        written.append(path)
    return written
