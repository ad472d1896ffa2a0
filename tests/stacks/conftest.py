from __future__ import annotations

import pytest

from tests.cdk_app import SynthesizedApp, synthesize


@pytest.fixture(scope="session")
def dev_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The dev stage, synthesized once per test session."""
    return synthesize("dev", tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def prod_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The prod stage, synthesized once per test session."""
    return synthesize("prod", tmp_path_factory.mktemp("cdk-prod"))
