"""The whole pipeline at handler level over moto, driven one adversity at a time.

A :class:`World` holds one moto account with the app's queues, DLQs, topic and subscriptions,
bus and rules, tables, bucket and state machine, built from the synthesized configuration
(:class:`~tests.properties.config.PipelineConfig`), and the real handlers, each built with the
environment its function would have. It offers what a generated history does:

- producers: send an order, a cancellation, an update, garbage, or any earlier message again;
- transport: redeliver anything a subscriber queue ever held (SNS is at-least-once);
- consumers: deliver a batch to any consumer as Lambda's event source mapping would (standard
  queues: any subset of the received messages, in any order), with at most one fault at any AWS
  call of the invocation: a throttle, an access denial, a kill before the call (a timeout
  mid-batch) or a crash right after the call succeeded;
- time: SQS runs on the world's clock, which only moves when a history lets time pass;
- the high-value flow: start an execution for any delivery of the high-value rule (moto's Step
  Functions interpreter on the synthesized definition, the task handlers in process), with a
  failing step and a throttle storm on the workflow table; replay the archive; redrive a DLQ.

What the world observes (every publication to the topic and to the bus, every balance update
sent and applied, the tables, the lake, the DLQs, the executions) is what the invariants judge.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import random
import re
import time
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.awslambda.models import LambdaFunction
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.moto_api._internal import mock_random
from moto.s3.models import s3_backends
from moto.sqs import models as sqs_models
from moto.sqs.models import sqs_backends
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from event_runtime.attempts import EXPIRES_AT_ATTRIBUTE, MESSAGE_KEY_ATTRIBUTE
from event_runtime.settings import FunctionSettings
from localcloud.compat import sqs_fifo_redelivery_order
from localcloud.compat.events_input_transformer import render
from localcloud.compat.sqs_event_source import lambda_record
from localcloud.settings import LocalCloudSettings
from orders_functions.analytics.settings import AnalyticsSettings
from orders_functions.balance_updater.settings import BalanceUpdaterSettings
from orders_functions.common.limits import (
    EVENT_ID_SEPARATOR,
    EVENT_TYPE_PATTERN,
    charge_transaction_id,
    refund_transaction_id,
)
from orders_functions.notification.settings import NotificationSettings
from orders_functions.order_processor.settings import OrderProcessorSettings
from orders_functions.payment.settings import PaymentSettings
from tests.orders_functions.sqs_harness import FakeLambdaContext
from tests.properties.config import PipelineConfig

REGION = "us-east-1"
TOPIC = "order-events"
BUS = "orders"
BUCKET = "data-lake"
#: The world's clock starts here (ms since the epoch) and moves only when time is let pass.
EPOCH_MS = 1_796_083_200_000  # 2026-12-01T00:00:00Z
TABLES: dict[str, list[tuple[str, str]]] = {
    "orders": [("order_id", "HASH")],
    "payments": [("order_id", "HASH")],
    "balances": [("account_id", "HASH"), ("entry", "RANGE")],
    "notifications": [("notification_id", "HASH")],
    "workflow": [("order_id", "HASH")],
    "attempts": [(MESSAGE_KEY_ATTRIBUTE, "HASH")],
}
THROTTLE_CODES = {
    "dynamodb": "ProvisionedThroughputExceededException",
    "sqs": "ThrottlingException",
    "sns": "Throttling",
    "s3": "SlowDown",
    "events": "ThrottlingException",
}
FAULT_KINDS = ("throttle", "denied", "kill_before", "crash_after")
WORKFLOW_TASKS = (
    "screen_for_fraud",
    "check_credit_limit",
    "reserve_inventory",
    "assign_account_manager",
    "release_inventory",
)


_deserialize = TypeDeserializer().deserialize


class LambdaKilled(BaseException):
    """The invocation stopped (it timed out, or crashed): no ``except Exception`` sees it, nothing is deleted."""


#: The AWS operations the consumers call, where a fault may strike.
OPERATIONS = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "TransactWriteItems",
    "Publish",
    "PutEvents",
    "SendMessage",
    "ChangeMessageVisibility",
    "PutObject",
)


@dataclass(frozen=True)
class Fault:
    """At the ``nth`` call (0-based) of ``operation`` in one invocation: ``kind`` (one of FAULT_KINDS)."""

    operation: str
    nth: int
    kind: str


@dataclass
class Outage:
    """A downstream that fails ``operation`` (throttling) for ``consumer`` during its next ``invocations``
    invocations, on every call whose parameters mention ``key`` (an order, say), or on every call."""

    consumer: str
    operation: str
    key: str | None
    invocations: int


def mentions(value: Any, order_id: str) -> bool:
    """Whether a call's parameters name ``order_id``, or an id derived from it, anywhere (message bodies
    and objects included).

    Exactly, not as a substring: an order named ``a`` is not in every message id that holds an ``a``
    (matching by substring made an outage for one order hit others by chance, and the histories
    unrepeatable).
    """
    if isinstance(value, dict):
        return any(mentions(item, order_id) for item in value.values())
    if isinstance(value, list | tuple):
        return any(mentions(item, order_id) for item in value)
    if isinstance(value, bytes):
        return any(mentions(line, order_id) for line in value.decode("utf-8", "replace").splitlines())
    if not isinstance(value, str):
        return False
    if value in (order_id, charge_transaction_id(order_id), refund_transaction_id(order_id)):
        return True
    parts = value.split(EVENT_ID_SEPARATOR)  # an event id, <order>/<event type>[/<update>]: "/" is in no identifier
    if len(parts) in (2, 3) and parts[0] == order_id and re.match(EVENT_TYPE_PATTERN, parts[1]):
        return True
    if value[:1] in ("{", "["):
        try:
            return mentions(json.loads(value), order_id)
        except ValueError:
            return False
    return False


@dataclass(frozen=True)
class FlowFaults:
    """A non-retryable failure of one step, and a throttle storm on the workflow table in another."""

    failing_step: str | None = None
    storm_step: str = "release_inventory"
    throttled_calls: int = 0


@dataclass
class Sent:
    """A message a producer sent to order-processing (``valid``: its model accepts it; ``unhandled``: its
    event type is well-formed but not one order-processing acts on, so it is acknowledged and counted)."""

    body: str
    valid: bool
    message_id: str
    correlation_id: str | None = None
    unhandled: bool = False


@dataclass
class Execution:
    arn: str
    order_id: str
    status: str
    error: str | None
    states: list[str]


@dataclass
class Observed:
    """Everything the world saw happen, in order."""

    #: (event body, message attributes) of every publication to order-events.
    published: list[tuple[dict[str, Any], dict[str, str]]] = field(default_factory=list)
    #: Every event put on the orders bus (the archive).
    bus_events: list[dict[str, Any]] = field(default_factory=list)
    #: Every event the high-value rule matched (the events EventBridge delivers to the flow).
    high_value_deliveries: list[dict[str, Any]] = field(default_factory=list)
    #: Deliveries to the flow not yet made: each starts one execution, duplicates and replays included.
    pending_flows: list[dict[str, Any]] = field(default_factory=list)
    #: Balance updates sent to balance-updates.fifo, per message group: (transaction id, body).
    balance_sent: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=lambda: defaultdict(list))
    #: Transactions applied to the ledger, per account, in the order they were applied.
    applied: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: Transactions that were ever moved into a DLQ (their order may change when redriven).
    dead_lettered_transactions: set[str] = field(default_factory=set)
    executions: list[Execution] = field(default_factory=list)
    #: Messages ever received from each subscriber queue (SNS may deliver any of them again).
    delivered: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    #: How often each message (by id) was really tried: its consumer's record handler ran for it.
    tries: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    deliveries: int = 0
    kills: int = 0
    faults: int = 0
    #: Invocations of each consumer that met a fault, an outage or a kill (or failed as a whole).
    disturbed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: Announcements made (to the topic, or the bus) of an event id its order's item had already marked as made.
    announced_after_marked: list[str] = field(default_factory=list)


class World:
    """One moto account running the pipeline; see the module docstring."""

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        self.session = boto3.Session(region_name=REGION)
        self._fault: Fault | None = None
        self._outages: list[Outage] = []
        self._consumer: str | None = None
        self._calls = 0
        self._throttle_workflow = 0
        self._throttle_in: str | None = None
        self._running_task: str | None = None
        self._failing_step: str | None = None
        self.clock_ms = EPOCH_MS
        self.observed = Observed()
        self.sent: list[Sent] = []
        self.garbage: dict[str, list[str]] = defaultdict(list)
        self._receipts: dict[str, dict[str, str]] = defaultdict(dict)
        self._queue_urls: dict[str, str] = {}
        self._runtimes: dict[str, Any] = {}
        self._state_machine_arn = ""
        self._pending_send: dict[str, Any] | None = None
        self._clients: dict[str, Any] = {}
        self.record_balance_traffic()
        self.session.events.register("before-parameter-build.sqs.SendMessage", _refuse_what_aws_refuses)
        self.session.events.register("before-parameter-build.sns.Publish", _refuse_what_aws_refuses)
        self.session.events.register("before-parameter-build", self._remember_parameters)
        self.session.events.register("before-call", self._before_call)
        self.session.events.register("after-call", self._after_call)

    # --- lifecycle -----------------------------------------------------------------------------

    @contextmanager
    def running(self) -> Iterator[World]:
        """moto, the world's clock and session, and the in-process Lambda runtime, for a whole test."""
        with ExitStack() as stack:
            self._mock = stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
            stack.enter_context(mock.patch.object(boto3, "DEFAULT_SESSION", self.session))
            stack.enter_context(mock.patch.object(sqs_models, "unix_time_millis", self._now_ms))
            stack.enter_context(mock.patch.object(sqs_models, "unix_time", lambda: self._now_ms() / 1000))
            stack.enter_context(
                mock.patch.object(
                    LambdaFunction, "_invoke_lambda", lambda function, event=None: self._invoke_task(function, event)
                )
            )
            moto_logger = logging.getLogger("moto")  # its interpreter logs every Fail state as an error
            stack.callback(moto_logger.setLevel, moto_logger.level)
            moto_logger.setLevel(logging.CRITICAL)
            for module in (*self.config.consumers, "workflow"):  # the handlers' warnings are the history's normal life
                logger = importlib.import_module(f"orders_functions.{module}.handler").logger
                stack.callback(logger.setLevel, logger.log_level)
                logger.setLevel("CRITICAL")
            stack.enter_context(mock.patch.object(retrier_decl, "time", _NoWait()))
            # moto lets a FIFO group's later message overtake an earlier one: the local cloud's fix applies here too.
            sqs_fifo_redelivery_order.install(stack, LocalCloudSettings())
            yield self

    def reset(self) -> None:
        """A fresh history: the resources and handlers are made once, then emptied for every history.

        Emptying moto's backends (messages, items, objects) leaves what a new account with the same
        stacks would have, at a fraction of the cost of making it again.
        """
        if not self._queue_urls:
            self._create_resources()
            self._build_handlers()
        else:
            for queue in sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues.values():
                queue._messages, queue._pending_messages, queue.deleted_messages = [], set(), set()
            for table in TABLES:
                dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table).items.clear()
            s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets[BUCKET].keys.clear()
        self.clock_ms = EPOCH_MS
        mock_random.seed(0)  # moto's message ids and receipt handles: the same in every replay of a history
        self.observed = Observed()
        self.sent = []
        self.garbage = defaultdict(list)
        self._receipts = defaultdict(dict)
        self._fault = None
        self._outages = []

    def _create_resources(self) -> None:
        sqs, sns, events = self.client("sqs"), self.client("sns"), self.client("events")
        queues = self.config.queues
        for queue in sorted(queues.values(), key=lambda q: q.max_receive_count is not None):
            attributes = {
                "VisibilityTimeout": str(queue.visibility_timeout),
                "MessageRetentionPeriod": str(queue.retention_seconds),
                **queue.attributes,
            }
            if queue.dead_letter_queue:
                dlq_arn = self.queue_arn(queue.dead_letter_queue)
                attributes["RedrivePolicy"] = json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}
                )
            self._queue_urls[queue.name] = sqs.create_queue(QueueName=queue.name, Attributes=attributes)["QueueUrl"]
        for name in ("spy-order-events", "spy-archive", "spy-high-value"):
            self._queue_urls[name] = sqs.create_queue(QueueName=name)["QueueUrl"]
        self.topic_arn = sns.create_topic(Name=TOPIC)["TopicArn"]
        for subscription in self.config.subscriptions:
            attributes = {"RawMessageDelivery": "true" if subscription.raw else "false"}
            if subscription.filter_policy is not None:
                attributes["FilterPolicy"] = json.dumps(subscription.filter_policy)
                attributes["FilterPolicyScope"] = subscription.scope or "MessageAttributes"
            sns.subscribe(
                TopicArn=self.topic_arn,
                Protocol="sqs",
                Endpoint=self.queue_arn(subscription.queue),
                Attributes=attributes,
            )
        sns.subscribe(
            TopicArn=self.topic_arn,
            Protocol="sqs",
            Endpoint=self.queue_arn("spy-order-events"),
            Attributes={"RawMessageDelivery": "true"},
        )
        events.create_event_bus(Name=BUS)
        for rule, pattern, spy in (
            ("archive", self.config.archive_pattern, "spy-archive"),
            ("high-value-order-routing", self.config.high_value_pattern, "spy-high-value"),
        ):
            events.put_rule(Name=rule, EventBusName=BUS, EventPattern=json.dumps(pattern))
            events.put_targets(Rule=rule, EventBusName=BUS, Targets=[{"Id": "spy", "Arn": self.queue_arn(spy)}])
        dynamodb = self.client("dynamodb")
        for table, keys in TABLES.items():
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": name, "KeyType": kind} for name, kind in keys],
                AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name, _ in keys],
                BillingMode="PAY_PER_REQUEST",
            )
        self.client("s3").create_bucket(Bucket=BUCKET)
        self._create_state_machine()

    def _create_state_machine(self) -> None:
        role = self.client("iam").create_role(
            RoleName="flow", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
        )["Role"]["Arn"]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("placeholder.py", "")
        lambda_client = self.client("lambda")
        arns = {
            task: lambda_client.create_function(
                FunctionName=task,
                Runtime="python3.12",
                Role=role,
                Handler=f"orders_functions.workflow.handler.{task}",
                Code={"ZipFile": buffer.getvalue()},
            )["FunctionArn"]
            for task in WORKFLOW_TASKS
        }
        parts = []
        for part in self.config.state_machine_definition:
            if isinstance(part, str):
                parts.append(part)
            elif "Fn::GetAtt" in part:  # a task function: its logical id names its handler
                logical_id = part["Fn::GetAtt"][0]
                task = next(t for t in WORKFLOW_TASKS if t.replace("_", "").lower() in logical_id.lower())
                parts.append(arns[task])
            elif part.get("Ref") == "AWS::Partition":
                parts.append("aws")
            else:  # the compensation-failures queue
                parts.append(self._queue_urls[self.config.compensation_queue])
        self._state_machine_arn = self.client("stepfunctions").create_state_machine(
            name="high-value-order-flow", definition="".join(parts), roleArn=role
        )["stateMachineArn"]

    def _environment(self, module: str) -> dict[str, str]:
        consumer = self.config.consumers[module]
        queue = self.config.queues[consumer.queue]
        assert queue.dead_letter_queue is not None
        environment = {
            **consumer.environment,
            "QUEUE_URL": self._queue_urls[queue.name],
            "DEAD_LETTER_QUEUE_URL": self._queue_urls[queue.dead_letter_queue],
            "ATTEMPTS_TABLE": "attempts",
        }
        settings: dict[str, FunctionSettings] = {
            "order_processor": OrderProcessorSettings(
                orders_table="orders", order_events_topic_arn=self.topic_arn, orders_bus_name=BUS
            ),
            "payment": PaymentSettings(
                payments_table="payments", balance_updates_queue_url=self._queue_urls["balance-updates.fifo"]
            ),
            "notification": NotificationSettings(notifications_table="notifications"),
            "analytics": AnalyticsSettings(data_lake_bucket=BUCKET),
            "balance_updater": BalanceUpdaterSettings(balances_table="balances"),
        }
        return environment | settings[module].to_environment()

    def _build_handlers(self) -> None:
        for module in self.config.consumers:
            handler = importlib.import_module(f"orders_functions.{module}.handler")
            with mock.patch.dict("os.environ", self._environment(module)):
                handler.runtime.cache_clear()
                runtime = handler.runtime()
            runtime.handle = self._counting_tries(runtime.handle)
            self._runtimes[module] = handler
        # Its own retries: no waiting.
        self._runtimes["order_processor"].runtime().service.bus._sleep = lambda seconds: None
        workflow = importlib.import_module("orders_functions.workflow.handler")
        with mock.patch.dict("os.environ", {"WORKFLOW_TABLE": "workflow"}):
            workflow.store.cache_clear()
            workflow.store()

    def _counting_tries(self, handle: Any) -> Any:
        def counted(record: Any) -> Any:
            self.observed.tries[record.message_id] += 1
            return handle(record)

        return counted

    # --- clients, clock, faults ----------------------------------------------------------------

    def client(self, service: str) -> Any:
        """The world's own client for ``service`` (made once: a client costs more than a call)."""
        if service not in self._clients:
            self._clients[service] = self.session.client(service, region_name=REGION)
        return self._clients[service]

    def queue_url(self, name: str) -> str:
        return self._queue_urls[name]

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{REGION}:{DEFAULT_ACCOUNT_ID}:{name}"

    def _now_ms(self) -> int:
        self.clock_ms += 1  # SQS compares times strictly: every reading is a moment later
        return self.clock_ms

    def let_time_pass(self, seconds: float) -> None:
        self.clock_ms += int(seconds * 1000)

    def seconds_until_visible(self, queue: str) -> float | None:
        """How long until the next message of ``queue`` that is in flight (or delayed) is visible again."""
        waits = [max(m.visible_at, m.delayed_until) - self.clock_ms for m in self.messages_in(queue) if not m.visible]
        return max(0.0, min(waits) / 1000 + 0.001) if waits else None

    def begin_outage(self, outage: Outage) -> None:
        self._outages.append(outage)

    def end_outages(self) -> None:
        self._outages = []

    def _remember_parameters(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["world_parameters"] = params

    def _before_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        if self._running_task is not None:
            self._flow_fault(model)
            return
        for outage in self._outages:
            if outage.consumer != self._consumer or outage.operation != model.name:
                continue
            if outage.key is None or mentions(context.get("world_parameters", {}), outage.key):
                self.observed.faults += 1
                code = THROTTLE_CODES.get(model.service_model.service_name, "ThrottlingException")
                raise ClientError({"Error": {"Code": code, "Message": "injected outage"}}, model.name)
        fault = self._fault
        if fault is None or model.name != fault.operation:
            return
        index = self._calls
        self._calls += 1
        context["world_call"] = index
        if index != fault.nth:
            return
        self.observed.faults += 1
        service = model.service_model.service_name
        if fault.kind == "throttle":
            code = THROTTLE_CODES.get(service, "ThrottlingException")
            raise ClientError({"Error": {"Code": code, "Message": f"injected {code}"}}, model.name)
        if fault.kind == "denied":
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "injected"}}, model.name)
        if fault.kind == "kill_before":
            raise LambdaKilled(f"killed before call {index} ({model.name})")

    def _after_call(self, http_response: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
        fault = self._fault
        if fault is None or fault.kind != "crash_after" or model.name != fault.operation:
            return
        if context.get("world_call") == fault.nth and http_response.status_code < 300:
            raise LambdaKilled(f"crashed after {model.name} #{fault.nth}")

    def _flow_fault(self, model: Any) -> None:
        if model.service_model.service_name != "dynamodb" or self._throttle_workflow <= 0:
            return
        if self._throttle_in not in (None, self._running_task):
            return
        self._throttle_workflow -= 1
        code = THROTTLE_CODES["dynamodb"]
        raise ClientError({"Error": {"Code": code, "Message": "injected throttle storm"}}, model.name)

    # --- producers -----------------------------------------------------------------------------

    def send_order_message(
        self, body: str, *, valid: bool, correlation_id: str | None = None, unhandled: bool = False
    ) -> None:
        attributes = {}
        if correlation_id is not None:
            attributes["correlation_id"] = {"DataType": "String", "StringValue": correlation_id}
        try:
            message_id = self.client("sqs").send_message(
                QueueUrl=self.queue_url("order-processing"), MessageBody=body, MessageAttributes=attributes
            )["MessageId"]
        except ClientError as error:  # SQS refused it (characters it cannot carry): nothing was sent
            if error.response["Error"]["Code"] != "InvalidMessageContents":
                raise
            return
        self.sent.append(Sent(body, valid, message_id, correlation_id, unhandled))

    def resend(self, index: int) -> None:
        """A producer sends an earlier message again (a duplicate of any age)."""
        if self.sent:
            earlier = self.sent[index % len(self.sent)]
            self.send_order_message(
                earlier.body, valid=earlier.valid, correlation_id=earlier.correlation_id, unhandled=earlier.unhandled
            )

    def send_garbage(self, queue: str, body: str) -> None:
        self.client("sqs").send_message(QueueUrl=self.queue_url(queue), MessageBody=body)
        self.garbage[queue].append(body)

    def redeliver(self, queue: str, index: int) -> None:
        """SNS delivers a message it delivered before again (at-least-once), as a new SQS message."""
        seen = self.observed.delivered[queue]
        if not seen:
            return
        message = seen[index % len(seen)]
        self.client("sqs").send_message(
            QueueUrl=self.queue_url(queue),
            MessageBody=message["Body"],
            MessageAttributes=message.get("MessageAttributes", {}),
        )

    # --- consumers -----------------------------------------------------------------------------

    def receive(self, queue: str, limit: int) -> list[dict[str, Any]]:
        sqs, messages = self.client("sqs"), []
        while len(messages) < limit:
            batch = sqs.receive_message(
                QueueUrl=self.queue_url(queue),
                MaxNumberOfMessages=min(10, limit - len(messages)),
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                break
            messages.extend(batch)
        for message in messages:
            self._receipts[queue][message["MessageId"]] = message["ReceiptHandle"]
        return messages

    def deliver(
        self, module: str, *, limit: int | None = None, seed: int = 0, skip: int = 0, fault: Fault | None = None
    ) -> int:
        """One invocation of ``module``'s handler, as its event source mapping makes it; returns the batch size.

        On a standard queue the received messages come in an order drawn from ``seed``, and the
        last ``skip`` of them are left out (received by a poller whose invocation never happened:
        they reappear after their visibility timeout). A FIFO batch comes whole and in order.
        """
        consumer = self.config.consumers[module]
        queue = self.config.queues[consumer.queue]
        messages = self.receive(queue.name, min(limit or consumer.batch_size, consumer.batch_size))
        if not queue.fifo:
            random.Random(seed).shuffle(messages)
            messages = messages[: max(1, len(messages) - skip)] if messages else []
        if not messages:
            return 0
        if any(subscription.queue == queue.name for subscription in self.config.subscriptions):
            self.observed.delivered[queue.name].extend(messages)
        self.observed.deliveries += 1
        event = {"Records": [lambda_record(message, self.queue_arn(queue.name)) for message in messages]}
        handler = self._runtimes[module]
        self._fault, self._calls, self._consumer = fault, 0, module
        faults_before = self.observed.faults
        try:
            response = handler.lambda_handler(event, FakeLambdaContext())
        except LambdaKilled:
            self.observed.kills += 1
            self.observed.disturbed[module] += 1
            return len(messages)  # nothing is deleted: the batch comes back after its visibility timeout
        except Exception:  # a failed invocation: the whole batch stays on the queue
            self.observed.disturbed[module] += 1
            return len(messages)
        finally:
            if self.observed.faults > faults_before:
                self.observed.disturbed[module] += 1
            self._fault, self._consumer = None, None
            for outage in [o for o in self._outages if o.consumer == module]:
                outage.invocations -= 1
                if outage.invocations <= 0:
                    self._outages.remove(outage)
        failed = {item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])}
        sqs = self.client("sqs")
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=self.queue_url(queue.name), ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    # --- the high-value flow ---------------------------------------------------------------------

    def _invoke_task(self, function: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        module_name, name = function.handler.rsplit(".", 1)
        self._running_task = name
        try:
            if self._failing_step == name:
                raise RuntimeError(f"{name} failed (injected)")
            payload = json.loads(event) if isinstance(event, str | bytes) else event
            result = getattr(importlib.import_module(module_name), name)(payload, FakeLambdaContext())
            return json.dumps(result), False, ""
        except Exception as error:
            return json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}), True, ""
        finally:
            self._running_task = None

    def run_flow(self, delivery: dict[str, Any], faults: FlowFaults = FlowFaults()) -> Execution:
        """Start the execution EventBridge would start for ``delivery`` and wait for its end."""
        flow_input = render(self.config.high_value_input, delivery)
        self._failing_step = faults.failing_step
        self._throttle_workflow, self._throttle_in = faults.throttled_calls, faults.storm_step
        sfn = self.client("stepfunctions")
        try:
            arn = sfn.start_execution(
                stateMachineArn=self._state_machine_arn, name=uuid.uuid4().hex, input=json.dumps(flow_input)
            )["executionArn"]
            deadline = time.monotonic() + 60
            while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
                if time.monotonic() > deadline:
                    raise AssertionError(f"execution for {flow_input} did not finish in 60 s")
                time.sleep(0.002)
        finally:
            self._failing_step, self._throttle_workflow = None, 0
        history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        states = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        execution = Execution(arn, flow_input["order_id"], described["status"], described.get("error"), states)
        self.observed.executions.append(execution)
        # moto draws a request id per response from its seeded random: how often the loop above polled
        # depends on thread timing, so the ids after a flow would differ from one replay to the next.
        mock_random.seed(len(self.observed.executions))
        return execution

    def run_pending_flow(self, index: int, faults: FlowFaults = FlowFaults()) -> Execution | None:
        pending = self.observed.pending_flows
        return self.run_flow(pending.pop(index % len(pending)), faults) if pending else None

    def deliver_to_flow_again(self, index: int) -> None:
        """EventBridge delivers an event it delivered before again (at-least-once)."""
        routed = self.observed.high_value_deliveries
        if routed:
            self.observed.pending_flows.append(routed[index % len(routed)])

    def replay_archive(self) -> None:
        """A replay of the whole archive: the high-value rule delivers every archived event it matches again."""
        matched = {event["id"] for event in self.observed.high_value_deliveries}
        self.observed.pending_flows.extend(e for e in self.observed.bus_events if e["id"] in matched)

    # --- operators -----------------------------------------------------------------------------

    def redrive(self, dead_letter_queue: str) -> int:
        """Move every message of ``dead_letter_queue`` back to its source queue (as StartMessageMoveTask does)."""
        source = next(q for q in self.config.queues.values() if q.dead_letter_queue == dead_letter_queue)
        sqs, moved = self.client("sqs"), 0
        while True:
            batch = sqs.receive_message(
                QueueUrl=self.queue_url(dead_letter_queue),
                MaxNumberOfMessages=10,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                return moved
            for message in batch:
                params: dict[str, Any] = {
                    "QueueUrl": self.queue_url(source.name),
                    "MessageBody": message["Body"],
                    "MessageAttributes": message.get("MessageAttributes", {}),
                }
                if source.fifo:
                    params["MessageGroupId"] = message["Attributes"]["MessageGroupId"]
                    params["MessageDeduplicationId"] = message["MessageId"]
                sqs.send_message(**params)
                sqs.delete_message(QueueUrl=self.queue_url(dead_letter_queue), ReceiptHandle=message["ReceiptHandle"])
                moved += 1

    # --- observation ---------------------------------------------------------------------------

    def observe(self) -> None:
        """Take in what the spies saw since the last look (publications, bus events, rule deliveries)."""
        for body, attributes in self._drain("spy-order-events"):
            self.observed.published.append((json.loads(body), attributes))
        for body, _ in self._drain("spy-archive"):
            self.observed.bus_events.append(json.loads(body))
        for body, _ in self._drain("spy-high-value"):
            self.observed.high_value_deliveries.append(json.loads(body))
            self.observed.pending_flows.append(json.loads(body))

    def _drain(self, queue: str) -> list[tuple[str, dict[str, str]]]:
        backend = sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[queue]
        found = [
            (message.body, {name: value["StringValue"] for name, value in message.message_attributes.items()})
            for message in backend._messages
        ]
        backend._messages = []
        return found

    def messages_in(self, queue: str) -> list[Any]:
        """The messages a queue holds (visible or not), read from moto's backend without receiving them."""
        return list(sqs_backends[DEFAULT_ACCOUNT_ID][REGION].queues[queue]._messages)

    def depth(self, queue: str) -> int:
        return len(self.messages_in(queue))

    def visible(self, queue: str) -> int:
        return sum(1 for message in self.messages_in(queue) if message.visible and not message.delayed)

    def dead_letter_queues(self) -> list[str]:
        return sorted({q.dead_letter_queue for q in self.config.queues.values() if q.dead_letter_queue})

    def scan(self, table: str) -> list[dict[str, Any]]:
        """Every item of ``table``, read from moto's backend (what a consistent scan returns, without the API)."""
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table)
        return [
            {name: _deserialize(value) for name, value in item.to_json()["Attributes"].items()}
            for item in backend.all_items()
        ]

    def lake(self) -> list[tuple[str, dict[str, Any]]]:
        """(key, line) of every current object of the data lake, read from moto's backend."""
        bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets[BUCKET]
        return [(name, json.loads(key.value)) for name, key in bucket.keys.items() if key is not None]

    def record_balance_traffic(self) -> None:
        """Follow balance updates: payment's sends (per group, in order) and the ledger's applications."""

        def sent(params: dict[str, Any], **_: Any) -> None:
            self._pending_send = params

        def sent_done(http_response: Any, model: Any, **_: Any) -> None:
            params = getattr(self, "_pending_send", None)
            self._pending_send = None
            if (
                params
                and http_response.status_code < 300
                and params.get("QueueUrl", "").endswith("balance-updates.fifo")
            ):
                body = json.loads(params["MessageBody"])
                self.observed.balance_sent[params["MessageGroupId"]].append((body["transaction_id"], body))
            if params and http_response.status_code < 300 and params.get("QueueUrl", "").endswith("-dlq.fifo"):
                self.observed.dead_lettered_transactions.add(
                    json.loads(params["MessageBody"]).get("transaction_id", "")
                )

        def applied(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["world_transaction"] = params["TransactItems"][0]["Put"]["Item"]

        def applied_done(http_response: Any, context: dict[str, Any], **_: Any) -> None:
            item = context.get("world_transaction")
            if item is not None and http_response.status_code < 300:
                self.observed.applied[item["account_id"]["S"]].append(item["entry"]["S"].removeprefix("TXN#"))

        def announcing(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["world_announcement"] = params

        def announced(http_response: Any, model: Any, context: dict[str, Any], **_: Any) -> None:
            params = context.get("world_announcement")
            if params is None or http_response.status_code >= 300:
                return
            if model.name == "Publish":
                events_made = [("published", json.loads(params["Message"]))]
            else:
                events_made = [("put_on_bus", json.loads(entry["Detail"])) for entry in params.get("Entries", [])]
            orders = {item["order_id"]: item for item in self.scan("orders")}
            for mark, event in events_made:
                if event.get("event_id") in (orders.get(event.get("order_id"), {}).get(mark) or ()):
                    self.observed.announced_after_marked.append(f"{model.name} of {event.get('event_id')}")

        events = self.session.events
        for operation in ("sns.Publish", "events.PutEvents"):
            events.register(f"before-parameter-build.{operation}", announcing)
            events.register(f"after-call.{operation}", announced)
        events.register("before-parameter-build.sqs.SendMessage", sent)
        events.register("after-call.sqs.SendMessage", sent_done)
        events.register("before-parameter-build.dynamodb.TransactWriteItems", applied)
        events.register("after-call.dynamodb.TransactWriteItems", applied_done)


#: The characters SQS accepts in a message body and attribute values (SNS delivers to SQS, so the same):
#: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html ("Any
#: characters not included in this list will be rejected"). moto accepts anything.
_SQS_CHARACTERS = re.compile("[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*")


def _refuse_what_aws_refuses(model: Any, params: dict[str, Any], **_: Any) -> None:
    service = model.service_model.service_name
    texts = [params.get("MessageBody") or params.get("Message") or ""]
    texts += [value.get("StringValue", "") for value in (params.get("MessageAttributes") or {}).values()]
    for text in texts:
        if not _SQS_CHARACTERS.fullmatch(text):
            code = "InvalidMessageContents" if service == "sqs" else "InvalidParameter"
            raise ClientError({"Error": {"Code": code, "Message": "Invalid characters found"}}, model.name)


class _NoWait:
    """``time`` for moto's Step Functions retrier: the definition's waits take no time here."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        return None


__all__ = [
    "EXPIRES_AT_ATTRIBUTE",
    "FAULT_KINDS",
    "OPERATIONS",
    "Fault",
    "FlowFaults",
    "LambdaKilled",
    "Outage",
    "World",
]
