"""parliament (the IAM policy linter) on every identity policy of both stages: no finding, or one acknowledged.

parliament checks actions against IAM's service authorization reference: unknown actions, resource
ARNs of the wrong type for an action, conditions an action does not support, ``*`` where a resource
could be named. It found that ``events:StartReplay`` is authorised on the destination bus and the
replay as well as the archive (the replay function's role named only the archive). Its auditors are
written for identity policies; resource and key policies are judged by tests/app/test_resource_policies.py.
"""

from __future__ import annotations

import json

import pytest
from parliament import analyze_policy_string

from stacks.compliance import PARLIAMENT_ACKNOWLEDGEMENTS
from tests.cdk_app import SynthesizedApp
from tests.policies import Deployment


@pytest.fixture(params=["dev_app", "prod_app"])
def app(request: pytest.FixtureRequest) -> SynthesizedApp:
    synthesized: SynthesizedApp = request.getfixturevalue(request.param)
    return synthesized


def test_every_identity_policy_passes_parliament(app: SynthesizedApp) -> None:
    deployment = Deployment(app.templates)
    paths = {role.arn: f"{role.stack}/{role.logical_id}" for role in deployment.of_type("AWS::IAM::Role")}
    linted, findings = 0, []
    for role_arn, documents in deployment.identity_policies.items():
        for document in documents:
            linted += 1
            for finding in analyze_policy_string(json.dumps(document)).findings:
                if (paths[role_arn], finding.issue) not in PARLIAMENT_ACKNOWLEDGEMENTS:
                    findings.append(f"{paths[role_arn]}: {finding.issue} {json.dumps(finding.detail)}")
    assert linted >= len(paths)
    assert findings == [], "\n".join(findings)
