"""The orchestration half: the orders bus, high-value routing, the archive, the schema registry,
and the ``high-value-order-flow`` state machine."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Aws, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_eventschemas as eventschemas
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from event_constructs import (
    EventQueue,
    EventRouter,
    InputMapping,
    ServiceFunction,
    drop_implied_dependency,
    rotating_key,
)
from orders_functions.common.bus import ORDER_CREATED, ORDERS_SOURCE
from orders_functions.common.outputs import StackOutput
from orders_functions.replay.settings import ReplaySettings
from orders_functions.workflow.settings import SETTINGS_OF_TASK, WorkflowSettings
from stacks.assets import ORDER_CREATED_SCHEMA, functions_code
from stacks.config import StageConfig
from stacks.data_stack import OrdersDataStack
from stacks.outputs import declare_outputs

BUS_NAME = "orders"
HIGH_VALUE_RULE = "high-value-order-routing"
ARCHIVE_NAME = "all-order-events"
STATE_MACHINE_NAME = "high-value-order-flow"
#: Orders above this amount also get an account manager.
ACCOUNT_MANAGER_ABOVE = 10_000

HIGH_VALUE_PATTERN = events.EventPattern(
    source=[ORDERS_SOURCE],
    detail_type=[ORDER_CREATED],
    detail={"total": events.Match.greater_than(1000), "customer_tier": ["enterprise", "premium"]},
)
#: What the state machine receives: {"order_id", "customer_id", "amount", "correlation_id", "priority": "high"}.
HIGH_VALUE_INPUT = InputMapping(
    paths={
        "order_id": "$.detail.order_id",
        "customer_id": "$.detail.customer_id",
        "amount": "$.detail.total",
        "correlation_id": "$.detail.correlation_id",
    },
    constants={"priority": "high"},
)
#: Errors worth retrying: Lambda's own transient failures, a task that timed out, and TransientError,
#: the one name every task gives throttling and other transient AWS errors. Business errors are not retried.
TRANSIENT_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.Unknown",
    "Sandbox.Timedout",
    "TransientError",
]
#: Another execution decided the order (a duplicate delivery or a replay): end without touching it.
ALREADY_HANDLED = "AlreadyHandled"
COMPENSATION_FAILURES_QUEUE = "order-flow-compensation-failures"
#: The queues this stack makes, by the names cdk.json's ``max_receive_count`` gives each its redrive limit.
QUEUE_NAMES = (COMPENSATION_FAILURES_QUEUE,)
#: The release retries any error (it is idempotent) long enough to outlast a throttle storm: waits of
#: 2 s, 4 s ... 60 s, each drawn at random up to that (full jitter), so 24 retries wait about 10 minutes
#: in all on average (at most 20), before the compensation is given up.
RELEASE_RETRY = {"interval_s": 2, "backoff_rate": 2.0, "max_delay_s": 60, "max_attempts": 24}
#: A writing task invoked without its execution's id (an execution started by a definition before tasks
#: received it) refuses: with no id it cannot tell its reservation from another execution's.
MISSING_EXECUTION_ID = "MissingExecutionId"


class OrdersOrchestrationStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, stage: StageConfig, data: OrdersDataStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.stage = stage
        self.router = EventRouter(
            self,
            "OrdersBus",
            bus_name=BUS_NAME,
            archive_name=ARCHIVE_NAME,
            archive_pattern=events.EventPattern(source=[ORDERS_SOURCE]),
            archive_retention=Duration.days(90),
            removal_policy=stage.removal_policy,
        )
        self.state_machine = self._high_value_order_flow(data)
        rule = self.router.add_rule(
            "HighValueOrderRouting",
            rule_name=HIGH_VALUE_RULE,
            pattern=HIGH_VALUE_PATTERN,
            description="OrderCreated above 1000 from enterprise or premium customers -> high-value-order-flow",
        )
        self.router.add_state_machine_target(rule, self.state_machine, input_mapping=HIGH_VALUE_INPUT)
        self._schema_registry()
        self._replay_function()
        # Only its producers may put events on the bus: order_processor (granted by the processing stack),
        # the operators, and the replay function's role, in case a replay is judged by the bus policy as the
        # principal that started it (its own policy allows no PutEvents, so this gives it nothing more).
        self.router.accept_writes_only_from(self.replay.role.role_arn, *stage.role_arns(stage.operators))
        declare_outputs(self, {StackOutput.HIGH_VALUE_ORDER_FLOW: self.state_machine.state_machine_arn})

    def _task_function(self, construct_id: str, handler: str, data: OrdersDataStack) -> ServiceFunction:
        """A task of the flow; only the tasks that read the workflow table are told its name."""
        reads_the_table = WorkflowSettings in SETTINGS_OF_TASK[handler]
        table = WorkflowSettings(workflow_table=data.workflow_table.table_name)
        task = ServiceFunction(
            self,
            construct_id,
            code=functions_code(),
            handler=f"orders_functions.workflow.handler.{handler}",
            invoked_by=f"the {STATE_MACHINE_NAME} state machine",
            service_name=f"workflow.{handler}",
            timeout=Duration.seconds(10),
            log_retention=self.stage.log_retention,
            removal_policy=self.stage.removal_policy,
            environment=table.to_environment() if reads_the_table else {},
        )
        return task

    def _invoke(
        self, name: str, task: ServiceFunction, result_path: str, *, with_execution: bool = False
    ) -> tasks.LambdaInvoke:
        """A task; ``with_execution``: its payload is ``{"order": <state>, "execution_id": $$.Execution.Id}``."""
        payload = (
            sfn.TaskInput.from_object({"order": sfn.JsonPath.object_at("$"), "execution_id": sfn.JsonPath.execution_id})
            if with_execution
            else None
        )
        step = tasks.LambdaInvoke(
            self,
            name,
            lambda_function=task.function,
            payload=payload,
            payload_response_only=True,  # the function's result only; invoke permission on the function ARN only
            retry_on_service_exceptions=False,  # replaced by the retry below (with jitter)
            result_path=result_path,
        )
        if name == "Release inventory":
            step.add_retry(errors=[MISSING_EXECUTION_ID], max_attempts=0)  # retrying cannot give it an id
            step.add_retry(
                errors=["States.ALL"],
                interval=Duration.seconds(RELEASE_RETRY["interval_s"]),
                backoff_rate=RELEASE_RETRY["backoff_rate"],
                max_attempts=int(RELEASE_RETRY["max_attempts"]),
                max_delay=Duration.seconds(RELEASE_RETRY["max_delay_s"]),
                jitter_strategy=sfn.JitterType.FULL,
            )
            return step
        step.add_retry(
            errors=TRANSIENT_ERRORS,
            interval=Duration.seconds(1),
            backoff_rate=2.0,
            max_attempts=4,
            max_delay=Duration.seconds(20),
            jitter_strategy=sfn.JitterType.FULL,
        )
        return step

    def _high_value_order_flow(self, data: OrdersDataStack) -> sfn.StateMachine:
        fraud = self._task_function("ScreenForFraud", "screen_for_fraud", data)
        credit = self._task_function("CheckCreditLimit", "check_credit_limit", data)
        reserve = self._task_function("ReserveInventory", "reserve_inventory", data)
        release = self._task_function("ReleaseInventory", "release_inventory", data)
        manager = self._task_function("AssignAccountManager", "assign_account_manager", data)
        for claims in (reserve, release):  # a conditional write, and a read when another execution decided
            data.workflow_table.grant(claims.function, "dynamodb:UpdateItem", "dynamodb:GetItem")
        data.workflow_table.grant(manager.function, "dynamodb:UpdateItem")

        rejected = sfn.Fail(
            self, "Rejected as fraud", error="FraudSuspected", cause="Fraud screening rejected the order"
        )
        over_limit = sfn.Fail(self, "Over the credit limit", error="CreditLimitExceeded", cause="Credit check refused")
        compensated = sfn.Fail(
            self, "Failed and compensated", error="OrderFlowFailed", cause="A step failed; the reservation was released"
        )
        approved = sfn.Succeed(self, "Approved")
        already_handled = sfn.Succeed(
            self, "Already handled", comment="Another execution decided this order; this one changed nothing"
        )
        # Every way an execution ends without approving goes through the release, which undoes what this
        # execution holds and records that it decided the order (NONE_HELD when it held nothing), unless
        # another execution decided it first (NOT_MINE): then this one ends in "Already handled". So a
        # refusal, or a failure before the reservation, decides the order as firmly as an approval does.
        outcome = (
            sfn.Choice(self, "Decided by this execution?")
            .when(sfn.Condition.string_equals("$.compensation.reservation", "NOT_MINE"), already_handled)
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present("$.fraud.verdict"),
                    sfn.Condition.string_equals("$.fraud.verdict", "reject"),
                ),
                rejected,
            )
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present("$.error.Error"),
                    sfn.Condition.string_equals("$.error.Error", "CreditLimitExceeded"),
                ),
                over_limit,
            )
            .otherwise(compensated)
        )
        release_inventory = (
            self._invoke("Release inventory", release, "$.compensation", with_execution=True)
            .add_catch(self._compensation_failed(), errors=["States.ALL"], result_path="$.compensation_error")
            .next(outcome)
        )

        assign = self._invoke("Assign account manager", manager, "$.account_manager", with_execution=True).add_catch(
            release_inventory, errors=["States.ALL"], result_path="$.error"
        )
        needs_manager = (
            sfn.Choice(self, "Needs an account manager?")
            .when(sfn.Condition.number_greater_than("$.amount", ACCOUNT_MANAGER_ABOVE), assign.next(approved))
            .otherwise(approved)
        )
        reserve_step = (
            self._invoke("Reserve inventory", reserve, "$.inventory", with_execution=True)
            .add_catch(already_handled, errors=[ALREADY_HANDLED], result_path="$.error")
            .add_catch(release_inventory, errors=["States.ALL"], result_path="$.error")
        )
        credit_step = self._invoke("Check credit limit", credit, "$.credit").add_catch(
            release_inventory, errors=["States.ALL"], result_path="$.error"
        )
        # The refusal in the shape of a caught error, so that every way into the release carries $.error
        # (the operator's message quotes it, and a missing path would fail the execution uncaught).
        refused_as_fraud = sfn.Pass(
            self,
            "Refused as fraud",
            result=sfn.Result.from_object({"Error": "FraudSuspected", "Cause": "Fraud screening rejected the order"}),
            result_path="$.error",
        ).next(release_inventory)
        verdict = (
            sfn.Choice(self, "Fraud verdict")
            .when(sfn.Condition.string_equals("$.fraud.verdict", "reject"), refused_as_fraud)
            .otherwise(credit_step.next(reserve_step).next(needs_manager))
        )
        definition = (
            self._invoke("Screen for fraud", fraud, "$.fraud")
            .add_catch(release_inventory, errors=["States.ALL"], result_path="$.error")
            .next(verdict)
        )

        log_key = rotating_key(
            self,
            "StateMachineLogKey",
            description=f"Encrypts the execution logs of {STATE_MACHINE_NAME}",
            removal_policy=self.stage.removal_policy,
        )
        log_group_name = f"/aws/vendedlogs/states/{STATE_MACHINE_NAME}"
        log_key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:DescribeKey",
                ],
                resources=["*"],
                conditions={
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:{log_group_name}"
                        )
                    }
                },
            )
        )
        log_group = logs.LogGroup(
            self,
            "StateMachineLogs",
            log_group_name=log_group_name,
            encryption_key=log_key,
            retention=self.stage.log_retention,
            removal_policy=self.stage.removal_policy,
        )
        machine = sfn.StateMachine(
            self,
            "HighValueOrderFlow",
            state_machine_name=STATE_MACHINE_NAME,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.hours(1),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        )
        drop_implied_dependency(machine, machine.role)
        Validations.of(machine.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason=f"{STATE_MACHINE_NAME} delivers logs (logs:CreateLogDelivery and its siblings) and X-Ray "
                "traces; AWS offers no resource-level permissions for those actions",
            ),
            *(
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::<{self.resolve(self.get_logical_id(step.function.node.default_child))}.Arn>:*]",  # type: ignore[arg-type]
                    reason=f"{STATE_MACHINE_NAME} may invoke {step.node.id} and its versions (<arn>:*) only; CDK's "
                    "LambdaInvoke grants both so a qualified ARN keeps working",
                )
                for step in (fraud, credit, reserve, release, manager)
            ),
        )
        return machine

    def _compensation_failed(self) -> sfn.IChainable:
        """Where a release that still fails after its retries ends: a message for an operator, then a named failure.

        The message (order, execution, error) goes to ``order-flow-compensation-failures``; the
        execution fails with ``CompensationFailed``, which the failed-executions alarm reports.
        """
        self.compensation_failures = EventQueue(
            self,
            "CompensationFailuresQueue",
            queue_name=COMPENSATION_FAILURES_QUEUE,
            retention_period=Duration.days(13),  # a day less than its DLQ keeps messages (the default, 14 days)
            max_receive_count=self.stage.max_receive_count[COMPENSATION_FAILURES_QUEUE],
            removal_policy=self.stage.removal_policy,
        )
        tell_an_operator = tasks.SqsSendMessage(
            self,
            "Tell an operator",
            queue=self.compensation_failures.queue,
            message_body=sfn.TaskInput.from_object(
                {
                    "order_id": sfn.JsonPath.string_at("$.order_id"),
                    "customer_id": sfn.JsonPath.string_at("$.customer_id"),
                    "execution_id": sfn.JsonPath.execution_id,
                    "failed_step_error": sfn.JsonPath.object_at("$.error"),
                    "release_error": sfn.JsonPath.object_at("$.compensation_error"),
                    "action": "stock may still be reserved for this order: release it by hand",
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
        )
        tell_an_operator.add_retry(
            errors=["States.ALL"],
            interval=Duration.seconds(2),
            backoff_rate=2.0,
            max_attempts=8,
            max_delay=Duration.seconds(60),
            jitter_strategy=sfn.JitterType.FULL,
        )
        failed = sfn.Fail(
            self,
            "Compensation failed",
            error="CompensationFailed",
            cause=f"The reservation could not be released: an operator must (see {COMPENSATION_FAILURES_QUEUE})",
        )
        tell_an_operator.add_catch(failed, errors=["States.ALL"], result_path="$.operator_error")
        return tell_an_operator.next(failed)

    def _schema_registry(self) -> None:
        registry = eventschemas.CfnRegistry(
            self, "SchemaRegistry", registry_name=BUS_NAME, description="Schemas of the events on the orders bus"
        )
        schema = eventschemas.CfnSchema(
            self,
            "OrderCreatedSchema",
            registry_name=BUS_NAME,
            schema_name=f"{ORDERS_SOURCE}@{ORDER_CREATED}",
            type="JSONSchemaDraft4",
            content=json.dumps(json.loads(ORDER_CREATED_SCHEMA.read_text()), separators=(",", ":")),
            description="Detail of OrderCreated; the producer validates against the same file",
        )
        schema.node.add_dependency(registry)

    def _replay_function(self) -> None:
        archive = self.router.archive
        assert archive is not None
        self.replay = ServiceFunction(
            self,
            "ArchiveReplay",
            code=functions_code(),
            handler="orders_functions.replay.handler.lambda_handler",
            invoked_by="an operator (eventctl replay or the console)",
            service_name="replay",
            description=f"Replays a time window of {ARCHIVE_NAME} to the {BUS_NAME} bus and reports progress",
            timeout=Duration.minutes(15),
            log_retention=self.stage.log_retention,
            removal_policy=self.stage.removal_policy,
            environment=ReplaySettings(
                archive_arn=archive.archive_arn, bus_arn=self.router.bus.event_bus_arn
            ).to_environment(),
        )
        replays = f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:replay/*"
        # StartReplay is authorised on the archive, the destination bus and the new replay (IAM's service
        # authorization reference lists all three as its resource types; parliament caught the first alone).
        self.replay.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["events:StartReplay"],
                resources=[archive.archive_arn, self.router.bus.event_bus_arn, replays],
            )
        )
        self.replay.function.add_to_role_policy(
            iam.PolicyStatement(actions=["events:DescribeReplay", "events:CancelReplay"], resources=[replays])
        )
        Validations.of(self.replay.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:replay/*]",
                reason=f"ArchiveReplay names each replay at run time (the window it replays of {ARCHIVE_NAME}), so "
                "StartReplay, DescribeReplay and CancelReplay can only name replay/*",
            )
        )
