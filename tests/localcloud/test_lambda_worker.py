"""localcloud.lambda_worker: one execution environment, talking JSON lines, as localcloud.compat.lambda_runtime
runs it (tests/localcloud/compat/test_lambda_runtime.py runs it through moto's Lambda API)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from localcloud.compat.lambda_runtime import WORKER

CODE = """
import os
calls = []
def handler(event, context):
    print("a line for the log")
    if event.get("fail"):
        raise ValueError("asked to fail")
    calls.append(event)
    return {"event": event, "calls": len(calls), "function": context.function_name,
            "remaining_ms": context.get_remaining_time_in_millis(), "greeting": os.environ["GREETING"]}
"""


def run(tmp_path: Path, requests: list[dict[str, Any]], handler: str = "app.handler") -> tuple[list[dict], str]:
    (tmp_path / "app.py").write_text(CODE)
    environment = {
        **os.environ,
        "_HANDLER": handler,
        "AWS_LAMBDA_FUNCTION_NAME": "f",
        "LOCALCLOUD_FUNCTION_ARN": "arn:aws:lambda:us-east-1:123456789012:function:f",
        "GREETING": "hello",
    }
    lines = "".join(json.dumps(request) + "\n" for request in requests)
    done = subprocess.run(
        [sys.executable, str(WORKER)],
        input=lines,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=30,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def request(event: dict[str, Any], seconds_left: float = 5) -> dict[str, Any]:
    return {"request_id": "r-1", "deadline": time.time() + seconds_left, "event": event}


def test_the_handler_is_imported_once_and_serves_every_request_in_turn(tmp_path: Path) -> None:
    answers, log = run(tmp_path, [request({"n": 1}), request({"n": 2})])
    assert [answer["ok"] for answer in answers] == [True, True]
    first, second = (answer["payload"] for answer in answers)
    assert (first["event"], first["calls"], second["calls"]) == ({"n": 1}, 1, 2)  # warm: the module stayed
    assert (first["function"], first["greeting"]) == ("f", "hello")
    assert 0 < first["remaining_ms"] <= 5000
    assert log.count("a line for the log") == 2  # printed to the log, never into the answers


def test_a_failing_invocation_is_answered_with_the_error_and_the_next_one_still_served(tmp_path: Path) -> None:
    answers, log = run(tmp_path, [request({"fail": True}), request({"n": 3})])
    failed, served = answers
    assert failed["ok"] is False
    assert (failed["payload"]["errorType"], failed["payload"]["errorMessage"]) == ("ValueError", "asked to fail")
    assert served["ok"] is True
    assert "ValueError: asked to fail" in log


def test_a_handler_that_cannot_be_imported_fails_every_invocation_as_lambda_says(tmp_path: Path) -> None:
    answers, _ = run(tmp_path, [request({}), request({})], handler="missing_module.handler")
    assert [answer["payload"]["errorType"] for answer in answers] == ["Runtime.ImportModuleError"] * 2
