"""One ECS task's container without Docker: its Python command, run on the local cloud's clock.

Started by ``localcloud.compat.ecs_tasks`` as ``python task_worker.py -m <module> [arguments]`` (the
container's command, ``python -m <module> ...``), with the container's environment plus the local
endpoint and dummy credentials. The image is not run: the module comes from what is installed next
to the local cloud, as a Lambda function's Powertools layer does.

**One clock.** The local cloud makes every AWS duration last ``duration x LOCALCLOUD_TIME_SCALE``
(a 120 s visibility timeout lasts 2.4 s at 0.02). A long-running worker keeps time too: its
heartbeat, drain deadline and time in hand are AWS durations, measured against the visibility the
queue gives. So the task runs on the same scaled clock: ``time.monotonic`` advances ``1 / scale``
times as fast, and ``time.sleep`` and every timed wait (``threading.Condition.wait``, under
``Event.wait`` and ``queue.Queue.get``) last ``seconds x scale``. Wall-clock time (``time.time``,
timestamps) is not scaled, as nowhere else in the local cloud. Standard library only.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import time


def run_on_scaled_clock(scale: float) -> None:
    """Make this process's monotonic clock, sleeps and timed waits run ``1 / scale`` times as fast."""
    if scale == 1:
        return
    real_monotonic, real_sleep, real_wait = time.monotonic, time.sleep, threading.Condition.wait
    started = real_monotonic()

    def monotonic() -> float:
        return started + (real_monotonic() - started) / scale

    def sleep(seconds: float) -> None:
        real_sleep(seconds * scale)

    def wait(self: threading.Condition, timeout: float | None = None) -> bool:
        return real_wait(self, None if timeout is None else timeout * scale)

    time.monotonic = monotonic
    time.sleep = sleep  # type: ignore[assignment]
    threading.Condition.wait = wait  # type: ignore[method-assign]


def main() -> None:
    arguments = sys.argv[1:]
    if len(arguments) < 2 or arguments[0] != "-m":
        sys.exit(f"task_worker: expected '-m <module> [arguments]', got {arguments!r}")
    run_on_scaled_clock(float(os.environ.get("LOCALCLOUD_TIME_SCALE", "1")))
    module = arguments[1]
    sys.path[0] = os.getcwd()  # as `python -m` does, not this file's directory
    sys.argv = [module, *arguments[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
