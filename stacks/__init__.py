"""The orders app's stacks, composed from ``event_constructs``."""

from __future__ import annotations

import os
from dataclasses import dataclass

from aws_cdk import App, Environment, Tags

from orders_functions.common.outputs import APP_NAME, APP_TAG, STAGE_TAG
from stacks.config import StageConfig, load_stage_config
from stacks.data_stack import OrdersDataStack
from stacks.monitoring_stack import OrdersMonitoringStack
from stacks.orchestration_stack import QUEUE_NAMES as ORCHESTRATION_QUEUES
from stacks.orchestration_stack import OrdersOrchestrationStack
from stacks.processing_stack import QUEUE_NAMES as PROCESSING_QUEUES
from stacks.processing_stack import OrderProcessingStack

#: Every queue of the app: the keys of ``max_receive_count`` in cdk.json.
QUEUE_NAMES = (*PROCESSING_QUEUES, *ORCHESTRATION_QUEUES)


@dataclass(frozen=True)
class OrdersApp:
    stage: StageConfig
    data: OrdersDataStack
    orchestration: OrdersOrchestrationStack
    processing: OrderProcessingStack
    monitoring: OrdersMonitoringStack

    @property
    def stacks(self) -> tuple[OrdersDataStack, OrdersOrchestrationStack, OrderProcessingStack, OrdersMonitoringStack]:
        return (self.data, self.orchestration, self.processing, self.monitoring)


def environment_from_env() -> Environment | None:
    """An explicit environment when CDK_DEFAULT_ACCOUNT and _REGION are both set, else agnostic."""
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    if account and region:
        return Environment(account=account, region=region)
    return None


def build_orders_app(app: App) -> OrdersApp:
    """Add the orders stacks for the stage named in context to ``app``."""
    stage = load_stage_config(app, queue_names=QUEUE_NAMES)
    env = environment_from_env()
    prefix = f"{APP_NAME}-{stage.name}"
    # On each stack (how the tools find the app: orders_functions.common.outputs) and each resource.
    tags = {APP_TAG: APP_NAME, STAGE_TAG: stage.name}
    data = OrdersDataStack(
        app,
        "OrdersData",
        stage=stage,
        env=env,
        tags=tags,
        stack_name=f"{prefix}-data",
        description="Orders app: tables (stateful)",
    )
    orchestration = OrdersOrchestrationStack(
        app,
        "OrdersOrchestration",
        stage=stage,
        data=data,
        env=env,
        tags=tags,
        stack_name=f"{prefix}-orchestration",
        description="Orders app: the orders bus, high-value routing, archive, schemas and the high-value order flow",
    )
    processing = OrderProcessingStack(
        app,
        "OrdersProcessing",
        stage=stage,
        data=data,
        router=orchestration.router,
        env=env,
        tags=tags,
        stack_name=f"{prefix}-processing",
        description="Orders app: work queues, dead-letter queues and their consumers",
    )
    monitoring = OrdersMonitoringStack(
        app,
        "OrdersMonitoring",
        stage=stage,
        watch=[orchestration, processing],
        env=env,
        tags=tags,
        stack_name=f"{prefix}-monitoring",
        description="Orders app: the dashboard and the alarms of every queue, function, topic, rule and workflow",
    )
    for stack in (data, orchestration, processing, monitoring):
        for key, value in tags.items():
            Tags.of(stack).add(key, value)
    return OrdersApp(stage=stage, data=data, orchestration=orchestration, processing=processing, monitoring=monitoring)
