"""``cdk synth`` wall time: the orders app against the floor and the peer, interleaved in one run.

Each variant is a full ``cdk synth --quiet`` through the pinned CLI (node startup, the Python
app, asset staging, the cloud assembly), into its own temporary output directory so that the
repository's ``cdk.out`` is never touched.

- ``floor``: an app with one empty stack, written to a temporary directory.
- ``ours``: the orders app as ``make synth`` runs it (dev stage, cdk-nag included).
- ``ours-no-nag``: the same stacks without the cdk-nag rule packs (``bench/ours_no_nag.py``).
- ``peer``: the same topology from AWS Solutions Constructs (``bench/peer_app.py``).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CDK = ROOT / "node_modules" / ".bin" / "cdk"
FLOOR_APP = """import aws_cdk as cdk

app = cdk.App()
cdk.Stack(app, "Floor")
app.synth()
"""


@dataclass(frozen=True)
class Variant:
    name: str
    cwd: Path | None  # None: the temporary directory (the floor has no cdk.json)
    app: str | None  # None: cdk.json's app command
    context: tuple[str, ...] = ()


def variants() -> list[Variant]:
    python = sys.executable
    return [
        Variant("floor", None, f"{python} app.py"),
        Variant("ours", ROOT, None, ("-c", "stage=dev")),
        Variant("ours-no-nag", ROOT, f"{python} -m bench.ours_no_nag", ("-c", "stage=dev")),
        Variant("peer", ROOT, f"{python} bench/peer_app.py"),
    ]


def environment() -> dict[str, str]:
    path = os.pathsep.join([str(Path(sys.executable).parent), str(CDK.parent), os.environ.get("PATH", "")])
    return os.environ | {
        "PATH": path,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_VERSION_CHECK": "1",
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def synth_once(variant: Variant, work: Path) -> tuple[float, float, str | None]:
    """Wall seconds and CPU seconds (the CLI, node and the Python app) of one synth; the error if it failed.

    CPU time is what to compare on a shared machine: it hardly moves when other work competes
    for the cores, while wall time does.
    """
    out = work / f"out-{variant.name}"
    shutil.rmtree(out, ignore_errors=True)
    command = [str(CDK), "synth", "--quiet", "-o", str(out), *variant.context]
    if variant.app:
        command += ["--app", variant.app]
    started, cpu = time.perf_counter(), _children_cpu()
    completed = subprocess.run(
        command, cwd=variant.cwd or work, env=environment(), capture_output=True, text=True, check=False
    )
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if completed.returncode != 0:
        return elapsed, cpu, (completed.stderr or completed.stdout).strip()[-2000:]
    return elapsed, cpu, None


def resources(out: Path) -> int:
    import json

    return sum(len(json.loads(template.read_text()).get("Resources", {})) for template in out.glob("*.template.json"))


def measure(repeat: int = 3, log: Any = print) -> dict[str, Any]:
    """Median wall and CPU seconds per variant over ``repeat`` interleaved rounds (floor, ours, ..., floor, ...)."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as tmp:
        work = Path(tmp)
        (work / "app.py").write_text(FLOOR_APP)
        times: dict[str, list[float]] = {variant.name: [] for variant in variants()}
        cpu_times: dict[str, list[float]] = {variant.name: [] for variant in variants()}
        errors: dict[str, str] = {}
        for round_ in range(repeat):
            for variant in variants():
                if variant.name in errors:
                    continue
                seconds, cpu, error = synth_once(variant, work)
                log(
                    f"  synth round {round_ + 1}/{repeat} {variant.name:<12} {seconds:6.1f} s wall {cpu:6.1f} s CPU"
                    + (" FAILED" if error else "")
                )
                if error:
                    errors[variant.name] = error
                else:
                    times[variant.name].append(seconds)
                    cpu_times[variant.name].append(cpu)
        for variant in variants():
            name = variant.name
            results[name] = {
                "median_s": statistics.median(times[name]) if times[name] else None,
                "runs_s": [round(value, 2) for value in times[name]],
                "median_cpu_s": statistics.median(cpu_times[name]) if cpu_times[name] else None,
                "cpu_runs_s": [round(value, 2) for value in cpu_times[name]],
                "resources": resources(work / f"out-{name}") if name not in errors else None,
                "error": errors.get(name),
            }
    return results
