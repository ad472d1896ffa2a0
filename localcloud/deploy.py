"""Deploy the app into the local cloud with the real cdk CLI, then check that everything exists.

``cdk deploy`` can report success against moto while a change set failed inside it, and moto's
stack engine silently skips resource types it does not know. So after deploying, every resource of
every synthesized template must be in its stack with a physical id; anything missing is an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.settings import ACCOUNT, REGION, LocalCloudSettings

ROOT = Path(__file__).resolve().parent.parent
CDK = ROOT / "node_modules" / ".bin" / "cdk"


@dataclass(frozen=True)
class DeployReport:
    stacks: dict[str, int]  # stack name -> resources created
    bootstrap_seconds: float
    deploy_seconds: float


class DeployError(Exception):
    pass


def cdk_environment(settings: LocalCloudSettings) -> dict[str, str]:
    return {
        **os.environ,
        **settings.client_environment(),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_VERSION_CHECK": "1",
    }


def _cdk(settings: LocalCloudSettings, *arguments: str) -> float:
    started = time.monotonic()
    result = subprocess.run(
        [str(CDK), *arguments], cwd=ROOT, env=cdk_environment(settings), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise DeployError(f"cdk {' '.join(arguments)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.monotonic() - started


def deploy_assembly(settings: LocalCloudSettings, cdk_out: Path) -> float:
    """``cdk deploy`` every stack of an already synthesized app (another app than this one, say); seconds taken."""
    return _cdk(settings, "deploy", "--all", "--app", str(cdk_out), "--require-approval", "never")


def missing_resources(settings: LocalCloudSettings, cdk_out: Path) -> dict[str, list[str]]:
    """Stack name -> logical ids of template resources the stack does not hold."""
    cloudformation = settings.client("cloudformation")
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    missing: dict[str, list[str]] = {}
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        name = artifact["properties"].get("stackName", artifact_id)  # left out when it is the artifact's id
        template = json.loads((cdk_out / artifact["properties"]["templateFile"]).read_text())
        try:
            summaries = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
        except cloudformation.exceptions.ClientError as error:
            missing[name] = [f"the stack itself ({error})"]
            continue
        created = {s["LogicalResourceId"] for s in summaries if s.get("PhysicalResourceId")}
        absent = sorted(logical_id for logical_id in template["Resources"] if logical_id not in created)
        if absent:
            missing[name] = absent
    return missing


def deploy(settings: LocalCloudSettings, stage: str = "dev") -> DeployReport:
    """Bootstrap, synth, deploy every stack; raise DeployError naming whatever did not get created."""
    cdk_out = ROOT / "cdk.out"
    _cdk(settings, "synth", "--quiet", "-c", f"stage={stage}")
    bootstrap_seconds = _cdk(settings, "bootstrap", "--app", str(cdk_out), f"aws://{ACCOUNT}/{REGION}")
    deploy_seconds = _cdk(
        settings, "deploy", "--all", "--app", str(cdk_out), "--require-approval", "never", "--concurrency", "1"
    )
    missing = missing_resources(settings, cdk_out)
    if missing:
        lines = [f"  {stack}: {', '.join(ids)}" for stack, ids in missing.items()]
        raise DeployError("cdk deploy reported success, but these resources were not created:\n" + "\n".join(lines))
    cloudformation = settings.client("cloudformation")
    stacks = {
        s["StackName"]: len(cloudformation.list_stack_resources(StackName=s["StackName"])["StackResourceSummaries"])
        for s in cloudformation.list_stacks()["StackSummaries"]
        if s["StackName"].startswith("orders-") and s["StackStatus"] != "DELETE_COMPLETE"
    }
    return DeployReport(stacks, bootstrap_seconds, deploy_seconds)


def describe(report: DeployReport) -> str:
    stacks = ", ".join(f"{name} ({count} resources)" for name, count in sorted(report.stacks.items()))
    timing = f"bootstrap {report.bootstrap_seconds:.1f} s, deploy after synth {report.deploy_seconds:.1f} s"
    return f"deployed {stacks}; {timing}"


def _main() -> None:
    settings = LocalCloudSettings.from_environment()
    try:
        print(describe(deploy(settings, os.environ.get("STAGE", "dev"))))
    except DeployError as error:
        raise SystemExit(str(error)) from None


if __name__ == "__main__":
    _main()


__all__: list[Any] = ["DeployError", "DeployReport", "deploy", "deploy_assembly", "missing_resources"]
