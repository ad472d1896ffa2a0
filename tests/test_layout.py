"""The tests mirror the source tree (issue 18), and the README's Layout table names the tree as it is.

Every module of a source package is tested by the test module at the mirrored path:
``<package dir>/<path>/<module>.py`` by ``tests/<package>/<path>/test_<module>.py``, with the module's leading
and trailing underscores dropped (``compat/_cfn.py``: ``compat/test_cfn.py``; ``__init__.py``: ``test_init.py``;
``__main__.py``: ``test_main.py``). A module with no logic of its own (constants, a dataclass without methods,
re-exports, a handler that only wires its service to its clients) needs no test module: it is listed in
:data:`EXEMPT`, with the reason. Suites about more than one module (the whole app, the fault matrix, the
generated histories, packaging, end to end) live beside the mirrored ones: tests/app, tests/faults,
tests/properties, tests/packaging, tests/e2e.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cdk_app import REPO_ROOT

#: Source package directory -> the directory of its tests.
SOURCES = {
    "event_constructs": "tests/event_constructs",
    "runtime/event_runtime": "tests/event_runtime",
    "runtime/event_routing": "tests/event_routing",
    "lambdas/orders_functions": "tests/orders_functions",
    "localcloud": "tests/localcloud",
    "stacks": "tests/stacks",
    "tools/eventctl/eventctl": "tests/eventctl",
    "schemas": "tests/schemas",
}

#: Where the functions are.
FUNCTIONS = "lambdas/orders_functions"

#: The reason shared by each function's settings module.
SETTINGS = (
    "a settings dataclass of variable() fields and its SETTINGS tuple: event_runtime.settings reads it "
    "(tests/event_runtime/test_settings.py); tests/app/test_function_environments.py checks each environment"
)

#: Modules with no test module of their own: path -> why none is needed.
EXEMPT: dict[str, str] = {
    "event_constructs/__init__.py": "re-exports the constructs (its doctest is the package's example)",
    "runtime/event_runtime/__init__.py": "re-exports the runtime half's public names",
    "runtime/event_routing/__init__.py": "a package docstring only",
    f"{FUNCTIONS}/__init__.py": "a package docstring only",
    f"{FUNCTIONS}/analytics/__init__.py": "a package docstring only",
    f"{FUNCTIONS}/balance_updater/__init__.py": "a package docstring only",
    f"{FUNCTIONS}/common/__init__.py": "a package docstring only",
    f"{FUNCTIONS}/notification/__init__.py": "a package docstring only",
    f"{FUNCTIONS}/order_processor/__init__.py": "a package docstring only",
    f"{FUNCTIONS}/payment/__init__.py": "a package docstring only",
    f"{FUNCTIONS}/reconciliation/__init__.py": "a package docstring only",
    f"{FUNCTIONS}/replay/__init__.py": "a package docstring only",
    f"{FUNCTIONS}/workflow/__init__.py": "a package docstring only",
    f"{FUNCTIONS}/analytics/settings.py": SETTINGS,
    f"{FUNCTIONS}/balance_updater/settings.py": SETTINGS,
    f"{FUNCTIONS}/notification/settings.py": SETTINGS,
    f"{FUNCTIONS}/order_processor/settings.py": SETTINGS,
    f"{FUNCTIONS}/payment/settings.py": SETTINGS,
    f"{FUNCTIONS}/reconciliation/settings.py": SETTINGS,
    f"{FUNCTIONS}/replay/settings.py": SETTINGS,
    f"{FUNCTIONS}/workflow/settings.py": SETTINGS,
    f"{FUNCTIONS}/balance_updater/models.py": "a pydantic model without methods (limits: common/test_limits.py)",
    f"{FUNCTIONS}/analytics/handler.py": "wires DataLake to boto3: analytics/test_service.py runs through it",
    f"{FUNCTIONS}/payment/handler.py": "wires PaymentService to boto3: payment/test_service.py runs through it",
    "localcloud/__init__.py": "re-exports LocalCloudSettings",
    "localcloud/demo.py": "drives a deployed system (make demo): run end to end by tests/e2e/test_workload.py",
    "schemas/__init__.py": "empty: makes schemas a package",
    "tools/eventctl/eventctl/__init__.py": "a package docstring only",
}


def source_modules() -> list[str]:
    """Every module of the source packages, as a path from the repository's root."""
    return sorted(
        path.relative_to(REPO_ROOT).as_posix()
        for package in SOURCES
        for path in (REPO_ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def mirrored(module: str) -> str:
    """The test module of ``module`` (a path from the repository's root)."""
    package = next(package for package in SOURCES if module.startswith(f"{package}/"))
    inside = Path(module).relative_to(package)
    return (Path(SOURCES[package]) / inside.parent / f"test_{inside.stem.strip('_')}.py").as_posix()


def has_tests(test_module: str) -> bool:
    path = REPO_ROOT / test_module
    return path.is_file() and re.search(r"^\s*(async )?def test_", path.read_text(), re.MULTILINE) is not None


def test_every_module_with_logic_has_its_mirrored_test_module() -> None:
    missing = [
        f"{module}: no tests in {mirrored(module)} (write them, or list the module in EXEMPT with the reason)"
        for module in source_modules()
        if module not in EXEMPT and not has_tests(mirrored(module))
    ]
    assert missing == [], "\n".join(missing)


def test_every_exemption_is_a_module_without_a_test_module_and_says_why_in_one_line() -> None:
    modules = set(source_modules())
    problems = []
    for module, reason in EXEMPT.items():
        if module not in modules:
            problems.append(f"{module}: no such module (drop it from EXEMPT)")
        elif has_tests(mirrored(module)):
            problems.append(f"{module}: {mirrored(module)} tests it now (drop it from EXEMPT)")
        if not reason.strip() or "\n" in reason:
            problems.append(f"{module}: the reason must be one line")
    assert problems == [], "\n".join(problems)


def test_the_mirror_rule_names_the_test_modules_as_the_tree_has_them() -> None:
    assert mirrored("localcloud/compat/_cfn.py") == "tests/localcloud/compat/test_cfn.py"
    assert mirrored("lambdas/orders_functions/payment/service.py") == "tests/orders_functions/payment/test_service.py"
    assert mirrored("stacks/__init__.py") == "tests/stacks/test_init.py"
    assert mirrored("event_constructs/__main__.py") == "tests/event_constructs/test_main.py"


# --- The README's Layout table ---------------------------------------------------------------------------------


def layout_paths() -> list[str]:
    """The paths the first column of the README's "## Layout" table names."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [path for row in rows for path in re.findall(r"`([^`]+)`", row.split("|")[1])]


def tracked_top_level_directories() -> set[str]:
    if shutil.which("git") is None:
        pytest.fail("git is not installed: the tracked tree cannot be listed (the project is a git checkout)")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        pytest.fail(f"not a git checkout, so the tracked tree cannot be listed: {listed.stderr.strip()}")
    return {name.split("/", 1)[0] for name in listed.stdout.split("\0") if "/" in name and not name.startswith(".")}


def test_the_readmes_layout_table_names_every_top_level_directory_and_only_those() -> None:
    paths = layout_paths()
    assert paths, "README.md has no '## Layout' table"
    named = {path.split("/", 1)[0] for path in paths if "/" in path}
    tracked = tracked_top_level_directories()
    problems = [f"the table names {name}/, which git does not track" for name in sorted(named - tracked)]
    problems += [f"the table does not name {name}/" for name in sorted(tracked - named)]
    problems += [f"the table names {path}, which does not exist" for path in paths if not (REPO_ROOT / path).exists()]
    assert problems == [], "\n".join(problems)
