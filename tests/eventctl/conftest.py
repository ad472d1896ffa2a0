from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from eventctl import cli as eventctl_cli
from tests.orders_functions.conftest import aws  # noqa: F401  (moto, as for the handler tests)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    # Rich tables without folding, for readable assertions: the consoles were made when eventctl was
    # imported (by whichever test came first), so their width is set here, not only the environment's.
    monkeypatch.setenv("COLUMNS", "200")
    for console in (eventctl_cli.out, eventctl_cli.err):
        monkeypatch.setattr(console, "width", 200)
    yield CliRunner()
