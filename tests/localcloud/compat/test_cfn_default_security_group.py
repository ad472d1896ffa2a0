"""localcloud.compat.cfn_default_security_group: CDK's Custom::VpcRestrictDefaultSG leaves the VPC's default security
group without rules, as its (Node.js) provider function does on AWS.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto.cloudformation import parsing
from moto.cloudformation.custom_model import CustomModel

from localcloud.compat import cfn_default_security_group, installed
from localcloud.settings import ACCOUNT
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")

RESTRICT = {
    "Type": "Custom::VpcRestrictDefaultSG",
    "Properties": {
        # The provider function: never invoked here (AWS: CDK's Node.js handler).
        "ServiceToken": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:restrict-default-sg",
        "DefaultSecurityGroupId": {"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]},
        "Account": ACCOUNT,
    },
}
VPC = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}


def _default_group(stack: str) -> dict[str, Any]:
    (group,) = boto3.client("ec2").describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [physical_ids(stack)["Vpc"]]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    return group


def test_moto_still_gives_it_to_the_provider_function() -> None:
    assert parsing.resource_class_from_type("Custom::VpcRestrictDefaultSG") is CustomModel


def test_the_default_group_of_the_vpc_is_left_without_rules() -> None:
    with installed(cfn_default_security_group):
        stack = deploy_template({"Vpc": VPC, "Restrict": RESTRICT})
        group = _default_group(stack)
        assert physical_ids(stack)["Restrict"] == f"{group['GroupId']}-restricted"
    assert (group["IpPermissions"], group["IpPermissionsEgress"]) == ([], [])


def test_deleting_it_gives_the_default_group_its_rules_again() -> None:
    with installed(cfn_default_security_group):
        stack = deploy_template({"Vpc": VPC, "Restrict": RESTRICT})
        group_id = _default_group(stack)["GroupId"]
        resource = parsing.resource_class_from_type("Custom::VpcRestrictDefaultSG")(f"{group_id}-restricted", group_id)
        resource.delete(ACCOUNT, "us-east-1")
        group = _default_group(stack)
    assert [rule["IpRanges"] for rule in group["IpPermissionsEgress"]] == [[{"CidrIp": "0.0.0.0/0"}]]
    assert [pair["GroupId"] for rule in group["IpPermissions"] for pair in rule["UserIdGroupPairs"]] == [group_id]
