"""localcloud.deploy: after ``cdk deploy`` says it succeeded, every resource of every template must be in its stack.

The deploy itself (the cdk CLI into a running local cloud) is run by tests/e2e/conftest.py; here, against a moto
server in this process, the check that catches what moto's stack engine skips without a word.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from localcloud.deploy import DeployReport, cdk_environment, describe, missing_resources
from localcloud.settings import LocalCloudSettings

QUEUE = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "work"}}
TOPIC = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "events"}}
SUBSCRIPTION = {  # moto 5.2's stack engine skips it (localcloud.compat.cfn_sns_subscription adds it)
    "Type": "AWS::SNS::Subscription",
    "Properties": {"TopicArn": {"Ref": "Topic"}, "Protocol": "sqs", "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]}},
}


def assembly(cdk_out: Path, stacks: dict[str, dict[str, Any]]) -> Path:
    """A cloud assembly as ``cdk synth`` writes it: the manifest, and each stack's template."""
    cdk_out.mkdir()
    artifacts: dict[str, Any] = {"Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}
    for name, resources in stacks.items():
        (cdk_out / f"{name}.template.json").write_text(json.dumps({"Resources": resources}))
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "properties": {"templateFile": f"{name}.template.json", "stackName": f"orders-{name}"},
        }
    (cdk_out / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}))
    return cdk_out


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")  # the gap itself: moto skips the subscription
def test_what_a_stack_lacks_and_a_stack_that_is_not_there_are_named(cloud: LocalCloudSettings, tmp_path: Path) -> None:
    cdk_out = assembly(
        tmp_path / "cdk.out",
        {
            "whole": {"Queue": QUEUE},
            "partial": {"Queue": QUEUE, "Topic": TOPIC, "Subscription": SUBSCRIPTION},
            "absent": {"Queue": QUEUE},
        },
    )
    cloudformation = cloud.client("cloudformation")
    for name in ("whole", "partial"):
        template = json.loads((cdk_out / f"{name}.template.json").read_text())
        if name == "partial":
            template["Resources"]["Queue"]["Properties"]["QueueName"] = "other"
        cloudformation.create_stack(StackName=f"orders-{name}", TemplateBody=json.dumps(template))
    missing = missing_resources(cloud, cdk_out)
    assert set(missing) == {"orders-partial", "orders-absent"}
    assert missing["orders-partial"] == ["Subscription"]
    (absent,) = missing["orders-absent"]
    assert absent.startswith("the stack itself (")


def test_the_cdk_cli_runs_against_the_local_cloud_with_this_python_first() -> None:
    environment = cdk_environment(LocalCloudSettings(port=4612))
    assert environment["AWS_ENDPOINT_URL"] == "http://localhost:4612"
    assert environment["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert environment["CDK_DISABLE_VERSION_CHECK"] == "1"


def test_a_deploy_is_described_in_one_line() -> None:
    report = DeployReport({"orders-dev-processing": 80, "orders-dev-data": 12}, 3.14, 41.0)
    assert describe(report) == (
        "deployed orders-dev-data (12 resources), orders-dev-processing (80 resources); "
        "bootstrap 3.1 s, deploy after synth 41.0 s"
    )
