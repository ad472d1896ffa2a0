"""The runtime half imports where Lambda runs it: with no aws-cdk-lib, no jsii, no constructs."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCKED = ("aws_cdk", "jsii", "constructs", "cdk_nag", "cdk_monitoring_constructs", "event_constructs")


def test_every_module_imports_without_the_cdk_half_or_jsii() -> None:
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, pkgutil, sys

        BLOCKED = {BLOCKED!r}

        class Absent(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is not installed in this Lambda function")
                return None

        sys.meta_path.insert(0, Absent())
        import event_runtime
        names = [m.name for m in pkgutil.walk_packages(event_runtime.__path__, "event_runtime.")]
        for name in names:
            importlib.import_module(name)
        print(len(names), sorted({{m.split(".")[0] for m in sys.modules}} & set(BLOCKED)))
        """
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    count, blocked = completed.stdout.split(" ", 1)
    assert int(count) >= 8  # attempts, backoff, batch, dead_letter, environment, errors, failures, text
    assert blocked.strip() == "[]"
