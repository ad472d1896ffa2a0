"""localcloud.settings: how the local cloud is reached and timed, read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.settings import ACCOUNT, REGION, LocalCloudSettings

VARIABLES = ("LOCALCLOUD_PORT", "LOCALCLOUD_TIME_SCALE", "LOCALCLOUD_MAX_CONCURRENCY", "LOCALCLOUD_STATE_DIR")


def test_without_variables_it_is_aws_timing_on_the_default_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = LocalCloudSettings.from_environment()
    assert (settings.port, settings.time_scale, settings.max_concurrency) == (4599, 1.0, 2)
    assert settings.state_dir == tmp_path / ".localcloud"  # resolved where it was started


def test_each_variable_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    values = {"LOCALCLOUD_PORT": "4610", "LOCALCLOUD_TIME_SCALE": "0.02", "LOCALCLOUD_MAX_CONCURRENCY": "4"}
    for name, value in {**values, "LOCALCLOUD_STATE_DIR": str(tmp_path / "state")}.items():
        monkeypatch.setenv(name, value)
    settings = LocalCloudSettings.from_environment()
    assert (settings.port, settings.time_scale, settings.max_concurrency) == (4610, 0.02, 4)
    assert settings.state_dir == tmp_path / "state"


def test_every_duration_is_scaled_by_the_one_clock() -> None:
    assert LocalCloudSettings(time_scale=0.02).scaled(300) == pytest.approx(6.0)
    assert LocalCloudSettings().scaled(300) == 300


def test_clients_and_the_cdk_cli_are_pointed_at_localhost_with_dummy_credentials() -> None:
    settings = LocalCloudSettings(port=4611)
    assert settings.endpoint == "http://localhost:4611"  # not 127.0.0.1: S3 template URLs must resolve
    environment = settings.client_environment()
    assert environment["AWS_ENDPOINT_URL"] == settings.endpoint
    assert (environment["CDK_DEFAULT_ACCOUNT"], environment["CDK_DEFAULT_REGION"]) == (ACCOUNT, REGION)
    assert environment["AWS_ACCESS_KEY_ID"] == environment["AWS_SECRET_ACCESS_KEY"] == "testing"
    client = settings.client("sqs")
    assert client.meta.endpoint_url == settings.endpoint
    assert client.meta.region_name == REGION
