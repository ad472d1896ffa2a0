"""Every function's environment is exactly what its handler reads, as its settings classes name it.

Each function package declares the settings it reads (``orders_functions.<function>.settings.SETTINGS``,
or ``SETTINGS_OF_TASK`` for the flow's tasks); the stacks build environments from those classes. Here
each synthesized function is checked against them: no variable set that nothing reads, none read that
nothing sets, and every value one its settings class accepts (a CloudFormation reference stands for a
name or an ARN).
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from event_runtime.settings import FunctionSettings
from tests.cdk_app import SynthesizedApp

#: Read by the platform or by Powertools itself, not by the handler's settings.
PLATFORM = {"POWERTOOLS_SERVICE_NAME"}


def settings_of(handler: str) -> tuple[type[FunctionSettings], ...]:
    module, _, function = handler.rpartition(".")
    package = module.removesuffix(".handler")
    settings = importlib.import_module(f"{package}.settings")
    if hasattr(settings, "SETTINGS_OF_TASK"):
        return settings.SETTINGS_OF_TASK[function]  # type: ignore[no-any-return]
    return settings.SETTINGS  # type: ignore[no-any-return]


def functions(app: SynthesizedApp) -> dict[str, dict[str, Any]]:
    """Handler -> the function's properties, across every stack."""
    found = {}
    for stack in app.templates:
        for resource in app.resources(stack, "AWS::Lambda::Function").values():
            if resource["Properties"]["Handler"].startswith("orders_functions."):  # (not CDK's own providers)
                found[resource["Properties"]["Handler"]] = resource["Properties"]
    return found


def worker_containers(app: SynthesizedApp) -> dict[str, dict[str, Any]]:
    """The worker's package (``orders_functions.<worker>``) -> its container's definition, across every stack."""
    found = {}
    for stack in app.templates:
        for resource in app.resources(stack, "AWS::ECS::TaskDefinition").values():
            for container in resource["Properties"]["ContainerDefinitions"]:
                command = container["Command"]
                assert command[:2] == ["python", "-m"] and command[2].endswith(".worker"), command
                found[command[2].removesuffix(".worker")] = container
    return found


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else "resolved-at-deploy"  # a Ref or Fn::GetAtt: a name or an ARN


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_each_function_is_given_exactly_what_its_settings_read(
    stage: str, dev_app: SynthesizedApp, prod_app: SynthesizedApp
) -> None:
    app = {"dev": dev_app, "prod": prod_app}[stage]
    found = functions(app)
    assert len(found) == 11  # five consumers, five tasks of the flow, the replay function
    for handler, properties in found.items():
        environment = {k: as_text(v) for k, v in properties.get("Environment", {}).get("Variables", {}).items()}
        reads = settings_of(handler)
        expected = PLATFORM | {name for settings in reads for name in settings.variables().values()}
        assert set(environment) == expected, handler
        for settings in reads:
            settings.from_environment(environment)  # raises, naming the problem, when a value is malformed


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_each_worker_is_given_exactly_what_its_settings_read(
    stage: str, dev_app: SynthesizedApp, prod_app: SynthesizedApp
) -> None:
    app = {"dev": dev_app, "prod": prod_app}[stage]
    found = worker_containers(app)
    assert set(found) == {"orders_functions.reconciliation"}
    for package, container in found.items():
        environment = {v["Name"]: as_text(v["Value"]) for v in container["Environment"]}
        reads = importlib.import_module(f"{package}.settings").SETTINGS
        assert set(environment) == {name for settings in reads for name in settings.variables().values()}, package
        for settings in reads:
            settings.from_environment(environment)


def test_a_handler_with_a_variable_missing_fails_at_its_first_use_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from orders_functions.payment import handler

    monkeypatch.delenv("PAYMENTS_TABLE", raising=False)
    monkeypatch.setenv("BALANCE_UPDATES_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/111122223333/b.fifo")
    handler.runtime.cache_clear()
    try:
        with pytest.raises(ValueError, match="PaymentSettings: PAYMENTS_TABLE is missing"):
            handler.runtime()
    finally:
        handler.runtime.cache_clear()
