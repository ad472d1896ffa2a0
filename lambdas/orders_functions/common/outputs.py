"""How the tools find the deployed orders app: its stacks' tags and outputs.

The stacks tag themselves ``app=orders`` and ``stage=<stage>``, and declare an output for each
resource a tool reaches (:class:`StackOutput`: stable keys, no exports, since no stack imports them).
A tool (the local cloud's demo, the benchmarks, the end-to-end tests) reads them with
:func:`read_outputs` instead of guessing a name from a logical id:

    >>> import boto3, json
    >>> from moto import mock_aws
    >>> template = {"Resources": {"Orders": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "o"}}},
    ...             "Outputs": {StackOutput.ORDER_QUEUE: {"Value": {"Ref": "Orders"}}}}
    >>> with mock_aws():
    ...     cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    ...     tags = [{"Key": APP_TAG, "Value": APP_NAME}, {"Key": STAGE_TAG, "Value": "dev"}]
    ...     body = json.dumps(template)
    ...     _ = cloudformation.create_stack(StackName="orders-dev-processing", TemplateBody=body, Tags=tags)
    ...     outputs = read_outputs(cloudformation)
    >>> outputs[StackOutput.ORDER_QUEUE]
    'https://sqs.us-east-1.amazonaws.com/123456789012/o'
    >>> outputs[StackOutput.ORDERS_TABLE]  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    orders_functions.common.outputs.OutputsNotFoundError: no stack of ... has the output OrdersTableName: ...

Standard library and a CloudFormation client only: eventctl and the local cloud import it without the CDK.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

APP_NAME = "orders"
#: The stack tags that say which app and which stage a stack belongs to.
APP_TAG = "app"
STAGE_TAG = "stage"


class StackOutput(StrEnum):
    """The key of each output a tool reads, and what its value is."""

    ORDERS_TABLE = "OrdersTableName"
    BALANCES_TABLE = "BalancesTableName"
    PAYMENTS_TABLE = "PaymentsTableName"
    NOTIFICATIONS_TABLE = "NotificationsTableName"
    WORKFLOW_TABLE = "WorkflowTableName"
    DATA_LAKE_BUCKET = "DataLakeBucketName"
    HIGH_VALUE_ORDER_FLOW = "HighValueOrderFlowArn"
    ORDER_QUEUE = "OrderQueueUrl"
    RECONCILIATION_QUEUE = "ReconciliationQueueUrl"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    StackOutput.ORDERS_TABLE: "The orders table's name: one item per order, every fact received about it",
    StackOutput.BALANCES_TABLE: "The account balances table's name: each account's balance and its ledger",
    StackOutput.PAYMENTS_TABLE: "The payments table's name: one item per order's payment",
    StackOutput.NOTIFICATIONS_TABLE: "The notifications table's name: one item per notification sent",
    StackOutput.WORKFLOW_TABLE: "The high-value order flow's table name: its state per order",
    StackOutput.DATA_LAKE_BUCKET: "The data lake bucket's name: each order event once, under events/",
    StackOutput.HIGH_VALUE_ORDER_FLOW: "The high-value order flow's state machine ARN",
    StackOutput.ORDER_QUEUE: "The URL of order-processing, the queue orders enter by",
    StackOutput.RECONCILIATION_QUEUE: "The URL of balance-reconciliation: ask for a check of one account or all",
}


class OutputsNotFoundError(LookupError):
    """An output the tool needs is not there, or two deployments of the app declare it (name the stage)."""


class Outputs(dict[StackOutput, str]):
    """The outputs found, by key; a key not found raises :class:`OutputsNotFoundError` saying where it looked."""

    def __init__(self, found: dict[StackOutput, str], where: str) -> None:
        super().__init__(found)
        self.where = where

    def __missing__(self, key: StackOutput) -> str:
        raise OutputsNotFoundError(f"no stack of {self.where} has the output {key}: is the app deployed here?")


def _app_stacks(cloudformation: Any, stage: str | None) -> Iterator[dict[str, Any]]:
    for page in cloudformation.get_paginator("describe_stacks").paginate():
        for stack in page["Stacks"]:
            tags = {tag["Key"]: tag["Value"] for tag in stack.get("Tags") or []}
            if tags.get(APP_TAG) == APP_NAME and stage in (None, tags.get(STAGE_TAG)):
                yield stack


def read_outputs(cloudformation: Any, stage: str | None = None) -> Outputs:
    """The :class:`StackOutput` values of the app's stacks: those of ``stage``, or of every stage when None.

    Raises :class:`OutputsNotFoundError` when two stacks declare one key (two stages deployed here: name one).
    """
    found: dict[StackOutput, str] = {}
    declared_by: dict[StackOutput, str] = {}
    for stack in _app_stacks(cloudformation, stage):
        for output in stack.get("Outputs") or []:
            if output["OutputKey"] not in _KEYS:
                continue
            key = StackOutput(output["OutputKey"])
            if key in declared_by:
                raise OutputsNotFoundError(
                    f"{key} is an output of {declared_by[key]} and of {stack['StackName']}: "
                    "more than one stage of the app is deployed here, name the stage"
                )
            found[key], declared_by[key] = output["OutputValue"], stack["StackName"]
    tags = f"{APP_TAG}={APP_NAME}" + (f", {STAGE_TAG}={stage}" if stage else "")
    return Outputs(found, where=f"the {APP_NAME} app (stacks tagged {tags})")


_KEYS = frozenset(key.value for key in StackOutput)
