"""cdk-nag (AwsSolutions + Serverless) on every stack, and the acknowledgements it takes."""

from __future__ import annotations

import contextlib

import aws_cdk as cdk
import pytest

from stacks.compliance import acknowledgements, acknowledgements_markdown
from tests.cdk_app import REPO_ROOT, SynthesizedApp


@pytest.mark.parametrize("stage", ["dev_app", "prod_app"])
def test_no_unacknowledged_findings(stage: str, request: pytest.FixtureRequest) -> None:
    app: SynthesizedApp = request.getfixturevalue(stage)
    assert app.findings == []


def physical_names(app: SynthesizedApp) -> set[str]:
    names = set()
    for template in app.templates.values():
        for resource in template["Resources"].values():
            for key in ("QueueName", "TopicName", "StateMachineName", "Name", "ArchiveName"):
                if isinstance(resource["Properties"].get(key), str):
                    names.add(resource["Properties"][key])
    return names


#: Acknowledgements CDK itself makes, stack-wide, with its own reason: a VPC over the stack's availability
#: zones (the workers' network) names them in the template, and CDK says so for cfn-lint.
CDK_OWN = {
    (
        "W3010",
        "Literal AZs in template are the result of accessing stack.availabilityZones, this is expected and safe",
    )
}


def test_every_acknowledgement_names_its_resource_and_is_not_stack_wide(dev_app: SynthesizedApp) -> None:
    found = acknowledgements(dev_app.app)
    assert found, "expected the acknowledgements made by the constructs"
    stacks = {dev_app.orders.data.node.path, dev_app.orders.processing.node.path}
    names = physical_names(dev_app)
    for path, rule_id, reason in found:
        if (rule_id, reason) in CDK_OWN:
            continue
        assert path not in stacks, f"{rule_id} acknowledged stack-wide at {path}"
        assert len(reason) > 60, f"{rule_id} at {path}: reason too thin: {reason!r}"
        assert "${Token[" not in reason, f"{rule_id} at {path}: the reason shows an unresolved token"
        construct_ids = path.split("/")[1:]
        assert any(name in reason for name in [*names, *construct_ids]), (
            f"{rule_id} at {path}: the reason should say which resource it is about: {reason!r}"
        )


def test_a_finding_is_reported(tmp_path) -> None:
    """The check above could fail: a queue without a DLQ or TLS is caught by the same pipeline."""
    from aws_cdk import aws_sqs as sqs

    from stacks.compliance import add_rule_packs, findings

    app = cdk.App(outdir=str(tmp_path))
    sqs.Queue(cdk.Stack(app, "Bare"), "Queue")
    add_rule_packs(app)
    with contextlib.suppress(RuntimeError):  # the finding may abort synth; the report is written first
        app.synth()
    rules = {f["rule"] for f in findings(tmp_path)}
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4", "Serverless-SQSRedrivePolicy"} <= rules


def test_the_acknowledgements_document_lists_every_one(dev_app: SynthesizedApp) -> None:
    document = (REPO_ROOT / "docs" / "acknowledgements.md").read_text()
    assert document == acknowledgements_markdown(dev_app.app), "run: python -m stacks.compliance"
