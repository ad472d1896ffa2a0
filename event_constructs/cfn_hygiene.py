"""Small fixes to what CDK renders, so templates pass cfn-lint without warnings.

CDK makes a function (or a state machine, or the handler of a custom resource provider such as
``Custom::VpcRestrictDefaultSG``'s) depend on its role with ``DependsOn`` although its
``Role: Fn::GetAtt`` already orders them; cfn-lint reports that as W3005.
:func:`drop_implied_dependency` removes the role from ``DependsOn`` and keeps every other entry.

Example:
    >>> import aws_cdk as cdk
    >>> from aws_cdk import aws_lambda as lambda_, aws_sqs as sqs
    >>> stack = cdk.Stack(cdk.App(), "Example")
    >>> fn = lambda_.Function(stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_14,
    ...                       code=lambda_.Code.from_inline("x"), handler="index.handler")
    >>> _ = sqs.Queue(stack, "Queue").grant_send_messages(fn)
    >>> drop_implied_dependency(fn, fn.role)
    >>> from aws_cdk.assertions import Template
    >>> [r.get("DependsOn") for r in Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()]
    [['FnServiceRoleDefaultPolicyC6A839BF']]
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import CfnResource, IStableListProducer, Lazy, Stack
from constructs import IConstruct


@jsii.implements(IStableListProducer)
class _DependsOnWithout:
    def __init__(self, resource: CfnResource, implied: CfnResource) -> None:
        self._resource = resource
        self._implied = implied.node.path

    def produce(self) -> list[str] | None:
        stack = Stack.of(self._resource)
        kept = [
            stack.resolve(stack.get_logical_id(dependency))
            for dependency in self._resource.obtain_dependencies()
            if isinstance(dependency, CfnResource) and dependency.node.path != self._implied
        ]
        return sorted(kept) or None


def drop_implied_dependency(owner: IConstruct, implied_by_reference: Any) -> None:
    """Remove ``implied_by_reference`` (e.g. a role the resource names with GetAtt) from ``owner``'s DependsOn.

    Each is a construct with a CloudFormation resource as its default child, or that resource itself.
    """
    resource = _resource(owner)
    implied = _resource(implied_by_reference)
    if isinstance(resource, CfnResource) and isinstance(implied, CfnResource):
        resource.add_override("DependsOn", Lazy.list(_DependsOnWithout(resource, implied)))


def _resource(construct: Any) -> Any:
    if isinstance(construct, CfnResource):
        return construct
    node = getattr(construct, "node", None)
    return node.default_child if node is not None else None
