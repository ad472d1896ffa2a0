"""event_constructs.writers: one explicit Deny of the write actions for every principal that is not a writer,
and for every service request from another source; writers added as grants are made."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs

from event_constructs.writers import SID, WritersOnly, restrict

OPERATOR = "arn:aws:iam::111122223333:role/operator-*"


def queue(stack: cdk.Stack) -> sqs.Queue:
    return sqs.Queue(stack, "Work")


def deny(q: sqs.Queue) -> dict[str, Any]:
    """The queue policy's statement of WritersOnly, resolved."""
    stack = cdk.Stack.of(q)
    document = stack.resolve(q.node.find_child("Policy").document)  # type: ignore[attr-defined]
    (statement,) = [s for s in document["Statement"] if s.get("Sid") == SID]
    return statement


def role(scope: cdk.Stack, name: str, role_name: str | None = None) -> iam.Role:
    return iam.Role(scope, name, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), role_name=role_name)


def test_everyone_but_the_writers_is_denied_the_write_actions() -> None:
    stack = cdk.Stack(cdk.App(), "Example")
    q = queue(stack)
    writers = WritersOnly(q, q.add_to_resource_policy, ["sqs:SendMessage"], [q.queue_arn])
    writers.allow(OPERATOR)
    writers.allow(OPERATOR)  # once is enough
    statement = deny(q)
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == ("Deny", "*", "sqs:SendMessage")
    assert statement["Condition"] == {"StringNotLike": {"aws:PrincipalArn": [OPERATOR]}}
    assert writers.writers == [OPERATOR]


def test_a_service_is_denied_unless_it_acts_for_an_allowed_source() -> None:
    stack = cdk.Stack(cdk.App(), "Example")
    q = queue(stack)
    topic_arn = "arn:aws:sns:us-east-1:111122223333:order-events"
    WritersOnly(q, q.add_to_resource_policy, ["sqs:SendMessage"], [q.queue_arn], sources=[topic_arn])
    assert deny(q)["Condition"]["ArnNotEquals"] == {"aws:SourceArn": [topic_arn]}


def test_a_role_of_the_same_stack_is_named_by_its_arn() -> None:
    stack = cdk.Stack(cdk.App(), "Example")
    q, producer = queue(stack), role(stack, "Producer")
    writers = WritersOnly(q, q.add_to_resource_policy, ["sqs:SendMessage"], [q.queue_arn])
    writers.allow_grantee(producer)
    (arn,) = deny(q)["Condition"]["StringNotLike"]["aws:PrincipalArn"]
    assert arn == {"Fn::GetAtt": [stack.get_logical_id(producer.node.default_child), "Arn"]}  # type: ignore[arg-type]


def test_a_named_role_of_another_stack_is_named_without_a_reference_to_that_stack() -> None:
    app = cdk.App()
    stack, other = cdk.Stack(app, "Queues"), cdk.Stack(app, "Functions")
    q = queue(stack)
    writers = WritersOnly(q, q.add_to_resource_policy, ["sqs:SendMessage"], [q.queue_arn])
    writers.allow_grantee(role(other, "Producer", role_name="order-producer"))
    (arn,) = deny(q)["Condition"]["StringNotLike"]["aws:PrincipalArn"]
    assert arn == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":role/order-producer"],
        ]
    }
    assert not stack.dependencies


def test_what_cannot_be_named_without_a_reference_is_refused_saying_how_to_name_it() -> None:
    app = cdk.App()
    stack, other = cdk.Stack(app, "Queues"), cdk.Stack(app, "Functions")
    q = queue(stack)
    writers = WritersOnly(q, q.add_to_resource_policy, ["sqs:SendMessage"], [q.queue_arn])
    with pytest.raises(ValueError, match=r"has a generated name.*give the role a role_name"):
        writers.allow_grantee(role(other, "Unnamed"))
    with pytest.raises(ValueError, match="is not a role of this app to name as a writer"):
        writers.allow_grantee(iam.AccountRootPrincipal())


def test_restrict_makes_the_restriction_once_with_the_grantees_so_far_then_adds_to_it() -> None:
    stack = cdk.Stack(cdk.App(), "Example")
    q = queue(stack)
    fn = lambda_.Function(
        stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_14, code=lambda_.Code.from_inline("x"), handler="i.h"
    )

    def made(current: WritersOnly | None, arns: list[str]) -> WritersOnly:
        return restrict(
            current, q, q.add_to_resource_policy, ["sqs:SendMessage"], [q.queue_arn], grantees=[fn], principal_arns=arns
        )

    first = made(None, [OPERATOR])
    again = made(first, ["arn:aws:iam::111122223333:role/redrive"])
    assert again is first
    assert len(first.writers) == 3  # the function's role, the operator, the redrive role
    assert first.writers[1:] == [OPERATOR, "arn:aws:iam::111122223333:role/redrive"]
    assert len(deny(q)["Condition"]["StringNotLike"]["aws:PrincipalArn"]) == 3
