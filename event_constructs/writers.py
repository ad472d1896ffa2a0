"""Entry points that accept writes only from the principals that produce for them.

An IAM grant says who *may* write; it does not stop anyone else in the account whose own policy
allows ``sqs:SendMessage``, ``sns:Publish`` or ``events:PutEvents`` on ``*`` (an administrator's
role, a careless policy) from writing past the producer's validation. :class:`WritersOnly` adds to
a resource policy one explicit Deny of the write actions for every principal whose ARN
(``aws:PrincipalArn``) is not one of the writers, and for every AWS service request whose
``aws:SourceArn`` is not one of the allowed sources (SNS delivering from its topic, say). An explicit
Deny wins over any Allow, so the restriction holds whatever the principal's own policies say.

The writers are the roles granted through the construct's grant method (their ARNs are added as
the grants are made) and any ARN patterns given (``*`` and ``?`` as in ``StringLike``): operators who
redrive a DLQ (SQS sends as the principal that started the move) or republish by hand.

Example:
    >>> import aws_cdk as cdk
    >>> from aws_cdk import aws_iam as iam, aws_sqs as sqs
    >>> stack = cdk.Stack(cdk.App(), "Example")
    >>> queue = sqs.Queue(stack, "Work")
    >>> writers = WritersOnly(queue, queue.add_to_resource_policy, ["sqs:SendMessage"], [queue.queue_arn])
    >>> writers.allow("arn:aws:iam::111122223333:role/operator-*")
    >>> statement = stack.resolve(cdk.Stack.of(queue).resolve(queue.node.find_child("Policy").document))
    >>> statement["Statement"][0]["Condition"]["StringNotLike"]["aws:PrincipalArn"]
    ['arn:aws:iam::111122223333:role/operator-*']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jsii
from aws_cdk import Aws, IStableListProducer, Lazy, Stack, Token
from aws_cdk import aws_iam as iam
from constructs import Construct

SID = "AcceptWritesOnlyFromTheirProducers"


@jsii.implements(IStableListProducer)
class _Growing:
    """A list rendered at synth, as it stands then."""

    def __init__(self, items: list[str]) -> None:
        self._items = items

    def produce(self) -> list[str]:
        return list(self._items)


class WritersOnly:
    """One Deny statement on a resource policy, whose lists of writers and sources grow until synth."""

    def __init__(
        self,
        owner: Construct,
        add_to_resource_policy: Callable[[iam.PolicyStatement], Any],
        actions: Sequence[str],
        resources: Sequence[str],
        *,
        sources: Sequence[str] = (),
    ) -> None:
        self._owner = owner
        self._writers: list[str] = []
        self._sources: list[str] = list(sources)
        conditions: dict[str, Any] = {"StringNotLike": {"aws:PrincipalArn": Lazy.list(_Growing(self._writers))}}
        if self._sources:
            # A service request carries the resource it acts for; a role's request carries none, so for roles
            # this condition holds and only the writers list decides.
            conditions["ArnNotEquals"] = {"aws:SourceArn": Lazy.list(_Growing(self._sources))}
        add_to_resource_policy(
            iam.PolicyStatement(
                sid=SID,
                effect=iam.Effect.DENY,
                principals=[iam.StarPrincipal()],
                actions=list(actions),
                resources=list(resources),
                conditions=conditions,
            )
        )

    @property
    def writers(self) -> list[str]:
        return list(self._writers)

    def allow(self, *principal_arns: str) -> None:
        """Let these principals (ARNs, or patterns with ``*``) write, as far as their own policies allow."""
        for arn in principal_arns:
            if arn not in self._writers:
                self._writers.append(arn)

    def allow_grantee(self, grantee: iam.IGrantable) -> None:
        """Let the role behind ``grantee`` write (a function's execution role, say).

        A role in another stack is named by its ARN built from its literal ``role_name`` (a reference to the
        role itself would make the two stacks depend on each other).
        """
        role = grantee.grant_principal
        if not isinstance(role, iam.Role):
            raise ValueError(f"{role} is not a role of this app to name as a writer; name its ARN with allow()")
        if Stack.of(role) is Stack.of(self._owner):
            self.allow(role.role_arn)
            return
        name = getattr(role.node.default_child, "role_name", None)
        if name is None or Token.is_unresolved(name):
            raise ValueError(
                f"{role.node.path} is in another stack and has a generated name, so this policy cannot name it "
                "without a reference back to that stack; give the role a role_name, or name its ARN with allow()"
            )
        self.allow(f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/{name}")


def restrict(
    current: WritersOnly | None,
    owner: Construct,
    add_to_resource_policy: Callable[[iam.PolicyStatement], Any],
    actions: Sequence[str],
    resources: Sequence[str],
    *,
    grantees: Sequence[iam.IGrantable],
    principal_arns: Sequence[str],
    sources: Sequence[str] = (),
) -> WritersOnly:
    """The restriction of a construct's resource (made on the first call, with the grantees so far), with
    ``principal_arns`` allowed too: what each construct's ``accept_writes_only_from`` does."""
    if current is None:
        current = WritersOnly(owner, add_to_resource_policy, actions, resources, sources=sources)
        for grantee in grantees:
            current.allow_grantee(grantee)
    current.allow(*principal_arns)
    return current
