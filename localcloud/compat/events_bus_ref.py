"""``Ref`` of an ``AWS::Events::EventBus`` is its name on AWS; moto's stack engine has no physical id
for a bus, so a ``Ref`` resolves to the model object and everything built from it (rule bus names,
function environment variables) is wrong.
"""

from __future__ import annotations

from contextlib import ExitStack
from unittest import mock

from moto.events.models import EventBus

from localcloud.settings import LocalCloudSettings

GAP = "moto's CloudFormation does not resolve Ref of an AWS::Events::EventBus to its name"


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    stack.enter_context(
        mock.patch.object(EventBus, "physical_resource_id", property(lambda bus: bus.name), create=True)
    )
