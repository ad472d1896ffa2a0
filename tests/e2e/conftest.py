"""One local cloud per test session, deployed through the same path as ``make demo``; stopped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from localcloud import server
from localcloud.deploy import deploy, describe
from localcloud.settings import LocalCloudSettings
from tests.e2e.system import DeployedSystem

#: A port of its own, so a `make demo` cloud on the default port is left alone.
E2E_PORT = int(os.environ.get("E2E_LOCALCLOUD_PORT", "4610"))
#: Visibility timeouts x0.02: the handlers' 10 s ... 160 s backoff takes 0.2 s ... 3.2 s.
E2E_TIME_SCALE = 0.02


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloudSettings]:
    settings = LocalCloudSettings(port=E2E_PORT, time_scale=E2E_TIME_SCALE, state_dir=tmp_path_factory.mktemp("cloud"))
    if server.is_running(settings):
        pytest.fail(f"something already answers on {settings.endpoint}; set E2E_LOCALCLOUD_PORT to a free port")
    server.up(settings)
    try:
        report = deploy(settings)
        print(describe(report))
        yield settings
    finally:
        server.down(settings)


@pytest.fixture(scope="session")
def system(cloud: LocalCloudSettings) -> DeployedSystem:
    return DeployedSystem(cloud)
