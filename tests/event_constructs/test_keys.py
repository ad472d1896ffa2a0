"""event_constructs.keys: the library's customer-managed keys rotate yearly, say what they encrypt, and go with
the stack unless retained."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk.assertions import Template

from event_constructs.keys import rotating_key


def test_a_key_rotates_and_is_described() -> None:
    stack = cdk.Stack(cdk.App(), "Example")
    rotating_key(stack, "Key", description="Encrypts the order events")
    (key,) = Template.from_stack(stack).find_resources("AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["Description"] == "Encrypts the order events"
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Delete", "Delete")


def test_a_retained_key_stays_when_its_stack_goes() -> None:
    stack = cdk.Stack(cdk.App(), "Example")
    rotating_key(stack, "Key", description="Encrypts the ledger", removal_policy=cdk.RemovalPolicy.RETAIN)
    (key,) = Template.from_stack(stack).find_resources("AWS::KMS::Key").values()
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
