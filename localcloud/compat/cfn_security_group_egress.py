"""Outbound security group rules from CloudFormation: moto's stack engine ignores them.

On AWS, a group whose template names outbound rules has those rules and not the default "all traffic
to 0.0.0.0/0" one ("When you specify a VPC security group, Amazon EC2 creates a default egress rule
that allows egress traffic on all ports and IP protocols to any location. The default rule is removed
only when you specify one or more egress rules"):
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html
moto creates the group with the default rule and drops the template's, so a group that may only reach
HTTPS (a ``QueueWorkerService``'s tasks) reads as open to everything. Nor does it create an
``AWS::EC2::SecurityGroupEgress`` (what CDK makes of ``connections.allow_to(other, port)``). Here the
template's outbound rules replace the default one, as on AWS, and a standalone rule is added to its group:
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroupegress.html
"""

from __future__ import annotations

import contextlib
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.ec2.models.security_groups import SecurityGroup

from localcloud.compat._cfn import CompatResource, register
from localcloud.settings import LocalCloudSettings

GAP = (
    "moto's CloudFormation ignores an AWS::EC2::SecurityGroup's SecurityGroupEgress (keeping the default "
    "all-traffic outbound rule) and skips AWS::EC2::SecurityGroupEgress"
)
RESOURCE_TYPE = "AWS::EC2::SecurityGroupEgress"
#: The outbound rule EC2 gives a new VPC security group (all protocols to anywhere), which named rules replace.
EVERYTHING = "-1"
ANYWHERE = [{"CidrIp": "0.0.0.0/0"}]


def _ip_ranges(rule: dict[str, Any]) -> list[dict[str, str]]:
    description = {"Description": rule["Description"]} if "Description" in rule else {}
    return [{key: rule[key], **description} for key in ("CidrIp", "CidrIpv6") if key in rule]


def _authorize(ec2: Any, group_id: str, rule: dict[str, Any]) -> None:
    destination = rule.get("DestinationSecurityGroupId")
    prefix_list = rule.get("DestinationPrefixListId")
    ec2.authorize_security_group_egress(
        group_id,
        str(rule["IpProtocol"]),
        None if rule.get("FromPort") is None else str(rule["FromPort"]),
        None if rule.get("ToPort") is None else str(rule["ToPort"]),
        _ip_ranges(rule),
        source_groups=[{"GroupId": destination}] if destination else None,
        prefix_list_ids=[{"PrefixListId": prefix_list}] if prefix_list else None,
    )


class SecurityGroupEgress(CompatResource):
    cloudformation_type_name = RESOURCE_TYPE

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        from moto.ec2.models import ec2_backends

        _authorize(ec2_backends[account_id][region_name], properties["GroupId"], properties)
        return cls(f"{properties['GroupId']}-egress-{name}")


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    original = SecurityGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(
        cls: type[SecurityGroup],
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SecurityGroup:
        from moto.ec2.exceptions import InvalidPermissionNotFoundError
        from moto.ec2.models import ec2_backends

        group: SecurityGroup = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        rules = cloudformation_json.get("Properties", {}).get("SecurityGroupEgress") or []
        if not rules:
            return group
        ec2: Any = ec2_backends[account_id][region_name]  # moto types ports as str; EC2 takes None for "all"
        with contextlib.suppress(InvalidPermissionNotFoundError):
            ec2.revoke_security_group_egress(group.id, EVERYTHING, None, None, ANYWHERE)
        for rule in rules:
            _authorize(ec2, group.id, rule)
        return group

    stack.enter_context(
        mock.patch.object(
            SecurityGroup, "create_from_cloudformation_json", classmethod(create_from_cloudformation_json)
        )
    )
    register(stack, SecurityGroupEgress)
