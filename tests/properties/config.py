"""What the generated histories run on: the pipeline as the synthesized templates declare it.

Queues (FIFO or not, visibility timeout, retention, maxReceiveCount, their DLQ), the subscriptions
of the order-events topic (filter policy, scope, raw delivery), the consumers' event source
mappings (batch size) and environment (MAX_ATTEMPTS), the high-value rule (pattern and
InputTransformer) and the state machine's definition: all read from ``cdk.out``, so the histories
judge the configuration that would be deployed, not a copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.cdk_app import SynthesizedApp

#: Handler module of each consumer, by the queue its mapping reads.
CONSUMER_OF_QUEUE = {
    "order-processing": "order_processor",
    "payment-processing": "payment",
    "notification-service": "notification",
    "analytics-ingestion": "analytics",
    "balance-updates.fifo": "balance_updater",
}


@dataclass(frozen=True)
class QueueConfig:
    name: str
    fifo: bool
    visibility_timeout: int
    retention_seconds: int
    max_receive_count: int | None
    dead_letter_queue: str | None
    attributes: dict[str, str]


@dataclass(frozen=True)
class SubscriptionConfig:
    queue: str
    filter_policy: dict[str, Any] | None
    scope: str | None
    raw: bool


@dataclass(frozen=True)
class ConsumerConfig:
    module: str
    queue: str
    batch_size: int
    environment: dict[str, str]

    @property
    def max_attempts(self) -> int:
        return int(self.environment["MAX_ATTEMPTS"])


@dataclass(frozen=True)
class PipelineConfig:
    queues: dict[str, QueueConfig]
    subscriptions: list[SubscriptionConfig]
    consumers: dict[str, ConsumerConfig]
    high_value_pattern: dict[str, Any]
    high_value_input: dict[str, Any]
    archive_pattern: dict[str, Any]
    state_machine_definition: list[Any]
    compensation_queue: str

    @classmethod
    def from_app(cls, app: SynthesizedApp) -> PipelineConfig:
        processing = app.templates["OrdersProcessing"]["Resources"]
        orchestration = app.templates["OrdersOrchestration"]["Resources"]
        queues: dict[str, QueueConfig] = {}
        names: dict[str, str] = {}
        for resources in (processing, orchestration):
            for logical_id, resource in resources.items():
                if resource["Type"] == "AWS::SQS::Queue":
                    names[logical_id] = resource["Properties"]["QueueName"]
        for resources in (processing, orchestration):
            for resource in resources.values():
                if resource["Type"] != "AWS::SQS::Queue":
                    continue
                props = resource["Properties"]
                redrive = props.get("RedrivePolicy")
                attributes = {
                    key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
                    for key in (
                        "FifoQueue",
                        "DeduplicationScope",
                        "FifoThroughputLimit",
                        "ContentBasedDeduplication",
                        "MaximumMessageSize",
                    )
                    if key in props
                }
                queues[props["QueueName"]] = QueueConfig(
                    name=props["QueueName"],
                    fifo=bool(props.get("FifoQueue")),
                    visibility_timeout=int(props.get("VisibilityTimeout", 30)),
                    retention_seconds=int(props.get("MessageRetentionPeriod", 345_600)),
                    max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
                    dead_letter_queue=names[redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]] if redrive else None,
                    attributes=attributes,
                )
        subscriptions = [
            SubscriptionConfig(
                queue=names[r["Properties"]["Endpoint"]["Fn::GetAtt"][0]],
                filter_policy=r["Properties"].get("FilterPolicy"),
                scope=r["Properties"].get("FilterPolicyScope"),
                raw=bool(r["Properties"].get("RawMessageDelivery")),
            )
            for r in processing.values()
            if r["Type"] == "AWS::SNS::Subscription"
        ]
        consumers: dict[str, ConsumerConfig] = {}
        for resource in processing.values():
            if resource["Type"] != "AWS::Lambda::EventSourceMapping":
                continue
            props = resource["Properties"]
            queue = names[props["EventSourceArn"]["Fn::GetAtt"][0]]
            function = processing[props["FunctionName"]["Ref"]]["Properties"]
            module = CONSUMER_OF_QUEUE[queue]
            assert function["Handler"] == f"orders_functions.{module}.handler.lambda_handler"
            environment = {
                name: value for name, value in function["Environment"]["Variables"].items() if isinstance(value, str)
            }
            consumers[module] = ConsumerConfig(module, queue, int(props.get("BatchSize", 10)), environment)
        (rule,) = [r["Properties"] for r in orchestration.values() if r["Type"] == "AWS::Events::Rule"]
        (archive,) = [r["Properties"] for r in orchestration.values() if r["Type"] == "AWS::Events::Archive"]
        (machine,) = [
            r["Properties"] for r in orchestration.values() if r["Type"] == "AWS::StepFunctions::StateMachine"
        ]
        (compensation,) = [name for name in queues if name.startswith("order-flow-compensation") and "dlq" not in name]
        return cls(
            queues=queues,
            subscriptions=subscriptions,
            consumers=consumers,
            high_value_pattern=rule["EventPattern"],
            high_value_input=rule["Targets"][0]["InputTransformer"],
            archive_pattern=archive["EventPattern"],
            state_machine_definition=machine["DefinitionString"]["Fn::Join"][1],
            compensation_queue=compensation,
        )
