"""Constructs for event-driven systems on AWS: queues with DLQs, their Lambda consumers and
long-running Fargate workers, SNS fan-out, and EventBridge routing. Their defaults are in
:mod:`event_constructs.defaults`.

Example:
    >>> import aws_cdk as cdk
    >>> from event_constructs import EventQueue
    >>> stack = cdk.Stack(cdk.App(), "Example")
    >>> EventQueue(stack, "Orders", queue_name="orders").dead_letter_queue_name
    'orders-dlq'
"""

from event_constructs._validation import InvalidPropsError
from event_constructs.cfn_hygiene import drop_implied_dependency
from event_constructs.event_queue import EventQueue, ExistingEventQueue, QueueWithDeadLetterQueue
from event_constructs.event_router import EventRouter
from event_constructs.fan_out import FanOutTopic, Subscriber
from event_constructs.filters import filter_policy_problems
from event_constructs.input_transform import InputMapping, input_template_problems
from event_constructs.keys import rotating_key
from event_constructs.monitoring import AlarmThresholds, EventMonitoring
from event_constructs.powertools import (
    DEFAULT_ARCHITECTURE,
    DEFAULT_RUNTIME,
    POWERTOOLS_LAYER_VERSION,
    POWERTOOLS_VERSION,
    powertools_layer,
    powertools_layer_arn,
)
from event_constructs.queue_consumer import QueueConsumer, backstop_receive_count
from event_constructs.queue_worker_service import QueueWorkerService
from event_constructs.runtime_layer import runtime_layer
from event_constructs.service_function import ServiceFunction

__all__ = [
    "DEFAULT_ARCHITECTURE",
    "DEFAULT_RUNTIME",
    "POWERTOOLS_LAYER_VERSION",
    "POWERTOOLS_VERSION",
    "AlarmThresholds",
    "EventMonitoring",
    "EventQueue",
    "EventRouter",
    "ExistingEventQueue",
    "FanOutTopic",
    "InputMapping",
    "InvalidPropsError",
    "QueueConsumer",
    "QueueWithDeadLetterQueue",
    "QueueWorkerService",
    "ServiceFunction",
    "Subscriber",
    "backstop_receive_count",
    "drop_implied_dependency",
    "filter_policy_problems",
    "input_template_problems",
    "powertools_layer",
    "powertools_layer_arn",
    "rotating_key",
    "runtime_layer",
]

__version__ = "0.2.0"
