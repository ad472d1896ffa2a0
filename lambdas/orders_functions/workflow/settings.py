"""What the high-value order flow's tasks read from their environment (set by the orchestration stack).

Only the tasks that write (reserve, release, assign) read anything: the order's workflow item.
"""

from __future__ import annotations

from dataclasses import dataclass

from event_runtime.settings import FunctionSettings, variable


@dataclass(frozen=True)
class WorkflowSettings(FunctionSettings):
    #: One item per order: the reservation, who holds it, the account manager.
    workflow_table: str = variable("WORKFLOW_TABLE")


#: Everything each task (a function of orders_functions.workflow.handler) reads from its environment.
SETTINGS_OF_TASK: dict[str, tuple[type[FunctionSettings], ...]] = {
    "screen_for_fraud": (),
    "check_credit_limit": (),
    "reserve_inventory": (WorkflowSettings,),
    "release_inventory": (WorkflowSettings,),
    "assign_account_manager": (WorkflowSettings,),
}
