"""Customer-managed KMS keys the way this library makes them: rotated yearly, described."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

from event_constructs.defaults import EVERY_CONSTRUCT


def rotating_key(
    scope: Construct,
    construct_id: str,
    *,
    description: str,
    removal_policy: RemovalPolicy = EVERY_CONSTRUCT.removal_policy,
) -> kms.Key:
    """A customer-managed key with automatic rotation on.

    Args:
        scope: where the key is made.
        construct_id: its id in ``scope``.
        description: what the key encrypts.
        removal_policy: what happens to the key when it leaves the stack. Default: RemovalPolicy.DESTROY.

    Example:
        >>> import aws_cdk as cdk
        >>> key = rotating_key(cdk.Stack(cdk.App(), "Example"), "Key", description="Encrypts things")
        >>> type(key).__name__
        'Key'
    """
    return kms.Key(
        scope, construct_id, description=description, enable_key_rotation=True, removal_policy=removal_policy
    )
