"""Wheels built from this repository, installed in a fresh virtual environment where the checkout is not importable.

The wheels are installed by pip with no dependencies; their dependencies (aws-cdk-lib, boto3, typer, ...)
are borrowed from the development environment through a path entry. A path added by a ``.pth`` file
gets none of its own ``.pth`` files run, so the editable installs of this repository that live there
stay inactive: only what the wheels hold is importable from the repository's code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def build_wheel(source: Path, out: Path, *contents: str) -> Path:
    """The wheel of the distribution in ``source`` (no dependencies built), from a copy of ``contents``.

    Built from a copy (``pyproject.toml`` and ``contents``, default: every package beside it), so that
    setuptools' ``build/`` and ``*.egg-info`` never land in the checkout, where two tests building the
    same distribution at once would trip over each other.
    """
    copy = out / f"source-{source.name or 'root'}"
    names = contents or tuple(p.name for p in source.iterdir() if (p / "__init__.py").is_file())
    copy.mkdir()
    for name in ("pyproject.toml", *names):
        if (source / name).is_dir():
            shutil.copytree(source / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source / name, copy / name)
    before = set(out.glob("*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(copy)],
        check=True,
        capture_output=True,
    )
    (built,) = set(out.glob("*.whl")) - before
    return built


@dataclass(frozen=True)
class Environment:
    python: Path
    site: Path
    variables: dict[str, str]

    def run(self, *arguments: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), *arguments],
            cwd=cwd,
            env={**self.variables, **extra},
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )


def environment_with(wheels: list[Path], directory: Path) -> Environment:
    """A new virtual environment in ``directory`` holding ``wheels``, their dependencies borrowed."""
    venv = directory / "venv"
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
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), *map(str, wheels)],
        check=True,
        capture_output=True,
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    variables = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    variables["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    return Environment(python, site, variables)


def importable(environment: Environment, *modules: str, cwd: Path) -> dict[str, str | None]:
    """Where each of ``modules`` would be imported from in ``environment`` (None: not importable)."""
    script = (
        "import importlib.util as u, json, sys\n"
        "def origin(name):\n"
        "    try:\n"
        "        spec = u.find_spec(name)\n"
        "    except ModuleNotFoundError:\n"
        "        return None\n"
        "    return spec and spec.origin\n"
        "print(json.dumps({name: origin(name) for name in sys.argv[1:]}))\n"
    )
    completed = environment.run("-c", script, *modules, cwd=cwd)
    assert completed.returncode == 0, completed.stderr
    import json

    return dict(json.loads(completed.stdout))
