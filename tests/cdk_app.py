"""Synthesize the orders app the way ``cdk synth`` does, for assertions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from stacks import OrdersApp, build_orders_app
from stacks.compliance import add_rule_packs, findings

REPO_ROOT = Path(__file__).resolve().parent.parent


def cdk_context(stage: str) -> dict[str, Any]:
    """The context of cdk.json, as the CLI passes it, with ``stage`` set."""
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return {**context, "stage": stage}


@dataclass
class SynthesizedApp:
    app: cdk.App
    orders: OrdersApp
    assembly_dir: Path
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)

    def template(self, stack_id: str) -> Template:
        return Template.from_json(self.templates[stack_id])

    def resources(self, stack_id: str, resource_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> resource, for the resources of one type in one stack's template."""
        return {
            logical_id: resource
            for logical_id, resource in self.templates[stack_id]["Resources"].items()
            if resource["Type"] == resource_type
        }


def synthesize(stage: str, outdir: Path) -> SynthesizedApp:
    app = cdk.App(context=cdk_context(stage), outdir=str(outdir))
    orders = build_orders_app(app)
    add_rule_packs(app)
    try:
        assembly = app.synth()
        assembly_dir = Path(assembly.directory)
    except RuntimeError:  # nag findings abort synth; the templates and the report are written
        assembly_dir = outdir
    result = SynthesizedApp(app=app, orders=orders, assembly_dir=assembly_dir)
    for stack in orders.stacks:
        result.templates[stack.node.id] = json.loads((assembly_dir / stack.template_file).read_text())
    result.findings = findings(assembly_dir)
    return result


_ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def normalised(template: dict[str, Any]) -> dict[str, Any]:
    """The template with asset hashes replaced, so snapshots change only when the infrastructure does."""
    return json.loads(_ASSET_HASH.sub("ASSET_HASH", json.dumps(template)))
