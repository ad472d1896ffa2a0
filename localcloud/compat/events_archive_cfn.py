"""``AWS::Events::Archive`` from CloudFormation: moto parses the ``EventPattern`` as a JSON string,
but CloudFormation passes an object, so creating the archive fails (and every later call about the
stack answers HTTP 500); and an archive has no physical id, so ``Ref`` and the stack's resource
list have nothing for it (AWS: the archive name).
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.events.models import Archive, EventsBackend

from localcloud.settings import LocalCloudSettings

GAP = "moto fails on an AWS::Events::Archive with an EventPattern object, and gives archives no physical id"

_original = EventsBackend.create_archive


def _create_archive(
    self: EventsBackend, name: str, source_arn: str, description: str, event_pattern: Any, retention: str
) -> Any:
    if event_pattern is not None and not isinstance(event_pattern, str):
        event_pattern = json.dumps(event_pattern)
    return _original(self, name, source_arn, description, event_pattern, retention)


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    stack.enter_context(mock.patch.object(EventsBackend, "create_archive", _create_archive))
    stack.enter_context(
        mock.patch.object(Archive, "physical_resource_id", property(lambda archive: archive.name), create=True)
    )
