"""The outputs the tools read (orders_functions.common.outputs): each declared once, by its stack, without an export."""

from __future__ import annotations

from orders_functions.common.outputs import APP_NAME, APP_TAG, STAGE_TAG, StackOutput
from tests.cdk_app import SynthesizedApp


def test_every_output_a_tool_reads_is_declared_once_and_exported_by_no_stack(dev_app: SynthesizedApp) -> None:
    declared = [
        (key, stack, output)
        for stack, template in dev_app.templates.items()
        for key, output in template.get("Outputs", {}).items()
        if key in set(StackOutput)
    ]
    assert sorted(key for key, _, _ in declared) == sorted(StackOutput)
    assert [key for key, _, output in declared if "Export" in output] == []
    owners = {key: stack for key, stack, _ in declared}
    assert owners[StackOutput.ORDERS_TABLE] == owners[StackOutput.DATA_LAKE_BUCKET] == "OrdersData"
    assert owners[StackOutput.HIGH_VALUE_ORDER_FLOW] == "OrdersOrchestration"
    assert owners[StackOutput.ORDER_QUEUE] == "OrdersProcessing"


def test_each_stack_is_tagged_with_the_app_and_its_stage(dev_app: SynthesizedApp) -> None:
    for stack in dev_app.orders.stacks:
        assert stack.tags.tag_values() == {APP_TAG: APP_NAME, STAGE_TAG: "dev"}, stack.node.id
