"""Cross-stack references through change sets: moto registers a stack's ``Export`` outputs, and lets
a template ``Fn::ImportValue`` them, only for stacks made by ``CreateStack``. ``cdk deploy`` uses
change sets, so the second stack of an app fails with "No export named ... found".

Here a stack created or updated by ``ExecuteChangeSet`` sees the region's exports while its
resources are created, and its own exports are registered afterwards.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.cloudformation.models import CloudFormationBackend

from localcloud.settings import LocalCloudSettings

GAP = "moto's change sets neither import other stacks' exports nor register their own"


def _change_set(backend: CloudFormationBackend, name: str, stack_name: str | None) -> Any:
    """The change set by ARN, or by name within the stack (cdk names every stack's change set the same)."""
    if name in backend.change_sets:
        return backend.change_sets[name]
    matches = [
        cs
        for cs in backend.change_sets.values()
        if cs.change_set_name == name and stack_name in (None, cs.stack.name, cs.stack.stack_id)
    ]
    return matches[-1] if matches else None


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    original = CloudFormationBackend.execute_change_set

    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = _change_set(self, change_set_name, stack_name)
        target = self.stacks.get(change_set.stack_id) if change_set else None
        if target is not None:
            target.cross_stack_resources = self.exports
            target.resource_map.cross_stack_resources = self.exports
        original(self, change_set_name, stack_name)
        if target is None:
            return
        target._parse_template()
        target.output_map = target._create_output_map()
        for export in target.exports:
            self.exports[export.name] = export

    stack.enter_context(mock.patch.object(CloudFormationBackend, "execute_change_set", execute_change_set))
