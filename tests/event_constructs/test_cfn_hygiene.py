"""event_constructs.cfn_hygiene: a resource stops depending on what it already references (cfn-lint W3005),
and keeps every other dependency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from event_constructs.cfn_hygiene import drop_implied_dependency


def built(change: Callable[[cdk.Stack, lambda_.Function], None], *, with_policy: bool = True) -> tuple[Any, str]:
    """The function's DependsOn after ``change``, and its role's logical id."""
    stack = cdk.Stack(cdk.App(), "Example")
    fn = lambda_.Function(
        stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_14, code=lambda_.Code.from_inline("x"), handler="i.h"
    )
    if with_policy:
        sqs.Queue(stack, "Queue").grant_send_messages(fn)  # a default policy the function must wait for
        fn.node.add_dependency(sqs.Queue(stack, "Other"))
    change(stack, fn)
    assert fn.role is not None
    role = stack.get_logical_id(fn.role.node.default_child)  # type: ignore[arg-type]
    (rendered,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    return rendered.get("DependsOn"), role


def test_the_role_is_dropped_and_every_other_dependency_kept() -> None:
    untouched, role = built(lambda stack, fn: None)
    assert role in untouched
    kept, _ = built(lambda stack, fn: drop_implied_dependency(fn, fn.role))
    assert kept == sorted(set(untouched) - {role})
    assert len(kept) == 2  # the role's default policy and the other queue


def test_nothing_left_means_no_depends_on_at_all() -> None:
    kept, _ = built(lambda stack, fn: drop_implied_dependency(fn, fn.role), with_policy=False)
    assert kept is None


def test_what_is_no_resource_of_this_template_changes_nothing() -> None:
    untouched, _ = built(lambda stack, fn: None)

    def imported(stack: cdk.Stack, fn: lambda_.Function) -> None:
        drop_implied_dependency(fn, iam.Role.from_role_arn(stack, "Imported", "arn:aws:iam::111122223333:role/x"))
        drop_implied_dependency(fn, "not a construct")

    kept, _ = built(imported)
    assert kept == untouched


def test_resources_themselves_can_be_named() -> None:
    untouched, role = built(lambda stack, fn: None)
    kept, _ = built(
        lambda stack, fn: drop_implied_dependency(fn.node.default_child, fn.role.node.default_child)  # type: ignore[union-attr]
    )
    assert kept == sorted(set(untouched) - {role})
