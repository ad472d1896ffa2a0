"""The app's choreography as an AsyncAPI 3.0 document, drawn from ``cdk.out`` and the message schemas.

``make asyncapi`` (``python -m schemas.asyncapi --cdk-out cdk.out``) writes ``docs/asyncapi.yaml``;
``tests/schemas/test_asyncapi.py`` validates it against the official AsyncAPI 3.0 JSON Schema (the
``@asyncapi/specs`` package, pinned in package.json) and fails when it is stale.

What it holds, all read from the synthesized templates (nothing re-stated by hand):

- a channel per queue (``order-processing``, each subscriber queue, ``balance-updates.fifo``), with
  its SQS binding (FIFO settings, visibility, retention, redrive to its DLQ);
- the ``order-events`` topic, with its SNS binding, and the publish operation's subscribers (each with
  its filter policy, raw delivery and delivery DLQ);
- the ``orders`` bus and the high-value rule (its event pattern, as ``x-eventbridge``: AsyncAPI has no
  EventBridge binding), and the state machine it starts;
- an operation for every sender and receiver (the functions, by their handler, SNS, the rule);
- the messages with their payload schemas (``schemas/generate.py``'s, ``$defs`` lifted into
  ``components.schemas``).

The SNS binding's ``filterPolicy`` admits only strings in a policy's lists, so a policy with an
operator (``prefix``, ``numeric``, ``exists``) is given exactly as SNS takes it under
``x-filterPolicy`` instead.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from schemas.generate import ROOT, message_schemas

DOCUMENT = ROOT / "docs" / "asyncapi.yaml"
#: Which message travels where (by queue, topic, bus or state machine name), and who sends it.
MESSAGES = {
    "order-processing": ("OrderMessage", "order-message"),
    "order-events": ("OrderEvent", "order-event"),
    "payment-processing": ("OrderEvent", "order-event"),
    "notification-service": ("OrderEvent", "order-event"),
    "analytics-ingestion": ("OrderEvent", "order-event"),
    "balance-updates.fifo": ("BalanceUpdate", "balance-update"),
    "orders": ("OrderCreated", "order-created"),
    "high-value-order-flow": ("FlowInput", "flow-input"),
}
SENDERS = {
    "order-processing": ("any order producer (the roles in cdk.json's order_producers)", None),
    "order-events": ("order_processor", "orders_functions.order_processor.handler.lambda_handler"),
    "balance-updates.fifo": ("payment", "orders_functions.payment.handler.lambda_handler"),
    "orders": ("order_processor", "orders_functions.order_processor.handler.lambda_handler"),
}
MESSAGE_NOTES = {
    "BalanceUpdate": "Sent with MessageGroupId = account_id (updates of one account in order) and "
    "MessageDeduplicationId = transaction_id (<order>.charge or <order>.refund).",
    "OrderEvent": "Deduplicate on event_id, never on an SNS or SQS message id. Attributes: event_type, "
    "correlation_id, amount (Number, when the event has one), internal ('true' on internal events only).",
}


def _camel(name: str) -> str:
    parts = name.replace(".fifo", "-fifo").replace("_", "-").split("-")
    return parts[0] + "".join(part.capitalize() for part in parts[1:])


def _as_asyncapi(schema: Any) -> Any:
    """A JSON Schema as AsyncAPI's Schema Object has it: ``discriminator`` is the property's name only."""
    if isinstance(schema, list):
        return [_as_asyncapi(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    found = {key: _as_asyncapi(value) for key, value in schema.items()}
    if isinstance(found.get("discriminator"), dict):
        found["discriminator"] = found["discriminator"]["propertyName"]
    return found


def _lift_defs(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` moved into ``components`` and its references rewritten to them."""
    schema = _as_asyncapi(schema)
    for name, definition in (schema.pop("$defs", None) or {}).items():
        components[name] = definition
    schema.pop("$schema", None)
    text = json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/')
    for name in list(components):
        components[name] = json.loads(json.dumps(components[name]).replace('"#/$defs/', '"#/components/schemas/'))
    return dict(json.loads(text))


class _Templates:
    def __init__(self, templates: dict[str, dict[str, Any]]) -> None:
        self.resources = [(lid, r) for t in templates.values() for lid, r in t["Resources"].items()]
        self.by_id = dict(self.resources)

    def of(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(lid, r["Properties"]) for lid, r in self.resources if r["Type"] == kind]

    def queue_name(self, reference: Any) -> str:
        logical_id = reference["Fn::GetAtt"][0] if isinstance(reference, dict) else reference
        return str(self.by_id[logical_id]["Properties"]["QueueName"])


def _queue(props: dict[str, Any], templates: _Templates) -> dict[str, Any]:
    queue: dict[str, Any] = {"name": props["QueueName"], "fifoQueue": bool(props.get("FifoQueue", False))}
    for source, target in (
        ("DeduplicationScope", "deduplicationScope"),
        ("FifoThroughputLimit", "fifoThroughputLimit"),
        ("VisibilityTimeout", "visibilityTimeout"),
        ("ReceiveMessageWaitTimeSeconds", "receiveMessageWaitTime"),
        ("MessageRetentionPeriod", "messageRetentionPeriod"),
    ):
        if source in props:
            queue[target] = props[source]
    redrive = props.get("RedrivePolicy")
    if redrive:
        queue["redrivePolicy"] = {
            "deadLetterQueue": {"name": templates.queue_name(redrive["deadLetterTargetArn"])},
            "maxReceiveCount": redrive["maxReceiveCount"],
        }
    return queue


def document(templates: dict[str, dict[str, Any]], version: str) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the app whose synthesized templates are ``templates``."""
    cfn = _Templates(templates)
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    by_name = {schema.name: schema for schema in message_schemas()}
    for message, schema_name in sorted(set(MESSAGES.values())):
        schemas[message] = _lift_defs(by_name[schema_name].make(), schemas)
        messages[message] = {
            "name": message,
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{message}"},
            **({"description": MESSAGE_NOTES[message]} if message in MESSAGE_NOTES else {}),
        }

    queues = {props["QueueName"]: props for _, props in cfn.of("AWS::SQS::Queue")}
    consumers = {}
    functions = {lid: props for lid, props in cfn.of("AWS::Lambda::Function")}
    for _, mapping in cfn.of("AWS::Lambda::EventSourceMapping"):
        consumers[cfn.queue_name(mapping["EventSourceArn"])] = functions[mapping["FunctionName"]["Ref"]]["Handler"]

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}

    def message_ref(message: str) -> dict[str, Any]:
        return {message: {"$ref": f"#/components/messages/{message}"}}

    for name in (
        "order-processing",
        "payment-processing",
        "notification-service",
        "analytics-ingestion",
        "balance-updates.fifo",
    ):
        props = queues[name]
        message = MESSAGES[name][0]
        dead = props["RedrivePolicy"]["deadLetterTargetArn"] if "RedrivePolicy" in props else None
        binding: dict[str, Any] = {"queue": _queue(props, cfn), "bindingVersion": "0.2.0"}
        if dead is not None:
            binding["deadLetterQueue"] = _queue(cfn.by_id[dead["Fn::GetAtt"][0]]["Properties"], cfn)
        channel = _camel(name)
        channels[channel] = {
            "address": name,
            "title": f"SQS queue {name}",
            "messages": message_ref(message),
            "bindings": {"sqs": binding},
        }
        operations[f"receiveFrom{channel[0].upper()}{channel[1:]}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"{consumers[name]} consumes {name} (Lambda event source mapping, partial batch responses)",
            "messages": [{"$ref": f"#/channels/{channel}/messages/{message}"}],
        }
        if name in SENDERS:
            who, _ = SENDERS[name]
            operations[f"sendTo{channel[0].upper()}{channel[1:]}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{channel}"},
                "summary": f"{who} sends to {name}",
                "messages": [{"$ref": f"#/channels/{channel}/messages/{message}"}],
            }

    subscriptions = cfn.of("AWS::SNS::Subscription")
    (topic_id,) = {subscription["TopicArn"]["Ref"] for _, subscription in subscriptions}  # the fan-out topic
    topic_name = cfn.by_id[topic_id]["Properties"]["TopicName"]
    channels["orderEvents"] = {
        "address": topic_name,
        "title": f"SNS topic {topic_name}",
        "messages": message_ref("OrderEvent"),
        "bindings": {"sns": {"name": topic_name, "ordering": {"type": "standard"}, "bindingVersion": "0.1.0"}},
    }
    subscribers = []
    for _, subscription in subscriptions:
        policy = subscription.get("FilterPolicy")
        consumer: dict[str, Any] = {
            "protocol": subscription["Protocol"],
            "endpoint": {"name": cfn.queue_name(subscription["Endpoint"])},
            "rawMessageDelivery": bool(subscription.get("RawMessageDelivery", False)),
        }
        if policy is not None:
            plain = all(
                isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
                for v in policy.values()
            )
            consumer["filterPolicy" if plain else "x-filterPolicy"] = policy
            consumer["filterPolicyScope"] = subscription.get("FilterPolicyScope", "MessageAttributes")
        if subscription.get("RedrivePolicy"):
            consumer["redrivePolicy"] = {
                "deadLetterQueue": {"name": cfn.queue_name(subscription["RedrivePolicy"]["deadLetterTargetArn"])}
            }
        subscribers.append(consumer)
    operations["publishOrderEvent"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/orderEvents"},
        "summary": f"{SENDERS['order-events'][0]} announces each stored fact of an order once per event id; "
        "SNS delivers it to each subscriber whose filter it passes",
        "messages": [{"$ref": "#/channels/orderEvents/messages/OrderEvent"}],
        "bindings": {
            "sns": {"consumers": sorted(subscribers, key=lambda c: c["endpoint"]["name"]), "bindingVersion": "0.1.0"}
        },
    }

    (bus,) = [props for _, props in cfn.of("AWS::Events::EventBus")]
    rules = [
        {
            "name": props["Name"],
            "eventPattern": props["EventPattern"],
            "targets": [target["Id"] for target in props.get("Targets", [])],
            **({"inputTransformer": props["Targets"][0]["InputTransformer"]} if props.get("Targets") else {}),
        }
        for _, props in cfn.of("AWS::Events::Rule")
    ]
    channels["ordersBus"] = {
        "address": bus["Name"],
        "title": f"EventBridge bus {bus['Name']}",
        "messages": message_ref("OrderCreated"),
        "x-eventbridge": {"bus": bus["Name"], "rules": rules},
    }
    operations["putOrderCreated"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/ordersBus"},
        "summary": "order_processor puts each new order on the bus as OrderCreated (source com.myapp.orders), once",
        "messages": [{"$ref": "#/channels/ordersBus/messages/OrderCreated"}],
    }
    (machine,) = [props for _, props in cfn.of("AWS::StepFunctions::StateMachine")]
    machine_name = machine["StateMachineName"]
    operations["routeHighValueOrders"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/ordersBus"},
        "summary": "the rules of the bus match OrderCreated events and start their targets (see x-eventbridge)",
        "messages": [{"$ref": "#/channels/ordersBus/messages/OrderCreated"}],
    }
    channels["highValueOrderFlow"] = {
        "address": machine_name,
        "title": f"Step Functions state machine {machine_name} (the input of each execution)",
        "messages": message_ref("FlowInput"),
    }
    operations["startHighValueOrderFlow"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/highValueOrderFlow"},
        "summary": f"{machine_name} runs for each high-value OrderCreated, with the input the rule renders",
        "messages": [{"$ref": "#/channels/highValueOrderFlow/messages/FlowInput"}],
    }

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Event-driven orders",
            "version": version,
            "description": "Drawn from cdk.out by schemas/asyncapi.py (make asyncapi): the queues, the fan-out "
            "topic and its filtered subscriptions, the bus and its high-value rule, who sends and who receives, "
            "and every message's schema. Do not edit by hand.",
        },
        "defaultContentType": "application/json",
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"schemas": dict(sorted(schemas.items())), "messages": dict(sorted(messages.items()))},
    }


def render(templates: dict[str, dict[str, Any]], version: str) -> str:
    return yaml.safe_dump(document(templates, version), sort_keys=False, width=120, allow_unicode=True)


def read_templates(cdk_out: Path) -> dict[str, dict[str, Any]]:
    return {path.name.split(".")[0]: json.loads(path.read_text()) for path in sorted(cdk_out.glob("*.template.json"))}


def main(argv: list[str] | None = None) -> None:
    from event_constructs import __version__

    parser = argparse.ArgumentParser(description="Write docs/asyncapi.yaml from cdk.out")
    parser.add_argument("--cdk-out", type=Path, default=ROOT / "cdk.out")
    parser.add_argument("--output", type=Path, default=DOCUMENT)
    args = parser.parse_args(argv)
    args.output.write_text(render(read_templates(args.cdk_out), __version__))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
