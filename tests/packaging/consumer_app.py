"""A small app of someone who installed the event-constructs wheel: it uses every public construct.

Run by tests/packaging/test_wheel.py in a virtual environment where nothing of this
repository is importable; it prints where event_constructs came from and the stacks it wrote.
"""

import json
import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn

import event_constructs
import event_runtime
from event_constructs import (
    EventQueue,
    EventRouter,
    FanOutTopic,
    InputMapping,
    InvalidPropsError,
    QueueConsumer,
    ServiceFunction,
    Subscriber,
    powertools_layer_arn,
)


def main(outdir: str) -> None:
    code = lambda_.Code.from_inline("def handler(event, context):\n    return {'batchItemFailures': []}\n")

    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "ConsumerApp")

    jobs = EventQueue(
        stack, "Jobs", queue_name="jobs", fifo=True, high_throughput=True, visibility_timeout=cdk.Duration.seconds(180)
    )
    worker = QueueConsumer(stack, "Worker", queue=jobs, code=code, handler="index.handler")
    legacy = EventQueue.from_existing(
        stack,
        "Legacy",
        queue=sqs.Queue.from_queue_arn(stack, "LegacyQueue", "arn:aws:sqs:eu-west-1:111122223333:legacy"),
        dead_letter_queue=sqs.Queue.from_queue_arn(stack, "LegacyDlq", "arn:aws:sqs:eu-west-1:111122223333:legacy-dlq"),
        visibility_timeout=cdk.Duration.seconds(300),
        max_receive_count=5,
    )
    QueueConsumer(stack, "LegacyWorker", queue=legacy, function=worker.function, timeout=cdk.Duration.seconds(30))

    events_topic = FanOutTopic(
        stack,
        "Events",
        topic_name="events",
        subscribers=[
            Subscriber("billing", attribute_filter={"kind": ["invoice"]}),
            Subscriber("fraud", body_filter={"amount": [{"numeric": [">", 10000]}]}),
        ],
    )
    events_topic.grant_publish(worker.function)
    FanOutTopic(
        stack,
        "LegacyFanOut",
        subscribers=[Subscriber("audit")],
        topic=sns.Topic.from_topic_arn(stack, "LegacyTopic", "arn:aws:sns:eu-west-1:111122223333:old"),
    )

    task = ServiceFunction(stack, "Task", code=code, handler="index.handler", invoked_by="the flow")
    flow = sfn.StateMachine(stack, "Flow", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "Start")))
    router = EventRouter(
        stack,
        "Bus",
        bus_name="shop",
        archive_name="shop-archive",
        archive_pattern=events.EventPattern(source=["shop"]),
        archive_retention=cdk.Duration.days(7),
    )
    rule = router.add_rule("Big", rule_name="big", pattern=events.EventPattern(source=["shop"]))
    router.add_state_machine_target(rule, flow, input_mapping=InputMapping(paths={"id": "$.detail.id"}))
    router.grant_put_events(task.function)
    EventRouter(stack, "LegacyBus", bus=events.EventBus.from_event_bus_name(stack, "Old", "old-bus"))

    try:
        EventQueue(stack, "Broken", queue_name="broken.fifo", max_receive_count=0)
    except InvalidPropsError as error:
        refused = len(error.problems)

    assembly = app.synth()
    resources = assembly.get_stack_by_name("ConsumerApp").template["Resources"]
    (runtime_layer,) = [r for r in resources.values() if r["Type"] == "AWS::Lambda::LayerVersion"]
    asset_hash = runtime_layer["Properties"]["Content"]["S3Key"].removesuffix(".zip")
    layer_dir = Path(assembly.directory) / f"asset.{asset_hash}"
    print(
        json.dumps(
            {
                "event_constructs": event_constructs.__file__,
                "event_runtime": event_runtime.__file__,
                "runtime_layer_holds": next(str(path.relative_to(layer_dir)) for path in layer_dir.rglob("batch.py")),
                "version": event_constructs.__version__,
                "stacks": [s.stack_name for s in assembly.stacks],
                "resources": len(assembly.get_stack_by_name("ConsumerApp").template["Resources"]),
                "refused_problems": refused,
                "layer": cdk.Stack.of(stack).resolve(powertools_layer_arn(stack)) is not None,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
