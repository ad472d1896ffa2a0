"""KMS key policies across the synthesized app, both stages: rotation, service principals scoped
to a source, and ``kms:*`` for the account root only.

Each check walks every ``AWS::KMS::Key`` of every stack, so a key added later is covered too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.cdk_app import SynthesizedApp

#: Condition keys that tie a service principal's use of a key to our resources or account.
#: CloudWatch Logs scopes a key by the log group ARN in the encryption context (its documented
#: confused-deputy protection for KMS); that ARN must name this account, like a SourceArn would.
SOURCE_CONDITION_KEYS = {"aws:sourcearn", "aws:sourceaccount", "kms:encryptioncontext:aws:logs:arn"}


@pytest.fixture(params=["dev_app", "prod_app"])
def app(request: pytest.FixtureRequest) -> SynthesizedApp:
    synthesized: SynthesizedApp = request.getfixturevalue(request.param)
    return synthesized


def render(value: Any) -> str:
    """A CloudFormation value as text: ``Ref`` as ``${Name}``, ``Fn::Join`` joined, the rest as JSON-ish text."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return "${" + str(value["Ref"]) + "}"
    if isinstance(value, dict) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return str(separator).join(render(part) for part in parts)
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        return "${" + ".".join(str(part) for part in value["Fn::GetAtt"]) + "}"
    return repr(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def keys(app: SynthesizedApp) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(stack id, key logical id, properties) of every KMS key of the app."""
    for stack_id in app.templates:
        for logical_id, key in app.resources(stack_id, "AWS::KMS::Key").items():
            yield stack_id, logical_id, key["Properties"]


def statements(app: SynthesizedApp) -> Iterator[tuple[str, str, int, dict[str, Any]]]:
    """(stack id, key logical id, statement index, statement) of every key-policy statement."""
    for stack_id, logical_id, properties in keys(app):
        for index, statement in enumerate(properties["KeyPolicy"]["Statement"]):
            yield stack_id, logical_id, index, statement


def where(stack_id: str, logical_id: str, index: int, statement: dict[str, Any]) -> str:
    sid = f" ({statement['Sid']})" if "Sid" in statement else ""
    return f"{stack_id}/{logical_id} statement {index}{sid}"


def service_principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, dict) or "Service" not in principal:
        return []
    return [render(service) for service in as_list(principal["Service"])]


def source_conditions(statement: dict[str, Any]) -> dict[str, str]:
    """The aws:SourceArn / aws:SourceAccount conditions of a statement: condition key -> rendered value."""
    found = {}
    for operator, conditions in (statement.get("Condition") or {}).items():
        for key, value in conditions.items():
            if key.lower() in SOURCE_CONDITION_KEYS:
                found[f"{operator}:{key}"] = render(value)
    return found


def is_account_root(principal: Any) -> bool:
    if not isinstance(principal, dict) or set(principal) != {"AWS"}:
        return False
    return all(
        render(arn) in {"arn:${AWS::Partition}:iam::${AWS::AccountId}:root", "${AWS::AccountId}"}
        for arn in as_list(principal["AWS"])
    )


def test_the_app_has_keys_to_check(app: SynthesizedApp) -> None:
    found = {(stack_id, logical_id) for stack_id, logical_id, _ in keys(app)}
    # Not a pinned list (a new key is checked by the rules below without changing this), only a floor:
    # the topic, its subscriber queues, the state machine's logs and the alarm topic are encrypted.
    assert len(found) >= 4, f"expected at least 4 KMS keys, found {sorted(found)}"


def test_every_key_rotates(app: SynthesizedApp) -> None:
    not_rotating = [
        f"{stack_id}/{logical_id} ({properties.get('Description', 'no description')}): "
        f"EnableKeyRotation={properties.get('EnableKeyRotation')!r}"
        for stack_id, logical_id, properties in keys(app)
        if properties.get("EnableKeyRotation") is not True
    ]
    assert not_rotating == [], "keys without rotation:\n" + "\n".join(not_rotating)


def test_every_service_principal_statement_is_scoped_to_a_source(app: SynthesizedApp) -> None:
    unscoped: list[str] = []
    for stack_id, logical_id, index, statement in statements(app):
        if statement.get("Effect") != "Allow":
            continue
        for service in service_principals(statement):
            scoped = source_conditions(statement)
            wildcard = [
                key
                for key, value in scoped.items()
                if value in {"*", ""} or ("encryptioncontext" in key.lower() and "${AWS::AccountId}" not in value)
            ]
            if scoped and not wildcard:
                continue
            problem = (
                f"{where(stack_id, logical_id, index, statement)} grants {service} "
                f"{statement.get('Action')} with conditions {statement.get('Condition')} "
                f"and no aws:SourceArn / aws:SourceAccount{' other than *' if wildcard else ''}"
            )
            unscoped.append(problem)
    assert unscoped == [], "service principals without a source condition:\n" + "\n".join(unscoped)


def test_only_the_account_root_is_granted_kms_star(app: SynthesizedApp) -> None:
    too_broad = []
    for stack_id, logical_id, index, statement in statements(app):
        if statement.get("Effect") != "Allow":
            continue
        actions = {str(action).lower() for action in as_list(statement.get("Action", []))}
        if actions & {"kms:*", "*"} and not is_account_root(statement.get("Principal")):
            too_broad.append(
                f"{where(stack_id, logical_id, index, statement)} grants {sorted(actions)} "
                f"to {statement.get('Principal')!r}"
            )
    assert too_broad == [], "kms:* granted beyond the account root:\n" + "\n".join(too_broad)


def test_the_root_statement_is_present_on_every_key(app: SynthesizedApp) -> None:
    # Without it the account loses control of the key (and CloudFormation cannot update it).
    missing = [
        f"{stack_id}/{logical_id}"
        for stack_id, logical_id, properties in keys(app)
        if not any(
            statement.get("Effect") == "Allow"
            and is_account_root(statement.get("Principal"))
            and "kms:*" in as_list(statement.get("Action"))
            for statement in properties["KeyPolicy"]["Statement"]
        )
    ]
    assert missing == [], f"keys without the account-root statement: {missing}"
