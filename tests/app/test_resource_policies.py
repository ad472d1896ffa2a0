"""Every resource policy and key policy of the app, evaluated for the flows the app intends, and for nothing else.

The local cloud evaluates no policies, so a policy that denies a flow the app needs (CloudWatch
publishing alarms, SNS delivering to an encrypted queue) or allows one it does not (another role
writing past a producer's checks) would pass every end-to-end test. Here each synthesized policy is
run through :mod:`tests.policies` (see there what the evaluator does not model):

- :data:`FLOWS`: each service-to-resource and function-to-resource flow, with the request context AWS
  sends (service principal, ``aws:SourceArn``, ``aws:SourceAccount``, TLS); each must be allowed.
- For every resource policy, requests from every service principal the app knows, in every context
  (the intended source, another source of the same kind, none; TLS on and off), are allowed exactly
  when a flow says so; a principal of another account never; without TLS, nothing.
- The entry points (the order queue, the topic, its subscriber queues, the balance queue, the bus)
  accept writes only from their producers and the operators: any other role of the account is
  denied, whatever its own policies allow.
- Each role may be assumed by the service that runs it, and by nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.cdk_app import SynthesizedApp
from tests.policies import (
    ACCOUNT,
    OTHER_ACCOUNT,
    PARTITION,
    REGION,
    Deployment,
    Request,
    Role,
    Service,
    describe,
    evaluate,
)

SNS = Service("sns.amazonaws.com")
EVENTS = Service("events.amazonaws.com")
CLOUDWATCH = Service("cloudwatch.amazonaws.com")
LOGS = Service(f"logs.{REGION}.amazonaws.com")
S3_LOGGING = Service("logging.s3.amazonaws.com")
SERVICES = [
    SNS,
    EVENTS,
    CLOUDWATCH,
    LOGS,
    S3_LOGGING,
    Service("s3.amazonaws.com"),
    Service("lambda.amazonaws.com"),
    Service("states.amazonaws.com"),
    Service("sqs.amazonaws.com"),
    Service("ecs-tasks.amazonaws.com"),
    Service("vpc-flow-logs.amazonaws.com"),
]
#: The resource on whose behalf each service assumes a role (``aws:SourceArn``), where a trust policy asks.
SOURCE_OF_SERVICE = {
    "states.amazonaws.com": f"arn:{PARTITION}:states:{REGION}:{ACCOUNT}:stateMachine:x",
    "ecs-tasks.amazonaws.com": f"arn:{PARTITION}:ecs:{REGION}:{ACCOUNT}:task/workers/0123456789abcdef",
}
OPERATOR = Role(f"arn:{PARTITION}:iam::{ACCOUNT}:role/orders-dev-operator")
ORDER_PRODUCER = Role(f"arn:{PARTITION}:iam::{ACCOUNT}:role/orders-dev-order-producer")
SOMEONE_ELSE = Role(f"arn:{PARTITION}:iam::{ACCOUNT}:role/someone-else-with-admin-rights")
OUTSIDER = Role(f"arn:{PARTITION}:iam::{OTHER_ACCOUNT}:role/outsider")
#: What each kind of resource is asked, by probes: the writes and reads that matter, and policy changes.
ACTIONS = {
    "sqs": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:PurgeQueue", "sqs:SetQueueAttributes"],
    "sns": ["sns:Publish", "sns:Subscribe", "sns:SetTopicAttributes", "sns:AddPermission"],
    "events": ["events:PutEvents", "events:PutRule", "events:PutTargets"],
    "kms": ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:CreateGrant", "kms:PutKeyPolicy"],
    "s3": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:PutBucketPolicy"],
}
WRITES = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "events": "events:PutEvents"}


@dataclass(frozen=True)
class Flow:
    """An intended flow: ``principal`` may do ``actions`` to ``resource`` when the request carries ``context``."""

    what: str
    principal: Service | Role
    actions: tuple[str, ...]
    resource: str
    context: dict[str, str] = field(default_factory=dict)

    def requests(self) -> Iterator[Request]:
        return (Request(self.principal, action, self.resource, self.context) for action in self.actions)


@pytest.fixture(scope="module")
def deployment(dev_app: SynthesizedApp) -> Deployment:
    return Deployment(dev_app.templates)


def queue(d: Deployment, name: str) -> str:
    return d.named("AWS::SQS::Queue", name).arn


def key(d: Deployment, logical_prefix: str) -> str:
    return d.named("AWS::KMS::Key", logical_prefix).arn


def function_role(d: Deployment, handler: str) -> Role:
    return d.role_of_function(handler)


def assumed_by(d: Deployment, service: str) -> list[Role]:
    return [
        Role(r.arn)
        for r in d.of_type("AWS::IAM::Role")
        if any(
            service in str(s.get("Principal", {}).get("Service", ""))
            for s in d.resolve(r.stack, r.properties["AssumeRolePolicyDocument"])["Statement"]
        )
    ]


SUBSCRIBERS = ("payment-processing", "notification-service", "analytics-ingestion")
CONSUMERS = {
    "order-processing": "orders_functions.order_processor.handler.lambda_handler",
    "balance-updates.fifo": "orders_functions.balance_updater.handler.lambda_handler",
    "payment-processing": "orders_functions.payment.handler.lambda_handler",
    "notification-service": "orders_functions.notification.handler.lambda_handler",
    "analytics-ingestion": "orders_functions.analytics.handler.lambda_handler",
}


def flows(d: Deployment) -> list[Flow]:
    """The table of intended flows, resolved into the deployment's ARNs."""
    topic = d.named("AWS::SNS::Topic", "order-events").arn
    alarm_topic = d.named("AWS::SNS::Topic", "orders-dev-alarms").arn
    rule = d.named("AWS::Events::Rule", "high-value-order-routing").arn
    bus = d.named("AWS::Events::EventBus", "orders").arn
    machine = d.named("AWS::StepFunctions::StateMachine", "high-value-order-flow").arn
    lake = d.named("AWS::S3::Bucket", "DataLakeE").arn
    logs_bucket = d.named("AWS::S3::Bucket", "DataLakeAccessLogs").arn
    log_group = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:/aws/vendedlogs/states/high-value-order-flow"
    alarm = f"arn:{PARTITION}:cloudwatch:{REGION}:{ACCOUNT}:alarm:orders-dev-OrdersProcessing-Queue-Message-Age"
    order_processor = function_role(d, CONSUMERS["order-processing"])
    payment = function_role(d, CONSUMERS["payment-processing"])
    (target_role,) = assumed_by(d, "events.amazonaws.com")
    (machine_role,) = assumed_by(d, "states.amazonaws.com")
    from_topic = {"aws:SourceArn": topic}
    table = [
        Flow(f"SNS delivers to {name}", SNS, ("sqs:SendMessage",), queue(d, name), from_topic) for name in SUBSCRIBERS
    ] + [
        Flow(f"SNS puts what it cannot deliver to {name} in its delivery DLQ", SNS, ("sqs:SendMessage",),
             queue(d, f"{name}-delivery-dlq"), from_topic)
        for name in SUBSCRIBERS
    ]  # fmt: skip
    return [
        *table,
        Flow("SNS encrypts for the subscriber queues", SNS, ("kms:GenerateDataKey", "kms:Decrypt"),
             key(d, "OrderEventsQueueKey"), from_topic),
        Flow("EventBridge puts what the flow did not take in the target DLQ", EVENTS, ("sqs:SendMessage",),
             queue(d, "high-value-order-routing-target-dlq"), {"aws:SourceArn": rule}),
        Flow("CloudWatch notifies the alarm topic", CLOUDWATCH, ("sns:Publish",), alarm_topic,
             {"aws:SourceArn": alarm, "aws:SourceAccount": ACCOUNT}),
        Flow("CloudWatch encrypts for the alarm topic", CLOUDWATCH, ("kms:GenerateDataKey", "kms:Decrypt"),
             key(d, "MonitoringAlarmKey"), {"aws:SourceArn": alarm, "aws:SourceAccount": ACCOUNT}),
        Flow("CloudWatch Logs encrypts the flow's execution logs", LOGS,
             ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"), key(d, "StateMachineLogKey"),
             {"kms:EncryptionContext:aws:logs:arn": log_group}),
        Flow("S3 writes the data lake's access logs", S3_LOGGING, ("s3:PutObject",),
             f"{logs_bucket}/data-lake/2026-12-02-00-00-00-0000",
             {"aws:SourceArn": lake, "aws:SourceAccount": ACCOUNT}),
        Flow("order_processor publishes order events", order_processor, ("sns:Publish",), topic),
        Flow("order_processor encrypts them", order_processor, ("kms:GenerateDataKey",), key(d, "OrderEventsTopicKey")),
        Flow("order_processor puts OrderCreated on the bus", order_processor, ("events:PutEvents",), bus),
        Flow("payment sends balance updates", payment, ("sqs:SendMessage",), queue(d, "balance-updates.fifo")),
        Flow("the rule's role starts the flow", target_role, ("states:StartExecution",), machine),
        Flow("the flow tells an operator", machine_role, ("sqs:SendMessage",),
             queue(d, "order-flow-compensation-failures")),
        *(
            Flow(f"{name}'s consumer receives and deletes", function_role(d, handler),
                 ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"), queue(d, name))
            for name, handler in CONSUMERS.items()
        ),
        *(
            Flow(f"{name}'s consumer dead-letters with a reason", function_role(d, handler), ("sqs:SendMessage",),
                 queue(d, name.replace(".fifo", "-dlq.fifo") if name.endswith(".fifo") else f"{name}-dlq"))
            for name, handler in CONSUMERS.items()
        ),
        *(
            Flow(f"{name}'s consumer decrypts what SNS delivered", function_role(d, CONSUMERS[name]),
                 ("kms:Decrypt",), key(d, "OrderEventsQueueKey"))
            for name in SUBSCRIBERS
        ),
    ]  # fmt: skip


def test_every_intended_flow_is_allowed(deployment: Deployment) -> None:
    refused = [
        f"{flow.what}: {describe(request)} -> {deployment.decide(request)}"
        for flow in flows(deployment)
        for request in flow.requests()
        if deployment.decide(request) != "allow"
    ]
    assert refused == []


def test_alarms_reach_their_topic_only_from_this_accounts_alarms_of_this_app(deployment: Deployment) -> None:
    """With only the TLS Deny in the topic policy (CDK's enforce_ssl), which replaces SNS's default policy,
    CloudWatch could not publish: every alarm fired and notified no one (issue 19)."""
    topic = deployment.named("AWS::SNS::Topic", "orders-dev-alarms").arn
    alarm = f"arn:{PARTITION}:cloudwatch:{REGION}:{ACCOUNT}:alarm:orders-dev-some-alarm"
    publish = Request(CLOUDWATCH, "sns:Publish", topic, {"aws:SourceArn": alarm, "aws:SourceAccount": ACCOUNT})
    assert deployment.decide(publish) == "allow"
    other_app = alarm.replace("orders-dev-", "billing-")
    other_account = alarm.replace(ACCOUNT, OTHER_ACCOUNT)
    assert deployment.decide(publish.within(**{"aws:SourceArn": other_app})) != "allow"
    assert (
        deployment.decide(publish.within(**{"aws:SourceArn": other_account, "aws:SourceAccount": OTHER_ACCOUNT}))
        != "allow"
    )
    assert deployment.decide(publish.within(**{"aws:SecureTransport": "false"})) == "deny"


def _contexts(intended: list[dict[str, str]]) -> list[dict[str, str]]:
    """The intended contexts, each with its source swapped for another of the same kind, and none at all."""
    found: list[dict[str, str]] = [{}]
    for context in intended:
        found.append(context)
        for name, value in context.items():
            if name.lower() in ("aws:sourcearn", "kms:encryptioncontext:aws:logs:arn"):
                found.append({**context, name: value.rsplit(":", 1)[0] + ":someone-elses"})
            if name.lower() == "aws:sourceaccount":
                found.append({**context, name: OTHER_ACCOUNT})
    return found


def _governs(resource: str, target: str) -> bool:
    """True when the policy of ``resource`` governs requests on ``target`` (itself, or a bucket's object)."""
    return target == resource or target.startswith(f"{resource}/")


def _probes(deployment: Deployment, resource: str) -> Iterator[Request]:
    kind = resource.split(":")[2]
    intended = [f.context for f in flows(deployment) if _governs(resource, f.resource)]
    target = next((f.resource for f in flows(deployment) if _governs(resource, f.resource)), resource)
    for action in ACTIONS[kind]:
        for service in SERVICES:
            for context in _contexts(intended):
                yield Request(service, action, target, context)
        yield Request(OUTSIDER, action, target)


def _intended(deployment: Deployment, request: Request) -> bool:
    return any(
        flow.principal == request.principal
        and request.action in flow.actions
        and flow.resource == request.resource
        and all(request.context.get(k) == v for k, v in flow.context.items())
        for flow in flows(deployment)
    )


def test_each_resource_policy_allows_services_exactly_the_intended_flows(deployment: Deployment) -> None:
    wrong = []
    for resource, policy in deployment.resource_policies.items():
        for probe in _probes(deployment, resource):
            allowed = evaluate(policy, probe) == "allow"
            if allowed != _intended(deployment, probe):
                wrong.append(f"{'allowed' if allowed else 'refused'}: {describe(probe)}")
    assert wrong == []


def test_without_tls_every_queue_topic_and_bucket_refuses_everyone(deployment: Deployment) -> None:
    insecure = []
    for resource, policy in deployment.resource_policies.items():
        if resource.split(":")[2] not in ("sqs", "sns", "s3"):
            continue
        for flow in flows(deployment):
            if _governs(resource, flow.resource):
                for request in flow.requests():
                    plain = request.within(**{"aws:SecureTransport": "false"})
                    if evaluate(policy, plain) != "deny":
                        insecure.append(describe(plain))
    assert insecure == []


ENTRY_POINTS = {
    # resource -> who may write (besides the operators)
    "order-processing": ["order producers"],
    "balance-updates.fifo": ["payment"],
    "payment-processing": ["SNS from order-events"],
    "notification-service": ["SNS from order-events"],
    "analytics-ingestion": ["SNS from order-events"],
    "order-events": ["order_processor"],
    "orders": ["order_processor", "the replay function"],
}


def _entry_point(deployment: Deployment, name: str) -> str:
    if name == "order-events":
        return deployment.named("AWS::SNS::Topic", name).arn
    if name == "orders":
        return deployment.named("AWS::Events::EventBus", name).arn
    return queue(deployment, name)


def test_entry_points_accept_writes_from_their_producers_only(deployment: Deployment) -> None:
    """Any role of the account with sqs:SendMessage, sns:Publish or events:PutEvents on * could write past
    order_processor's validation (issue 19): each entry point denies writes to all but its producers."""
    writers = {
        "order producers": ORDER_PRODUCER,
        "payment": function_role(deployment, CONSUMERS["payment-processing"]),
        "order_processor": function_role(deployment, CONSUMERS["order-processing"]),
        "the replay function": function_role(deployment, "orders_functions.replay.handler.lambda_handler"),
    }
    app_roles = list(deployment.roles.values())
    wrong = []
    for name, allowed in ENTRY_POINTS.items():
        resource = _entry_point(deployment, name)
        action = WRITES[resource.split(":")[2]]
        producers = {writers[w] for w in allowed if w in writers} | {OPERATOR}
        for role in {*app_roles, SOMEONE_ELSE, OPERATOR, ORDER_PRODUCER}:
            verdict = evaluate(deployment.policy_of(resource), Request(role, action, resource))
            if (verdict == "deny") == (role in producers):
                wrong.append(f"{name}: {role} -> {verdict}")
        if "SNS from order-events" in allowed:
            topic = deployment.named("AWS::SNS::Topic", "order-events").arn
            delivery = Request(SNS, action, resource, {"aws:SourceArn": topic})
            if evaluate(deployment.policy_of(resource), delivery) != "allow":
                wrong.append(f"{name}: SNS from its topic is refused")
            forged = delivery.within(**{"aws:SourceArn": topic.replace("order-events", "another-topic")})
            if evaluate(deployment.policy_of(resource), forged) != "deny":
                wrong.append(f"{name}: SNS from another topic is not denied")
    assert wrong == []


def test_each_role_is_assumed_only_by_the_service_that_runs_it(deployment: Deployment) -> None:
    expected = {
        **{role.arn: "lambda.amazonaws.com" for role in assumed_by(deployment, "lambda.amazonaws.com")},
        **{role.arn: "events.amazonaws.com" for role in assumed_by(deployment, "events.amazonaws.com")},
        **{role.arn: "states.amazonaws.com" for role in assumed_by(deployment, "states.amazonaws.com")},
        # The workers' tasks (task and execution roles) and their network's flow log.
        **{role.arn: "ecs-tasks.amazonaws.com" for role in assumed_by(deployment, "ecs-tasks.amazonaws.com")},
        **{role.arn: "vpc-flow-logs.amazonaws.com" for role in assumed_by(deployment, "vpc-flow-logs.amazonaws.com")},
    }
    assert set(expected) == {role.arn for role in deployment.roles.values()}
    wrong = []
    for role in deployment.roles.values():
        trust = deployment.trust_policy(role)
        for service in SERVICES:
            context = {
                "aws:SourceAccount": ACCOUNT,
                "aws:SourceArn": SOURCE_OF_SERVICE.get(service.name, SOURCE_OF_SERVICE["states.amazonaws.com"]),
            }
            allowed = evaluate(trust, Request(service, "sts:AssumeRole", role.arn, context)) == "allow"
            if allowed != (service.name == expected[role.arn]):
                wrong.append(f"{role}: {service} {'may' if allowed else 'may not'} assume it")
        if evaluate(trust, Request(OUTSIDER, "sts:AssumeRole", role.arn)) == "allow":
            wrong.append(f"{role}: another account may assume it")
    assert wrong == []
