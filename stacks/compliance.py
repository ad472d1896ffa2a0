"""cdk-nag rule packs, and turning any unacknowledged finding into a failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import IConstruct

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


def acknowledgements(root: IConstruct) -> list[tuple[str, str, str]]:
    """Every acknowledged rule in the tree: (construct path, rule id, reason), sorted."""
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    found = []
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key:
                # {"<kind>::<rule id>": "<reason>", ...}
                for rule_id, reason in dict(entry.data).items():
                    found.append((construct.node.path, rule_id.split("::", 1)[-1], reason))
    return sorted(found)


#: Findings of parliament (the IAM policy linter run on every identity policy by tests/app/test_iam_lint.py)
#: that the app accepts: ("<stack>/<role's logical id>", parliament issue) -> reason. None today.
PARLIAMENT_ACKNOWLEDGEMENTS: dict[tuple[str, str], str] = {
    ("OrdersProcessing/CustomVpcRestrictDefaultSGCustomResourceProviderRole26592FE0", "RESOURCE_STAR"): (
        "CDK's own custom resource provider, which strips the rules of the workers' VPC's default security group "
        "once at deployment; its AWS managed policy AWSLambdaBasicExecutionRole lets it write its logs "
        "(logs:CreateLogGroup, CreateLogStream, PutLogEvents on *): AWS's policy, attached by CDK"
    ),
}


def acknowledgements_markdown(root: IConstruct) -> str:
    """The acknowledgements as the tables in docs/acknowledgements.md."""
    rows = "\n".join(f"| `{path}` | `{rule}` | {reason} |" for path, rule, reason in acknowledgements(root))
    parliament = "\n".join(
        f"| `{path}` | `{issue}` | {reason} |" for (path, issue), reason in sorted(PARLIAMENT_ACKNOWLEDGEMENTS.items())
    )
    return (
        "# cdk-nag acknowledgements\n\n"
        "Every finding of the AwsSolutions and Serverless packs that the app acknowledges, on the one "
        "resource it concerns, with the reason. Generated from the dev stage by "
        "`python -m stacks.compliance`; `tests/stacks/test_compliance.py` fails when this file is out of date.\n\n"
        "| resource | rule | reason |\n|---|---|---|\n" + rows + "\n\n"
        "# parliament acknowledgements\n\n"
        "parliament lints every identity policy of both stages (`tests/app/test_iam_lint.py`); a finding "
        "fails the test unless it is acknowledged here (`stacks/compliance.py`, `PARLIAMENT_ACKNOWLEDGEMENTS`).\n\n"
        + (
            "| role | issue | reason |\n|---|---|---|\n" + parliament + "\n"
            if parliament
            else "None: every identity policy passes parliament's auditors.\n"
        )
    )


if __name__ == "__main__":
    import json as _json
    import sys

    from stacks import build_orders_app

    context = _json.loads(Path("cdk.json").read_text())["context"]
    app = App(context={**context, "stage": "dev"})
    build_orders_app(app)
    target = Path("docs/acknowledgements.md")
    target.write_text(acknowledgements_markdown(app))
    print(f"wrote {target} ({len(acknowledgements(app))} acknowledgements)", file=sys.stderr)
