"""One Python Lambda execution environment: imports the handler once, then serves invocations.

Run as a script (``python lambda_worker.py``) by ``localcloud.compat.lambda_runtime``, with the
function's environment and its unpacked code as the working directory. Requests arrive as JSON
lines on stdin; answers leave as JSON lines on the original stdout. Everything the handler prints
goes to stderr, which the runtime appends to the function's log file. Standard library only.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class Context:
    """The parts of the Lambda context object handlers use."""

    def __init__(self, request_id: str, deadline: float) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ["LOCALCLOUD_FUNCTION_ARN"]
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _error(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorType": error_type or type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def main() -> None:
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # print() in a handler goes to the log, not into the protocol
    # One write per line: the function's environments append to one log file at the same time, and
    # print() unbuffered would write a line and its newline apart, interleaving with the others.
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True, write_through=False)  # type: ignore[union-attr]
    sys.path[0] = os.getcwd()
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    handler = None
    init_error: dict[str, Any] | None = None
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as error:
        init_error = _error(error, "Runtime.ImportModuleError")
        traceback.print_exc()
    for line in sys.stdin:
        request = json.loads(line)
        if handler is None:
            answer = {"ok": False, "payload": init_error}
        else:
            context = Context(request["request_id"], request["deadline"])
            try:
                answer = {"ok": True, "payload": handler(request["event"], context)}
            except Exception as error:
                traceback.print_exc()
                answer = {"ok": False, "payload": _error(error)}
        sys.stdout.flush()
        sys.stderr.flush()
        answers.write(json.dumps(answer, default=str) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
