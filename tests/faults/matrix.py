"""Print the fault matrix, measured: ``python -m tests.faults.matrix``.

Every cell is the outcome measured by running the scenario now (see ``scenarios.run_scenario``),
not the expectation; a cell that differs from ``scenarios.EXPECTED`` is shown in red, and the
command exits non-zero. ``pytest tests/faults`` prints the same table, from the runs of its tests.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

    from tests.faults.scenarios import ScenarioResult


def table(results: Sequence[ScenarioResult]) -> Table:
    from rich.table import Table

    from tests.faults.scenarios import EXPECTED, FAULTS

    by_cell = {(r.consumer, r.fault): r for r in results}
    consumers = list(dict.fromkeys(r.consumer for r in results))
    faults = [f for f in FAULTS if any(r.fault == f for r in results)]
    grid = Table(title="Fault matrix (measured at handler level)", show_lines=True)
    grid.add_column("consumer", style="bold")
    for fault in faults:
        grid.add_column(fault, overflow="fold")
    for consumer in consumers:
        cells = []
        for fault in faults:
            result = by_cell.get((consumer, fault))
            if result is None:
                cells.append("-")
                continue
            ok = (
                result.verdict == EXPECTED[consumer][fault]
                and "BYSTANDERS" not in result.cell()
                and not result.left_on_queue
            )
            cells.append(f"[{'green' if ok else 'red'}]{result.cell()}[/]")
        grid.add_row(consumer, *cells)
    return grid


def mismatches(results: Sequence[ScenarioResult]) -> list[str]:
    from tests.faults.scenarios import EXPECTED

    return [
        f"{r.consumer} x {r.fault}: measured {r.verdict!r}, expected {EXPECTED[r.consumer][r.fault]!r}"
        for r in results
        if r.verdict != EXPECTED[r.consumer][r.fault]
    ]


def main() -> int:
    # What tests/conftest.py sets for pytest: no real AWS, quiet handler logs, handlers importable.
    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        POWERTOOLS_SERVICE_NAME="fault-matrix",
        POWERTOOLS_LOG_LEVEL="CRITICAL",
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)

    from rich.console import Console

    from tests.faults.scenarios import CONSUMERS, FAULTS, run_scenario

    console = Console(width=int(os.environ.get("COLUMNS", "220")))
    results = [run_scenario(consumer, fault) for consumer in CONSUMERS for fault in FAULTS]
    console.print(table(results))
    wrong = mismatches(results)
    for line in wrong:
        console.print(f"[red]{line}[/]")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
