"""Python Lambda functions without Docker: moto runs every invocation in a Docker container.

Each function gets warm execution environments, as on AWS: subprocesses
(``localcloud/lambda_worker.py``) started when an invocation finds none free, in the function's
unpacked code with the function's environment (plus the local endpoint and dummy credentials),
each running one invocation at a time and reused for later ones, and killed and replaced when an
invocation overruns the function's timeout (the invocation fails with "Task timed out"). A
function runs as many invocations at once as it has environments: at most its reserved
concurrency, and at most ``LOCALCLOUD_MAX_CONCURRENCY`` (each environment is a process); an
invocation beyond that waits for one to be free. Handler output is appended to
``<state dir>/logs/<function>.log``.

Layers: a layer published to the local cloud (the app's own, such as event-constructs' runtime
half) is unpacked beside the function's code, and its ``python/`` (and ``python/lib/python3.x/site-packages/``)
go on the function's path ahead of everything installed, as Lambda puts ``/opt/python`` there; where two
layers hold the same module, the later layer's wins, as in ``/opt``.
A public layer must be one the local cloud knows: the pinned Powertools layer maps to the
``aws-lambda-powertools`` package installed next to the local cloud, and its version must be the
one the layer carries (``event_constructs.powertools.POWERTOOLS_VERSION``). The interpreter is
the local cloud's own Python, whatever the function's declared runtime.
"""

from __future__ import annotations

import base64
import io
import json
import os
import selectors
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO, Any
from unittest import mock

from moto.awslambda.models import LambdaBackend, LambdaFunction, LayerVersion, lambda_backends

from localcloud.settings import LocalCloudSettings

GAP = "moto runs Lambda functions only in Docker"

WORKER = Path(__file__).resolve().parent.parent / "lambda_worker.py"
#: Unpacking a function's code or layer once, whichever of its environments starts first.
_unpacking = threading.Lock()


@dataclass(frozen=True)
class KnownLayer:
    """A public layer the local cloud provides from an installed package."""

    account: str
    name_prefix: str
    version: int
    package: str
    package_version: str

    def matches(self, layer_arn: str) -> bool:
        parts = layer_arn.split(":")  # arn:aws:lambda:region:account:layer:name:version
        return len(parts) == 8 and parts[4] == self.account and parts[6].startswith(self.name_prefix)


def known_layers() -> tuple[KnownLayer, ...]:
    from event_constructs import powertools

    return (
        KnownLayer(
            account=powertools.POWERTOOLS_LAYER_ACCOUNT,
            name_prefix="AWSLambdaPowertoolsPythonV3-",
            version=powertools.POWERTOOLS_LAYER_VERSION,
            package="aws-lambda-powertools",
            package_version=powertools.POWERTOOLS_VERSION,
        ),
    )


class UnknownLayerError(Exception):
    pass


def check_layer(layer_arn: str) -> KnownLayer:
    """The known layer behind ``layer_arn``, its package installed at the layer's version, or a clear error."""
    for layer in known_layers():
        if layer.matches(layer_arn):
            if int(layer_arn.rsplit(":", 1)[1]) != layer.version:
                raise UnknownLayerError(f"{layer_arn}: the local cloud provides version {layer.version} only")
            installed = metadata.version(layer.package)
            if installed != layer.package_version:
                raise UnknownLayerError(
                    f"{layer_arn} carries {layer.package} {layer.package_version}, but {installed} is installed"
                )
            return layer
    raise UnknownLayerError(f"{layer_arn} is not a layer the local cloud knows (see lambda_runtime.known_layers)")


def _public_layer_version(backend: LambdaBackend, layer_arn: str) -> LayerVersion:
    layer = check_layer(layer_arn)
    name = layer_arn.split(":")[6]
    empty_zip = io.BytesIO()
    zipfile.ZipFile(empty_zip, "w").close()
    version = LayerVersion(  # type: ignore[abstract]
        {"LayerName": name, "Content": {"ZipFile": base64.b64encode(empty_zip.getvalue()).decode()}},
        account_id=layer.account,
        region=layer_arn.split(":")[3],
    )
    version.version = layer.version
    version.description = f"provided locally by the installed {layer.package} {layer.package_version}"
    return version


def fingerprint(function: LambdaFunction) -> str:
    """What an execution environment is made from: a change to any of it needs a new one (as on AWS)."""
    return json.dumps(
        [function.code_sha_256, function.handler, function.timeout, function.environment_vars, function.layers],
        sort_keys=True,
        default=str,
    )


class ExecutionEnvironment:
    """One warm worker process for one function."""

    def __init__(self, function: LambdaFunction, settings: LocalCloudSettings) -> None:
        self.function = function
        self.settings = settings
        self.lock = threading.Lock()
        self.process: subprocess.Popen[str] | None = None
        self.fingerprint = fingerprint(function)

    def _unpacked(self, kind: str, sha_256: str, archive: bytes) -> Path:
        """``archive`` unpacked once under ``<state dir>/<kind>/``, whichever environment needs it first."""
        directory = self.settings.state_dir / kind / sha_256.replace("/", "_").replace("+", "-")
        with _unpacking:
            if not (directory / ".unpacked").exists():
                directory.mkdir(parents=True, exist_ok=True)
                zipfile.ZipFile(io.BytesIO(archive)).extractall(directory)
                (directory / ".unpacked").touch()
        return directory

    def _code_dir(self) -> Path:
        return self._unpacked("lambda", self.function.code_sha_256, self.function.code_bytes)

    def _layer_paths(self) -> list[str]:
        """The ``python/`` directory of each of the function's own layers, unpacked; known public layers add none."""
        paths: list[list[str]] = []
        backend = lambda_backends[self.function.account_id][self.function.region]
        for layer in self.function.layers:
            published = backend.layers_versions_by_arn(layer["Arn"])
            if published is None or not published.code_bytes:  # a public layer: the local cloud must know it
                check_layer(layer["Arn"])
                continue
            directory = self._unpacked("layers", published.code_sha_256, published.code_bytes)
            # Where Lambda's Python runtimes look in /opt: python/ and python/lib/python3.x/site-packages/.
            paths.append(
                [
                    str(directory / "python"),
                    *map(str, sorted((directory / "python").glob("lib/python3*/site-packages"))),
                ]
            )
        # Lambda unpacks the layers into /opt in order, a later layer's file replacing an earlier one's: so the
        # last layer's copy of a module is the one imported, and comes first here.
        return [path for layer_paths in reversed(paths) for path in layer_paths]

    def _environment(self) -> dict[str, str]:
        function = self.function
        layer_paths = self._layer_paths()
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            **{k: str(v) for k, v in (function.environment_vars or {}).items()},
            **self.settings.client_environment(),
            "_HANDLER": function.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time}",
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"localcloud/{uuid.uuid4().hex}",
            "LAMBDA_TASK_ROOT": str(self._code_dir()),
            "LOCALCLOUD_FUNCTION_ARN": function.function_arn,
            # No X-Ray daemon here: Powertools' tracer would only warn about a missing segment.
            "POWERTOOLS_TRACE_DISABLED": "true",
            "PYTHONUNBUFFERED": "1",
            **({"PYTHONPATH": os.pathsep.join(layer_paths)} if layer_paths else {}),
        }

    def _start(self) -> subprocess.Popen[str]:
        log_dir = self.settings.state_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log: IO[str] = (log_dir / f"{self.function.function_name}.log").open("a")
        return subprocess.Popen(
            [sys.executable, str(WORKER)],
            cwd=self._code_dir(),
            env=self._environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def invoke(self, event: Any) -> tuple[Any, bool]:
        """``(payload, errored)``: the handler's result, or an error payload as Lambda reports it."""
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.process = self._start()
            process = self.process
            assert process.stdin is not None and process.stdout is not None
            timeout = float(self.function.timeout)
            request = {"request_id": str(uuid.uuid4()), "deadline": time.time() + timeout, "event": event}
            try:
                process.stdin.write(json.dumps(request) + "\n")
                process.stdin.flush()
            except BrokenPipeError:
                self.stop()
                return {"errorType": "Runtime.ExitError", "errorMessage": "the runtime exited"}, True
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                ready = selector.select(timeout)
            if not ready:
                self.stop()
                return {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {timeout:.2f} seconds",
                }, True
            line = process.stdout.readline()
            if not line:
                self.stop()
                return {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": "the runtime exited during the invocation",
                }, True
            answer = json.loads(line)
            return answer["payload"], not answer["ok"]


def concurrency_limit(function: LambdaFunction, settings: LocalCloudSettings) -> int:
    """How many invocations of ``function`` may run at once here: its reserved concurrency, capped locally."""
    reserved = function.reserved_concurrency
    limit = settings.max_concurrency if reserved in (None, "") else min(int(reserved), settings.max_concurrency)
    return max(1, limit)


class FunctionEnvironments:
    """One function's execution environments: up to ``limit``, each running one invocation at a time."""

    def __init__(self, function: LambdaFunction, settings: LocalCloudSettings) -> None:
        self.function = function
        self.settings = settings
        self.fingerprint = fingerprint(function)
        self.limit = concurrency_limit(function, settings)
        self._every: list[ExecutionEnvironment] = []
        self._free: list[ExecutionEnvironment] = []
        self._changed = threading.Condition()
        self._stopped = False

    def invoke(self, event: Any) -> tuple[Any, bool]:
        environment = self._take()
        try:
            return environment.invoke(event)
        finally:
            self._give_back(environment)

    def _take(self) -> ExecutionEnvironment:
        with self._changed:
            while not self._free and len(self._every) >= self.limit:
                self._changed.wait()
            if self._free:
                environment = self._free.pop()
            else:
                environment = ExecutionEnvironment(self.function, self.settings)
                self._every.append(environment)
            return environment

    def _give_back(self, environment: ExecutionEnvironment) -> None:
        with self._changed:
            if self._stopped:
                environment.stop()
            else:
                self._free.append(environment)
            self._changed.notify()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            for environment in self._every:
                environment.stop()
            self._changed.notify_all()


class Runtime:
    """Execution environments by function ARN; a changed function (code or configuration) gets new ones."""

    def __init__(self, settings: LocalCloudSettings) -> None:
        self.settings = settings
        self._environments: dict[str, FunctionEnvironments] = {}
        self._lock = threading.Lock()

    def environment(self, function: LambdaFunction) -> FunctionEnvironments:
        with self._lock:
            current = self._environments.get(function.function_arn)
            changed = current is not None and (
                current.fingerprint != fingerprint(function)
                or current.function is not function
                or current.limit != concurrency_limit(function, self.settings)
            )
            if current is None or changed:
                if current:
                    current.stop()
                current = FunctionEnvironments(function, self.settings)
                self._environments[function.function_arn] = current
            return current

    def stop(self) -> None:
        with self._lock:
            for environment in self._environments.values():
                environment.stop()
            self._environments.clear()


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    runtime = Runtime(settings)
    stack.callback(runtime.stop)
    original_layer_lookup = LambdaBackend.layers_versions_by_arn

    def layers_versions_by_arn(self: LambdaBackend, layer_version_arn: str) -> LayerVersion | None:
        found = original_layer_lookup(self, layer_version_arn)
        if found is None and any(layer.matches(layer_version_arn) for layer in known_layers()):
            return _public_layer_version(self, layer_version_arn)
        return found

    def invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        if isinstance(event, str):
            event = json.loads(event) if event else {}
        payload, errored = runtime.environment(self).invoke(event if event is not None else {})
        return json.dumps(payload), errored, ""

    stack.enter_context(mock.patch.object(LambdaBackend, "layers_versions_by_arn", layers_versions_by_arn))
    stack.enter_context(mock.patch.object(LambdaFunction, "_invoke_lambda", invoke_lambda))
