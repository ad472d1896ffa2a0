"""localcloud.task_worker: a container's `python -m` command, run on the local cloud's scaled clock."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from localcloud.compat import ecs_tasks


def test_the_task_worker_runs_a_module_on_the_scaled_clock(tmp_path: Path) -> None:
    (tmp_path / "clock.py").write_text(
        "import threading, time\n"
        "start = time.monotonic(); threading.Event().wait(50); time.sleep(50)\n"
        "print(round(time.monotonic() - start))\n"
    )
    started = time.monotonic()
    output = subprocess.run(
        [sys.executable, str(ecs_tasks.TASK_WORKER), "-m", "clock"],
        env={"PATH": "/usr/bin:/bin", "LOCALCLOUD_TIME_SCALE": "0.01", "PYTHONPATH": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert output.strip() == "100"  # 100 s of AWS time ...
    assert time.monotonic() - started < 5  # ... in about one second


def test_a_command_that_is_not_a_module_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, str(ecs_tasks.TASK_WORKER), "worker.py"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "expected '-m <module> [arguments]'" in result.stderr
