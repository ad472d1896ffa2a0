"""The outputs the orders stacks declare for their tools, under the keys orders_functions.common.outputs gives."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnOutput, Stack

from orders_functions.common.outputs import StackOutput


def declare_outputs(stack: Stack, values: Mapping[StackOutput, str]) -> None:
    """An output per key, its logical id the key itself (stable), with no export: no stack imports it."""
    for key, value in values.items():
        CfnOutput(stack, key.value, value=value, description=key.description)
