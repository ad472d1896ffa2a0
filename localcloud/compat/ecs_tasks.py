"""ECS services whose tasks run: moto records a service and its desired count, and runs nothing.

A scheduler thread keeps, as ECS's service scheduler does, each active service's tasks running:
every second it compares the services' desired counts with the tasks it runs, starts what is
missing, replaces a task that exited (after a pause that doubles while it keeps failing, as ECS
throttles a crashing service), and stops the tasks of a service that was deleted, scaled in or
given a new task definition. A task is a process per container whose command is ``python -m
<module> ...`` (:mod:`localcloud.task_worker` runs it, on the local cloud's clock); a container with
any other command is logged and not run (there is no Docker). At most ``LOCALCLOUD_MAX_CONCURRENCY``
tasks run per service; scaling policies are not applied (the desired count is what the template
or ``UpdateService`` set).

Stopping a task is ECS's: SIGTERM, then SIGKILL after the container's ``stopTimeout`` (30 s by
default), scaled by the time scale like every AWS duration here. Output goes to
``<state dir>/logs/<service>.log``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.ecs.models import ecs_backends

from localcloud.settings import LocalCloudSettings

GAP = "moto records ECS services but runs none of their tasks"

TASK_WORKER = Path(__file__).resolve().parent.parent / "task_worker.py"
#: ECS's default stopTimeout: the time between SIGTERM and SIGKILL when a task is stopped.
DEFAULT_STOP_TIMEOUT_SECONDS = 30
RESTART_PAUSE_SECONDS = (1.0, 60.0)

logger = logging.getLogger("localcloud.ecs_tasks")


@dataclass(frozen=True)
class Container:
    """What one container of a service's task needs to run here."""

    service: str
    task_definition: str
    name: str
    module_command: tuple[str, ...]
    environment: tuple[tuple[str, str], ...]
    stop_timeout_seconds: int


def python_module_command(command: list[str] | None) -> tuple[str, ...] | None:
    """``("-m", module, *arguments)`` for a container command ``python -m module ...``; None otherwise.

    >>> python_module_command(["python", "-m", "orders.worker", "--fast"])
    ('-m', 'orders.worker', '--fast')
    >>> python_module_command(["/usr/local/bin/python3.13", "-m", "orders.worker"])
    ('-m', 'orders.worker')
    >>> python_module_command(["java", "-jar", "worker.jar"]) is None
    True
    """
    if not command or len(command) < 3 or command[1] != "-m":
        return None
    if not os.path.basename(command[0]).startswith("python"):
        return None
    return tuple(command[1:])


def wanted_containers(settings: LocalCloudSettings) -> dict[Container, int]:
    """Each active service's containers that can run here, and how many tasks of each to run."""
    wanted: dict[Container, int] = {}
    for regional in list(ecs_backends.values()):
        for backend in list(regional.values()):
            for service in list(backend.services.values()):
                if service.status != "ACTIVE" or not service.task_definition or service.desired_count <= 0:
                    continue
                definition = backend.describe_task_definition(service.task_definition)
                for spec in definition.container_definitions:
                    container = _container(f"{service.cluster_name}/{service.name}", definition.arn, spec)
                    if container is not None:
                        wanted[container] = min(int(service.desired_count), settings.max_concurrency)
    return wanted


_refused: set[tuple[str, str]] = set()


def _container(service: str, task_definition: str, spec: dict[str, Any]) -> Container | None:
    command = python_module_command(spec.get("command") or spec.get("Command"))
    name = str(spec.get("name") or spec.get("Name") or "container")
    if command is None:
        if (service, name) not in _refused:
            _refused.add((service, name))
            logger.warning(
                "%s: container %s is not run (its command is not `python -m <module>`, and there is no Docker)",
                service,
                name,
            )
        return None
    variables = spec.get("environment") or spec.get("Environment") or []
    environment = tuple(
        sorted((str(v.get("name") or v.get("Name")), str(v.get("value") or v.get("Value") or "")) for v in variables)
    )
    stop_timeout = spec.get("stopTimeout") or spec.get("StopTimeout") or DEFAULT_STOP_TIMEOUT_SECONDS
    return Container(service, task_definition, name, command, environment, int(stop_timeout))


class Task:
    """One running container: a process started by :mod:`localcloud.task_worker`."""

    def __init__(self, container: Container, settings: LocalCloudSettings) -> None:
        self.container = container
        self.settings = settings
        logs = settings.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_name = container.service.rsplit("/", 1)[-1]
        self._log = (logs / f"{log_name}.log").open("a")
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            **dict(container.environment),
            **settings.client_environment(),
            "LOCALCLOUD_TIME_SCALE": str(settings.time_scale),
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(
            [sys.executable, str(TASK_WORKER), *container.module_command],
            env=environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        logger.info("%s: started task %s (pid %s)", container.service, container.name, self.process.pid)

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after the container's stop timeout (scaled), as ECS stops a task."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=self.settings.scaled(self.container.stop_timeout_seconds))
            except subprocess.TimeoutExpired:
                logger.warning("%s: task %s killed after its stop timeout", self.container.service, self.process.pid)
                self.process.kill()
                self.process.wait()
        self._log.close()


class Scheduler(threading.Thread):
    """Keeps each service's desired tasks running (see the module's docstring)."""

    def __init__(self, settings: LocalCloudSettings, interval_seconds: float = 1.0) -> None:
        super().__init__(name="ecs-task-scheduler", daemon=True)
        self.settings = settings
        self.interval_seconds = interval_seconds
        self.tasks: dict[Container, list[Task]] = {}
        self._restart_at: dict[Container, tuple[float, float]] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self._stopping.wait(self.interval_seconds):
            try:
                self.reconcile()
            except Exception:  # a backend read that raced a deploy: the next round sees it settled
                logger.exception("could not reconcile the ECS services' tasks")

    def reconcile(self) -> None:
        wanted = wanted_containers(self.settings)
        with self._lock:
            for container in [c for c in self.tasks if c not in wanted]:
                for task in self.tasks.pop(container):
                    task.stop()
            for container, count in wanted.items():
                tasks = self.tasks.setdefault(container, [])
                exited = [task for task in tasks if not task.running()]
                for task in exited:
                    logger.warning(
                        "%s: task %s exited with %s", container.service, task.process.pid, task.process.returncode
                    )
                    task.stop()
                    tasks.remove(task)
                if exited:
                    self._pause_restarts(container)
                while len(tasks) > count:
                    tasks.pop().stop()
                if len(tasks) < count and time.monotonic() >= self._restart_at.get(container, (0.0, 0.0))[0]:
                    tasks.extend(Task(container, self.settings) for _ in range(count - len(tasks)))

    def _pause_restarts(self, container: Container) -> None:
        _, pause = self._restart_at.get(container, (0.0, RESTART_PAUSE_SECONDS[0] / 2))
        pause = min(pause * 2, RESTART_PAUSE_SECONDS[1])
        self._restart_at[container] = (time.monotonic() + pause, pause)

    def stop(self) -> None:
        """Stop every task (each gets its SIGTERM at once, then its stop timeout) and the scheduler."""
        self._stopping.set()
        with self._lock:
            tasks = [task for tasks in self.tasks.values() for task in tasks]
            for task in tasks:
                if task.running():
                    task.process.send_signal(signal.SIGTERM)
            for task in tasks:
                task.stop()
            self.tasks.clear()


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    scheduler = Scheduler(settings)
    scheduler.start()
    stack.callback(scheduler.stop)  # nothing of moto's is patched: the scheduler reads its ECS backends
