"""CPU and memory of the local cloud while it works: its server process, the threads in it that have a
name of their own, and each function's execution environments (worker processes), read from /proc.

Linux only (the benchmarks' machine); standard library only. CPU is attributed to what ran it:

- ``server``: moto's HTTP server, the Step Functions interpreter and EventBridge's target delivery
  (threads without a name of their own);
- ``pollers``: the event source mappings' pollers (threads named ``esm-poller``), which also run
  moto's SQS receive and delete in process;
- ``function:<name>``: the worker processes of that function (a worker replaced after a timeout
  takes its CPU with it).

Example:
    >>> profile = ProcessTreeProfile(os.getpid())
    >>> profile.sample()
    >>> profile.peak_rss_bytes > 0 and "server" in profile.cpu_seconds()
    True
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from pathlib import Path

from localcloud.compat.sqs_event_source import POLLER_THREAD_NAME

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(path: Path) -> list[str]:
    text = path.read_text()
    return text[text.rindex(")") + 2 :].split()  # after "pid (comm) "


def _cpu_seconds(stat: Path) -> float:
    fields = _stat_fields(stat)
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _rss_bytes(pid: int) -> int:
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in (PROC / str(pid) / "task").iterdir():
        children = task / "children"
        if children.exists():
            found += [int(child) for child in children.read_text().split()]
    return found


def _function_name(pid: int) -> str | None:
    try:
        environment = (PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return None
    for entry in environment:
        if entry.startswith(b"AWS_LAMBDA_FUNCTION_NAME="):
            return entry.split(b"=", 1)[1].decode()
    return None


class ProcessTreeProfile:
    """Samples a process and its descendants: peak resident memory in all, CPU by component at the end."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_rss_bytes = 0
        self._last_cpu: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> None:
        pids = [self.pid]
        for pid in pids:  # grows as it goes: every descendant
            try:
                pids += _children(pid)
            except OSError:
                continue
        rss = 0
        for pid in pids:
            try:
                rss += _rss_bytes(pid)
                if pid != self.pid:
                    function = _function_name(pid) or "other processes"
                    self._last_cpu[pid] = (f"function:{function}", _cpu_seconds(PROC / str(pid) / "stat"))
            except OSError:
                continue
        self.peak_rss_bytes = max(self.peak_rss_bytes, rss)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds by component, as last sampled (the server's threads read now)."""
        by_component: dict[str, float] = defaultdict(float)
        pollers = 0.0  # long-lived threads; the server's request threads come and go (the process total keeps them)
        for task in (PROC / str(self.pid) / "task").iterdir():
            try:
                if (task / "comm").read_text().strip() == POLLER_THREAD_NAME:
                    pollers += _cpu_seconds(task / "stat")
            except OSError:
                continue
        by_component["server"] = _cpu_seconds(PROC / str(self.pid) / "stat") - pollers
        by_component["pollers"] = pollers
        for component, seconds in self._last_cpu.values():
            by_component[component] += seconds
        return dict(by_component)

    def start(self, interval: float = 0.5) -> None:
        def run() -> None:
            while not self._stop.wait(interval):
                self.sample()

        self._thread = threading.Thread(target=run, name="profile", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.sample()
