"""cfn-lint on every synthesized template, both stages: no errors, no warnings."""

from __future__ import annotations

import pytest
from cfnlint.api import ManualArgs, lint_file

from tests.cdk_app import SynthesizedApp

REGIONS = ["us-east-1", "eu-west-1"]


@pytest.mark.parametrize("fixture", ["dev_app", "prod_app"])
def test_cfn_lint_finds_nothing(fixture: str, request: pytest.FixtureRequest) -> None:
    app: SynthesizedApp = request.getfixturevalue(fixture)
    findings = []
    for stack in app.orders.stacks:
        template = app.assembly_dir / stack.template_file
        findings += [f"{stack.node.id}: {match}" for match in lint_file(template, config=ManualArgs(regions=REGIONS))]
    assert findings == []
