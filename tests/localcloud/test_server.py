"""localcloud.server: finding and stopping the background local cloud (its start is exercised by tests/e2e)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

from localcloud import server
from localcloud.settings import LocalCloudSettings
from tests.localcloud.conftest import free_port


def test_nothing_answering_on_the_port_is_no_local_cloud(tmp_path: Path) -> None:
    assert server.is_running(LocalCloudSettings(port=free_port(), state_dir=tmp_path)) is False


def test_a_running_local_cloud_answers(cloud: LocalCloudSettings) -> None:
    assert server.is_running(cloud) is True


def test_stopping_what_was_never_started_stops_nothing(tmp_path: Path) -> None:
    assert server.down(LocalCloudSettings(port=free_port(), state_dir=tmp_path)) is False


def test_a_pid_file_left_by_a_cloud_that_died_is_cleared(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    (tmp_path / "server.pid").write_text(gone.stdout.strip())
    assert server.down(LocalCloudSettings(port=free_port(), state_dir=tmp_path)) is False
    assert not (tmp_path / "server.pid").exists()


def test_the_process_named_in_the_pid_file_is_stopped(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    reaper = threading.Thread(target=sleeper.wait)  # reaped as it ends, as the cloud's own parent would
    reaper.start()
    try:
        (tmp_path / "server.pid").write_text(str(sleeper.pid))
        assert server.down(LocalCloudSettings(port=free_port(), state_dir=tmp_path)) is True
        reaper.join(timeout=5)
        assert sleeper.returncode == -signal.SIGTERM
        assert not (tmp_path / "server.pid").exists()
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
        reaper.join(timeout=5)
