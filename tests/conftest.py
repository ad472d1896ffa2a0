"""Test-wide settings: no real AWS, no noise from jsii."""

from __future__ import annotations

import os

# Before anything imports boto3 or jsii.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "tests")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

from collections.abc import Iterator

import pytest

from tests.aws_calls import HANDLER_TESTS, CallRecorder, recording
from tests.cdk_app import SynthesizedApp, synthesize

#: Tests that judge what the whole session recorded (tests.aws_calls) run after every other test.
AFTER_THE_HANDLER_TESTS = "after_the_handler_tests"


@pytest.fixture(scope="session", autouse=True)
def aws_calls() -> Iterator[CallRecorder]:
    """The AWS calls every handler made during the session (see tests.aws_calls)."""
    with recording() as recorder:
        yield recorder


#: Tests that must share one process when pytest-xdist spreads the suite over workers: the handler tests
#: and the test that judges what they recorded (in that order); the end-to-end tests and their one cloud.
XDIST_GROUPS = {
    **dict.fromkeys(HANDLER_TESTS, "handlers"),
    "tests/app/test_least_privilege.py": "handlers",
    "tests/e2e/": "e2e",
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Under pytest-xdist (``make test``): a test module per unit of work, and each group above as one.

    (Not ``--dist loadgroup`` with ``xdist_group`` marks: with pytest 9.2 the marks no longer group,
    pytest-xdist issue 1386.)
    """
    from xdist.scheduler import LoadScopeScheduling

    class ByModuleAndGroup(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            group = next((group for prefix, group in XDIST_GROUPS.items() if path.startswith(prefix)), None)
            return f"group:{group}" if group else str(super()._split_scope(nodeid))

    return ByModuleAndGroup(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker(AFTER_THE_HANDLER_TESTS) is not None)


@pytest.fixture(scope="session")
def dev_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The dev stage, synthesized once per test session."""
    return synthesize("dev", tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def prod_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The prod stage, synthesized once per test session."""
    return synthesize("prod", tmp_path_factory.mktemp("cdk-prod"))


# Run as a program by tests/packaging/test_wheel.py, not imported by the doctest collector.
collect_ignore = ["packaging/consumer_app.py"]
