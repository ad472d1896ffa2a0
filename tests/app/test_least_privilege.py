"""Each function's role allows exactly what its handler calls, measured, not assumed.

The handler tests run the real handlers against moto; :mod:`tests.aws_calls` records every AWS
call each handler made, as IAM actions. Here each function's synthesized role is compared with
them: an action its handler calls but the role lacks would be denied on AWS (the local cloud does
not evaluate IAM); an action the role has and no handler call needs is an extra, and fails unless
it is listed below with its reason. Runs after every other test of the session (it judges what
they recorded); run on its own, it records the handler tests in a subprocess first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.aws_calls import HANDLER_TESTS, WORKER_PACKAGES, CallRecorder
from tests.cdk_app import REPO_ROOT, SynthesizedApp
from tests.policies import Deployment, Role

pytestmark = pytest.mark.after_the_handler_tests

#: What a role needs that no handler code calls: Lambda and its event source mapping act with it.
PLATFORM: Mapping[str, str] = {
    "logs:CreateLogStream": "Lambda writes the function's logs to the function's own log group",
    "logs:PutLogEvents": "Lambda writes the function's logs to the function's own log group",
    "xray:PutTraceSegments": "active tracing: Lambda sends the function's trace segments",
    "xray:PutTelemetryRecords": "active tracing: Lambda sends the function's trace telemetry",
}
EVENT_SOURCE: Mapping[str, str] = {
    "sqs:ReceiveMessage": "the SQS event source mapping polls the queue with the function's role",
    "sqs:DeleteMessage": "the mapping deletes the records the function processed",
    "sqs:ChangeMessageVisibility": "the mapping returns failed records; the handler backs off with it too",
    "sqs:GetQueueAttributes": "the mapping reads the queue's attributes when it starts polling",
    "sqs:GetQueueUrl": "CDK's SqsEventSource grants it with the rest of grantConsumeMessages; nothing calls it",
}
#: Calls AWS makes with the caller's permissions on its behalf: the customer-managed keys of SQS and SNS.
ON_BEHALF: Mapping[str, str] = {
    "kms:GenerateDataKey": "sending to an SQS queue or SNS topic encrypted with a customer-managed key: "
    "the service asks KMS for a data key as the sender",
    "kms:Decrypt": "receiving from (and sending to) a queue or topic encrypted with a customer-managed key",
}
#: Actions a role has that its handler's tests never call, each with the reason it is there anyway.
EXTRA_WITH_REASON: Mapping[str, Mapping[str, str]] = {
    "orders_functions.replay.handler.lambda_handler": {
        "events:CancelReplay": "the replay function cancels a replay that would outlive its own timeout",
    },
}


def ran_the_handler_tests(session: pytest.Session) -> bool:
    """Whether this session ran (selected) a test of every handler test module.

    A handler that calls nothing (a pure workflow task) records nothing, so what was recorded cannot
    tell by itself; the session's own items can. A session that ran only part of a module records
    less, which can only make this test fail (an action "never called"), never pass wrongly.
    """
    ran = {Path(item.path).resolve() for item in session.items}
    return handler_test_modules() <= ran


def handler_test_modules() -> set[Path]:
    """Every test module of :data:`~tests.aws_calls.HANDLER_TESTS` (those below its directories too)."""
    modules: set[Path] = set()
    for name in HANDLER_TESTS:
        path = REPO_ROOT / name
        modules |= set(path.rglob("test_*.py")) if path.is_dir() else {path}
    return {module.resolve() for module in modules}


def recorded_calls(recorder: CallRecorder, session: pytest.Session, tmp_path: Path) -> dict[str, set[str]]:
    """What the session recorded, or, when it did not run the handler tests, a recording made now."""
    if ran_the_handler_tests(session):
        return dict(recorder.actions)
    target = tmp_path / "aws-calls.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "-m", "not e2e", *HANDLER_TESTS]
    environment = {**os.environ, "RECORD_AWS_CALLS_TO": str(target)}
    subprocess.run(command, cwd=REPO_ROOT, env=environment, check=True, capture_output=True)
    return {handler: set(actions) for handler, actions in json.loads(target.read_text()).items()}


def role_actions(deployment: Deployment, handler: str) -> set[str]:
    return actions_of_role(deployment, deployment.role_of_function(handler))


def actions_of_role(deployment: Deployment, role: Role) -> set[str]:
    actions: set[str] = set()
    for document in deployment.identity_policies[role.arn]:
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow", statement
            found = statement["Action"]
            actions |= set(found if isinstance(found, list) else [found])
    return actions


def handlers(deployment: Deployment) -> dict[str, bool]:
    """Handler -> whether its function has an SQS event source mapping."""
    mapped = {
        deployment.resolve(m.stack, m.properties["FunctionName"])
        for m in deployment.of_type("AWS::Lambda::EventSourceMapping")
    }
    return {
        f.properties["Handler"]: f.name in mapped or f.ref in mapped
        for f in deployment.of_type("AWS::Lambda::Function")
        # The app's own (CDK's custom resource providers, such as the one that empties a VPC's default security
        # group, are CDK's code: their roles are CDK's minimum).
        if str(f.properties.get("Handler", "")).startswith("orders_functions.")
    }


def test_each_function_may_do_exactly_what_its_handler_calls(
    dev_app: SynthesizedApp, aws_calls: CallRecorder, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    deployment = Deployment(dev_app.templates)
    functions = handlers(deployment)
    calls = recorded_calls(aws_calls, request.session, tmp_path)
    problems = []
    for handler, has_event_source in sorted(functions.items()):
        allowed = role_actions(deployment, handler)
        called = calls.get(handler, set())  # (a pure task calls nothing: its role may do nothing beyond logs)
        for action in sorted(called - allowed):
            problems.append(f"{handler} calls {action}, which its role does not allow: AWS would deny it")
        needed = called | set(PLATFORM) | (set(EVENT_SOURCE) if has_event_source else set()) | set(ON_BEHALF)
        for action in sorted(allowed - needed - set(EXTRA_WITH_REASON.get(handler, {}))):
            problems.append(f"{handler}'s role allows {action}, which it never calls: remove it, or say why")
    assert problems == [], "\n".join(problems)


#: Actions a worker's task role has that its tests never call, each with the reason it is there anyway.
WORKER_EXTRA_WITH_REASON: Mapping[str, Mapping[str, str]] = {
    "orders_functions.reconciliation.worker": {
        "sqs:ChangeMessageVisibility": "the heartbeat extends a slow check, and the failure policy backs off with it",
        "dynamodb:UpdateItem": "the failure policy counts a retried message's attempts in the attempts table",
    },
}


def task_role(deployment: Deployment, worker: str) -> Role:
    """The task role of the ECS task definition whose container runs ``python -m <worker>``."""
    found = [
        Role(deployment.resolve(d.stack, d.properties["TaskRoleArn"]))
        for d in deployment.of_type("AWS::ECS::TaskDefinition")
        if any(c["Command"] == ["python", "-m", worker] for c in d.properties["ContainerDefinitions"])
    ]
    assert len(found) == 1, worker
    return found[0]


def test_each_worker_may_do_exactly_what_its_code_calls(
    dev_app: SynthesizedApp, aws_calls: CallRecorder, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The same judgement for the long-running workers' task roles (the queue worker's calls included)."""
    deployment = Deployment(dev_app.templates)
    calls = recorded_calls(aws_calls, request.session, tmp_path)
    problems = []
    for worker in WORKER_PACKAGES:
        entry = f"{worker}.worker"
        allowed = actions_of_role(deployment, task_role(deployment, entry))
        called = calls.get(entry, set())
        assert called, f"no call of {entry} was recorded: do its tests run a QueueWorker with its code?"
        for action in sorted(called - allowed):
            problems.append(f"{entry} calls {action}, which its task role does not allow: AWS would deny it")
        for action in sorted(allowed - called - set(ON_BEHALF) - set(WORKER_EXTRA_WITH_REASON.get(entry, {}))):
            problems.append(f"{entry}'s task role allows {action}, which it never calls: remove it, or say why")
    assert problems == [], "\n".join(problems)


def test_every_listed_extra_is_still_in_its_role(dev_app: SynthesizedApp) -> None:
    deployment = Deployment(dev_app.templates)
    stale = [
        f"{handler}: {action}"
        for handler, actions in EXTRA_WITH_REASON.items()
        for action in actions
        if action not in role_actions(deployment, handler)
    ]
    assert stale == []
