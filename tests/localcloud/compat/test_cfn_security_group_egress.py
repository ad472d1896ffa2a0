"""localcloud.compat.cfn_security_group_egress: a security group's outbound rules from CloudFormation replace the
default all-traffic one, and a standalone AWS::EC2::SecurityGroupEgress is added to its group.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from localcloud.compat import _cfn, cfn_security_group_egress, installed
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")

HTTPS_OUT = {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Description": "HTTPS"}


def _resources() -> dict[str, Any]:
    return {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Workers": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "workers", "VpcId": {"Ref": "Vpc"}, "SecurityGroupEgress": [HTTPS_OUT]},
        },
        "Database": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "db", "VpcId": {"Ref": "Vpc"}},
        },
        "ToDatabase": {
            "Type": "AWS::EC2::SecurityGroupEgress",
            "Properties": {
                "GroupId": {"Fn::GetAtt": ["Workers", "GroupId"]},
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "DestinationSecurityGroupId": {"Fn::GetAtt": ["Database", "GroupId"]},
            },
        },
    }


def _egress(group_id: str) -> list[tuple[Any, ...]]:
    (group,) = boto3.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    return sorted(
        (
            rule["IpProtocol"],
            rule.get("FromPort"),
            rule.get("ToPort"),
            tuple(r["CidrIp"] for r in rule["IpRanges"]),
            tuple(p["GroupId"] for p in rule["UserIdGroupPairs"]),
        )
        for rule in group["IpPermissionsEgress"]
    )


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")  # the gap itself: moto skips the standalone rule
def test_moto_still_keeps_the_default_rule_and_skips_a_standalone_one() -> None:
    assert not _cfn.moto_supports("AWS::EC2::SecurityGroupEgress")
    ids = physical_ids(deploy_template(_resources()))
    assert _egress(ids["Workers"]) == [("-1", None, None, ("0.0.0.0/0",), ())]


def test_the_templates_outbound_rules_are_the_groups_only_ones() -> None:
    with installed(cfn_security_group_egress):
        ids = physical_ids(deploy_template(_resources()))
        egress = _egress(ids["Workers"])
    assert egress == [("tcp", 443, 443, ("0.0.0.0/0",), ()), ("tcp", 5432, 5432, (), (ids["Database"],))]
