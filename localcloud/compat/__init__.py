"""What moto 5.2 lacks for this app, one module per gap.

Each module has ``install(stack, settings)``, which enters its patches into an ``ExitStack``
(so tests can apply one gap and undo it), and ``GAP``, one sentence naming what moto lacks.
``tests/localcloud/compat/test_<module>.py`` holds, for every module, a test that the gap still exists in plain moto
(it fails when an upgrade closes it: then delete the module) and a test of the behaviour with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import ModuleType

from localcloud.compat import (
    cfn_alarms,
    cfn_application_autoscaling,
    cfn_change_set_exports,
    cfn_default_security_group,
    cfn_ecs,
    cfn_global_table,
    cfn_inert,
    cfn_lambda_layers,
    cfn_policies,
    cfn_security_group_egress,
    cfn_sns_subscription,
    dynamodb_atomic_writes,
    dynamodb_transaction_cost,
    ecs_tasks,
    events_archive_cfn,
    events_bus_ref,
    events_input_transformer,
    events_replay,
    events_stepfunctions_target,
    kms_cfn_tags,
    lambda_runtime,
    routing_rules,
    server_dispatch_cost,
    sqs_event_source,
    sqs_fifo_deduplication,
    sqs_fifo_redelivery_order,
    sqs_receive_cost,
    stepfunctions_interpreter,
    time_scale,
)
from localcloud.settings import LocalCloudSettings

GAPS: tuple[ModuleType, ...] = (
    cfn_change_set_exports,
    cfn_global_table,
    cfn_sns_subscription,
    cfn_policies,
    cfn_alarms,
    cfn_inert,
    cfn_ecs,
    cfn_application_autoscaling,
    cfn_default_security_group,
    cfn_security_group_egress,
    kms_cfn_tags,
    events_archive_cfn,
    events_bus_ref,
    events_input_transformer,
    events_replay,
    events_stepfunctions_target,
    routing_rules,
    stepfunctions_interpreter,
    sqs_fifo_deduplication,
    sqs_fifo_redelivery_order,
    sqs_receive_cost,
    time_scale,
    cfn_lambda_layers,
    lambda_runtime,
    sqs_event_source,
    ecs_tasks,
    server_dispatch_cost,
    dynamodb_transaction_cost,
    dynamodb_atomic_writes,
)


@contextmanager
def installed(*gaps: ModuleType, settings: LocalCloudSettings | None = None) -> Iterator[None]:
    """Apply the given gap modules (all of them when none are named) for the duration of the block."""
    with ExitStack() as stack:
        for gap in gaps or GAPS:
            gap.install(stack, settings or LocalCloudSettings())
        yield
