"""cdk-nag rule packs, and turning any unacknowledged finding into a failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

VALIDATION_REPORT = "validation-report.json"


def add_rule_packs(app: App) -> None:
    """Run the AwsSolutions and Serverless packs on every stack at synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))


def findings(assembly_dir: str | Path) -> list[dict[str, Any]]:
    """Every unacknowledged finding in a synthesized assembly, of any severity.

    CDK writes ``validation-report.json`` when a plugin reports something; an empty list
    means every rule passed or was acknowledged.
    """
    report_path = Path(assembly_dir) / VALIDATION_REPORT
    if not report_path.exists():
        return []
    report = json.loads(report_path.read_text())
    return [
        {
            "rule": violation["ruleName"],
            "severity": violation.get("severity", ""),
            "description": violation.get("description", ""),
            "path": construct["constructPath"],
        }
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]


def format_findings(found: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {f['rule']} ({f['severity']}) at {f['path']}: {f['description']}" for f in found)
