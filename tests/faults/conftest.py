"""Print the fault matrix measured by this run's tests at the end of the session (no ``-s`` needed)."""

from __future__ import annotations

import io
from typing import Any

from tests.faults.matrix import table
from tests.faults.scenarios import RESULTS
from tests.orders_functions.conftest import aws  # noqa: F401  (the moto fixture, for tests here)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=220, force_terminal=bool(getattr(terminalreporter, "hasmarkup", False))).print(
        table(RESULTS)
    )
    terminalreporter.write_sep("=", "fault matrix (measured)")
    terminalreporter.write(buffer.getvalue())
