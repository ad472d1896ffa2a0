"""Customer-managed KMS keys the way this library makes them: rotated yearly, described."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct


def rotating_key(
    scope: Construct, construct_id: str, *, description: str, removal_policy: RemovalPolicy = RemovalPolicy.DESTROY
) -> kms.Key:
    """A customer-managed key with automatic rotation on.

    Example:
        >>> import aws_cdk as cdk
        >>> key = rotating_key(cdk.Stack(cdk.App(), "Example"), "Key", description="Encrypts things")
        >>> type(key).__name__
        'Key'
    """
    return kms.Key(
        scope, construct_id, description=description, enable_key_rotation=True, removal_policy=removal_policy
    )
