"""``Custom::VpcRestrictDefaultSG``: CDK's custom resource that strips a VPC's default security group of its rules.

CDK adds it to every ``ec2.Vpc`` with ``restrict_default_security_group`` (the default under the
``@aws-cdk/aws-ec2:restrictDefaultSecurityGroup`` flag, and what ``QueueWorkerService``'s VPC asks for),
backed by a Node.js function that revokes the default group's inbound rule (all traffic from the
group itself) and outbound rule (all traffic to 0.0.0.0/0). moto's stack engine hands it to that
function, which the local cloud cannot run (it runs Python functions only, and moto runs others in
Docker): the handler fails, no response ever comes, yet the stack lists the resource with a
physical id, and the default group keeps its outbound rule.

Here the stack engine itself does what the function does, through moto's EC2 backend: on create, the
two default rules are revoked (moto makes the default group without its inbound rule, so only the
outbound one is there to revoke); on delete they are authorized again, as the function does.
https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_ec2.Vpc.html (restrictDefaultSecurityGroup)
"""

from __future__ import annotations

import contextlib
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.cloudformation import parsing

from localcloud.compat._cfn import CompatResource
from localcloud.settings import LocalCloudSettings

GAP = (
    "moto's CloudFormation runs Custom::VpcRestrictDefaultSG through its Node.js provider function, which the local "
    "cloud cannot run: the VPC's default security group keeps its rules while the stack lists the resource"
)
RESOURCE_TYPE = "Custom::VpcRestrictDefaultSG"
#: The default group's rules, as the provider function revokes them (and authorizes them again on delete).
EVERYTHING = "-1"
ANYWHERE = [{"CidrIp": "0.0.0.0/0"}]


def _ec2(account_id: str, region_name: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region_name]


def _itself(group_id: str, account_id: str) -> list[dict[str, str]]:
    return [{"GroupId": group_id, "UserId": account_id}]


class RestrictDefaultSecurityGroup(CompatResource):
    cloudformation_type_name = RESOURCE_TYPE

    def __init__(self, physical_id: str, group_id: str) -> None:
        super().__init__(physical_id)
        self.group_id = group_id

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        from moto.ec2.exceptions import InvalidPermissionNotFoundError

        ec2, group_id = _ec2(account_id, region_name), properties["DefaultSecurityGroupId"]
        with contextlib.suppress(InvalidPermissionNotFoundError):  # moto makes the group without this rule
            ec2.revoke_security_group_ingress(
                group_id, EVERYTHING, None, None, [], source_groups=_itself(group_id, account_id)
            )
        with contextlib.suppress(InvalidPermissionNotFoundError):
            ec2.revoke_security_group_egress(group_id, EVERYTHING, None, None, ANYWHERE)
        return cls(f"{group_id}-restricted", group_id)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.ec2.exceptions import InvalidPermissionDuplicateError, InvalidSecurityGroupNotFoundError

        ec2 = _ec2(account_id, region_name)
        with contextlib.suppress(InvalidPermissionDuplicateError, InvalidSecurityGroupNotFoundError):
            ec2.authorize_security_group_ingress(
                self.group_id, EVERYTHING, None, None, [], source_groups=_itself(self.group_id, account_id)
            )
        with contextlib.suppress(InvalidPermissionDuplicateError, InvalidSecurityGroupNotFoundError):
            ec2.authorize_security_group_egress(self.group_id, EVERYTHING, None, None, ANYWHERE)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    # moto gives every Custom:: type to its Lambda-backed model before looking at its model map, so the type is
    # claimed where moto picks the class.
    original = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type == RESOURCE_TYPE:
            return RestrictDefaultSecurityGroup
        return original(resource_type)

    stack.enter_context(mock.patch.object(parsing, "resource_class_from_type", resource_class_from_type))
