"""A Python Lambda function with this library's defaults, for consumers and workflow tasks alike.

Example:
    >>> import aws_cdk as cdk
    >>> from aws_cdk import aws_lambda as lambda_
    >>> from event_constructs import ServiceFunction
    >>> stack = cdk.Stack(cdk.App(), "Example")
    >>> task = ServiceFunction(stack, "ScreenForFraud", code=lambda_.Code.from_inline("def handler(e, c): ..."),
    ...                        handler="index.handler", invoked_by="the high-value-order-flow state machine")
    >>> task.function.runtime.name
    'python3.14'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from event_constructs.cfn_hygiene import drop_implied_dependency
from event_constructs.defaults import EVERY_CONSTRUCT, FUNCTION
from event_constructs.powertools import powertools_layer
from event_constructs.runtime_layer import runtime_layer


class ServiceFunction(Construct):
    """The newest Python runtime on arm64, the pinned Powertools layer, active X-Ray tracing,
    JSON logs in its own log group with a retention, and a role that may write to that log
    group only (no managed policies).

    Args:
        code: the function's code.
        handler: its handler, ``module.function``.
        invoked_by: who calls the function synchronously (an event source mapping, a state machine);
            it goes into the reason for not giving the function an async-invoke DLQ.
        service_name: the function's ``POWERTOOLS_SERVICE_NAME`` and, in the role's description, what
            runs. Default: none: the construct id.
        description: the function's description. Default: none.
        environment: environment variables besides ``POWERTOOLS_SERVICE_NAME``. Default: none.
        timeout: the function's timeout (at most 15 minutes). Default: 30 seconds.
        memory_size: the function's memory (128 to 10240 MB). Default: 256 MB.
        layers: layers besides the Powertools one and the runtime half's. Default: none.
        log_retention: how long the function's log group keeps logs. Default: RetentionDays.ONE_MONTH.
        removal_policy: what happens to the log group when it leaves the stack. Default: RemovalPolicy.DESTROY.
        role_name: the role's name, so that a resource policy in another stack can name the role's ARN
            without a cross-stack reference. Default: none: CloudFormation generates one.
        with_runtime_layer: whether the function gets the library's runtime half (:mod:`event_runtime`) in
            the stack's :func:`~event_constructs.runtime_layer.runtime_layer`. Default: True.

    Attributes:
        function, role, log_group.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        invoked_by: str,
        service_name: str | None = None,
        description: str | None = None,
        environment: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        memory_size: int = FUNCTION.memory_size,
        layers: Sequence[lambda_.ILayerVersion] = (),
        log_retention: logs.RetentionDays = FUNCTION.log_retention,
        removal_policy: RemovalPolicy = EVERY_CONSTRUCT.removal_policy,
        role_name: str | None = None,
        with_runtime_layer: bool = FUNCTION.with_runtime_layer,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "LogGroup", retention=log_retention, removal_policy=removal_policy)
        # An explicit role (instead of AWSLambdaBasicExecutionRole) so the function may write
        # to its own log group only.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {service_name or construct_id}, invoked by {invoked_by}",
            role_name=role_name,
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=FUNCTION.runtime,
            architecture=FUNCTION.architecture,
            code=code,
            handler=handler,
            description=description,
            timeout=timeout or FUNCTION.timeout,
            memory_size=memory_size,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            layers=[
                powertools_layer(self, runtime=FUNCTION.runtime, architecture=FUNCTION.architecture),
                *([runtime_layer(Stack.of(self))] if with_runtime_layer else []),
                *layers,
            ],
            environment={"POWERTOOLS_SERVICE_NAME": service_name or construct_id, **(environment or {})},
        )
        drop_implied_dependency(self.function, self.role)
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="Serverless-LambdaDLQ",
                reason=f"{construct_id} is invoked synchronously by {invoked_by}, which sees and handles its "
                "failures, so an async-invoke DLQ would never be used",
            )
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason=f"{construct_id} traces with X-Ray, whose xray:PutTraceSegments and "
                "xray:PutTelemetryRecords have no resource-level permissions; every other statement of "
                "this role names its resource",
            )
        )
