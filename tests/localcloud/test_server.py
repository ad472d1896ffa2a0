"""localcloud.server: finding and stopping the background local cloud (its start is exercised by tests/e2e)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
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


def test_a_cloud_started_by_this_process_is_reaped_when_stopped_not_waited_on(tmp_path: Path) -> None:
    """up() starts the cloud as a child of the caller (the benchmarks, the e2e tests): down() in the same
    process must reap it, or it waits its whole deadline on a zombie."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # reaped by nobody else
    try:
        (tmp_path / "server.pid").write_text(str(child.pid))
        started = time.monotonic()
        assert server.down(LocalCloudSettings(port=free_port(), state_dir=tmp_path)) is True
        assert time.monotonic() - started < 5
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


#: A parent of its own that reaps the process it starts, as init reaps the cloud `make up` started.
PARENT = (
    "import subprocess, sys; child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
    "print(child.pid, flush=True); print(child.wait(), flush=True)"
)


def test_the_process_named_in_the_pid_file_is_stopped(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    cloud = int(parent.stdout.readline())
    try:
        (tmp_path / "server.pid").write_text(str(cloud))
        assert server.down(LocalCloudSettings(port=free_port(), state_dir=tmp_path)) is True
        assert int(parent.stdout.readline()) == -signal.SIGTERM
        assert not (tmp_path / "server.pid").exists()
    finally:
        parent.kill()
        parent.wait()
