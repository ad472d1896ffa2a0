"""Wall time of the test suite: ``make test`` (everything) and the fast subset (no e2e).

Opt-in (``python -m bench --tests``): the whole suite takes minutes.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTEST = str(Path(sys.executable).parent / "pytest")

COMMANDS: dict[str, list[str]] = {
    "make test": ["make", "test"],
    "fast (no e2e)": [PYTEST, "-q", "-m", "not e2e", "--ignore=tests/e2e"],
}


def measure(log: Any = print) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, command in COMMANDS.items():
        log(f"  running {' '.join(command)} ...")
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        last = (completed.stdout.strip().splitlines() or [""])[-1]
        results[name] = {"wall_s": elapsed, "exit_code": completed.returncode, "summary": last[-200:]}
    return results
