"""``python -m localcloud``: status and down, as make runs them, when no local cloud runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from localcloud.__main__ import app
from tests.localcloud.conftest import free_port


@pytest.fixture
def nothing_running(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    port = free_port()
    monkeypatch.setenv("LOCALCLOUD_PORT", str(port))
    monkeypatch.setenv("LOCALCLOUD_STATE_DIR", str(tmp_path))
    return port


def test_status_says_not_running_and_exits_1(nothing_running: int) -> None:
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 1
    assert result.stdout.strip() == f"local cloud at http://localhost:{nothing_running}: not running"


def test_down_says_nothing_was_running(nothing_running: int) -> None:
    result = CliRunner().invoke(app, ["down"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "no local cloud was running"
