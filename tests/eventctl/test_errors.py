"""eventctl.errors: what the AWS SDK raises becomes one line saying what to do, with exit 2."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from eventctl.cli import app
from tests.eventctl.conftest import one_line_error


def test_no_credentials_is_one_clear_line(cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # As in a fresh process: no default boto3 session whose credentials an earlier test resolved.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    result = cli.invoke(app, ["dlq", "list"])
    assert result.exit_code == 2
    assert "no AWS credentials" in one_line_error(result)


def test_an_endpoint_that_does_not_answer_is_one_clear_line(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    result = cli.invoke(app, ["dlq", "list"])
    assert result.exit_code == 2
    assert "cannot reach http://127.0.0.1:9" in one_line_error(result)
