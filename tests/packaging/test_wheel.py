"""Build the event-constructs wheel, install it where this repository is not importable,
and synthesize a consumer app that uses every public construct."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.packaging.isolated import REPO, build_wheel, environment_with, importable

CONSUMER_APP = Path(__file__).resolve().parent / "consumer_app.py"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(REPO, tmp_path_factory.mktemp("wheel"), "README.md", "event_constructs")


@pytest.fixture(scope="module")
def runtime_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime half: its own distribution, so a Lambda function or a tool needs no aws-cdk-lib."""
    return build_wheel(REPO / "runtime", tmp_path_factory.mktemp("runtime-wheel"))


def test_the_runtime_wheel_holds_the_runtime_half_and_needs_no_cdk(runtime_wheel: Path) -> None:
    archive = zipfile.ZipFile(runtime_wheel)
    packages = {name.split("/")[0] for name in archive.namelist() if ".dist-info" not in name}
    assert packages == {"event_runtime", "event_routing"}
    assert {"event_runtime/py.typed", "event_routing/py.typed"} <= set(archive.namelist())
    metadata = archive.read(next(n for n in archive.namelist() if n.endswith("METADATA"))).decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert not [line for line in requires if "cdk" in line or "jsii" in line or "constructs" in line]


def test_the_wheel_holds_the_library_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names}
    assert {p for p in packages if not p.endswith(".dist-info")} == {"event_constructs"}
    assert "event_constructs/py.typed" in names
    metadata = next(n for n in names if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Dist: aws-cdk-lib<3,>=2.275.0" in text
    assert "Requires-Dist: constructs<11,>=10.8.1" in text
    assert "Requires-Dist: event-constructs-runtime==0.2.0" in text


def test_a_consumer_app_synthesizes_from_the_installed_wheel(wheel: Path, runtime_wheel: Path, tmp_path: Path) -> None:
    environment = environment_with([wheel, runtime_wheel], tmp_path)
    origins = importable(environment, "stacks", "orders_functions", "tests", cwd=tmp_path)
    assert origins == {"stacks": None, "orders_functions": None, "tests": None}

    result = environment.run(str(CONSUMER_APP), str(tmp_path / "cdk.out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["event_constructs"].startswith(str(environment.site))
    assert report["event_runtime"].startswith(str(environment.site))
    assert report["runtime_layer_holds"] == "python/event_runtime/batch.py"
    assert report["stacks"] == ["ConsumerApp"]
    assert report["resources"] > 40
    assert report["refused_problems"] == 2
