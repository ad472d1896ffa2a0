"""Start, find and stop the local cloud: moto's server in this process, with every compat gap installed."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from localcloud.settings import LocalCloudSettings

READY_TIMEOUT_SECONDS = 30


def is_running(settings: LocalCloudSettings) -> bool:
    """Whether the local cloud answers an API call (STS GetCallerIdentity)."""
    from botocore.config import Config

    sts = settings.client("sts", config=Config(connect_timeout=1, read_timeout=5, retries={"max_attempts": 0}))
    try:
        sts.get_caller_identity()
        return True
    except Exception:
        return False


def _pid_file(settings: LocalCloudSettings) -> Path:
    return settings.state_dir / "server.pid"


def serve(settings: LocalCloudSettings) -> None:
    """Run the local cloud in the foreground until SIGTERM or SIGINT."""
    os.environ["MOTO_PORT"] = str(settings.port)  # moto's Step Functions interpreter calls back through it
    os.environ.update({k: v for k, v in settings.client_environment().items() if k != "AWS_ENDPOINT_URL"})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.server import ThreadedMotoServer

    from localcloud import compat

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    with ExitStack() as stack:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        _pid_file(settings).write_text(str(os.getpid()))
        stack.callback(_pid_file(settings).unlink, missing_ok=True)
        for gap in compat.GAPS:
            gap.install(stack, settings)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=settings.port, verbose=False)
        server.start()
        stack.callback(server.stop)
        logging.getLogger("localcloud").info(
            "local cloud at %s (time scale %s)", settings.endpoint, settings.time_scale
        )
        stopping.wait()


def up(settings: LocalCloudSettings) -> bool:
    """Start the local cloud in the background unless it runs already; False when it was running."""
    if is_running(settings):
        return False
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    log = (settings.state_dir / "server.log").open("a")
    environment = {
        **os.environ,
        "LOCALCLOUD_PORT": str(settings.port),
        "LOCALCLOUD_TIME_SCALE": str(settings.time_scale),
        "LOCALCLOUD_MAX_CONCURRENCY": str(settings.max_concurrency),
        "LOCALCLOUD_STATE_DIR": str(settings.state_dir),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "serve"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environment,
        start_new_session=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the local cloud exited at start; see {settings.state_dir / 'server.log'}")
        if is_running(settings):
            return True
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the local cloud did not answer within {READY_TIMEOUT_SECONDS} s")


def down(settings: LocalCloudSettings) -> bool:
    """Stop the background local cloud; False when none was running."""
    pid_file = _pid_file(settings)
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _ended(pid):
            pid_file.unlink(missing_ok=True)
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    _ended(pid)
    pid_file.unlink(missing_ok=True)
    return True


def _ended(pid: int) -> bool:
    """Whether process ``pid`` has ended; reaped here when it is this process's child (``up()`` started it
    here: until reaped it stays a zombie, which a signal 0 still finds)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    except ChildProcessError:  # not our child: its own parent reaps it
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
