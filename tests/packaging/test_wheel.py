"""Build the event-constructs wheel, install it where this repository is not importable,
and synthesize a consumer app that uses every public construct."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONSUMER_APP = Path(__file__).resolve().parent / "consumer_app.py"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("event_constructs-*.whl")
    return built


def test_the_wheel_holds_the_library_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names}
    assert {p for p in packages if not p.endswith(".dist-info")} == {"event_constructs", "event_routing"}
    assert "event_constructs/py.typed" in names
    assert "event_routing/py.typed" in names
    metadata = next(n for n in names if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Dist: aws-cdk-lib<3,>=2.275.0" in text
    assert "Requires-Dist: constructs<11,>=10.8.1" in text


def test_a_consumer_app_synthesizes_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The wheel is installed into the new environment by pip. Its dependencies (aws-cdk-lib,
    # constructs) are borrowed from the development environment through a path entry: a
    # path added by a .pth file gets none of its own .pth files run, so the editable install of
    # this repository that lives there stays inactive.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"

    isolated = subprocess.run(
        [
            python,
            "-c",
            "import importlib.util as u; print(u.find_spec('stacks'), u.find_spec('orders_functions'))",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert isolated.stdout.split() == ["None", "None"]

    result = subprocess.run(
        [python, str(CONSUMER_APP), str(tmp_path / "cdk.out")],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["event_constructs"].startswith(str(site))
    assert report["stacks"] == ["ConsumerApp"]
    assert report["resources"] > 40
    assert report["refused_problems"] == 2
