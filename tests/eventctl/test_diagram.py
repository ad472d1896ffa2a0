"""eventctl diagram (eventctl.diagram): the architecture drawn from cdk.out, SVG and PNG, with no system Graphviz."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventctl.cli import app
from tests.cdk_app import SynthesizedApp


def test_diagram_draws_svg_and_png(
    dev_app: SynthesizedApp, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no system Graphviz, no venv on PATH: what a bare machine has
    result = cli.invoke(app, ["diagram", "--cdk-out", str(dev_app.assembly_dir), "--output", str(tmp_path / "arch")])
    assert result.exit_code == 0, result.stderr
    svg = html.unescape((tmp_path / "arch.svg").read_text())
    for name in ("order-events", "payment-processing", "high-value-order-flow", "all-order-events", "balance_updater"):
        assert name in svg
    assert (tmp_path / "arch.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
