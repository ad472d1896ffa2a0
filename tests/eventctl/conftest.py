from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from tests.lambdas.conftest import aws  # noqa: F401  (moto, as for the handler tests)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("COLUMNS", "200")  # rich tables without folding, for readable assertions
    yield CliRunner()
