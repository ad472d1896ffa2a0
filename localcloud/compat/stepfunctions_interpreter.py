"""Step Functions that run: moto only interprets a state machine's definition when the
``stepfunctions.execute_state_machine`` config is on, and then it uses a second backend that the
stack engine does not create state machines in. Here the config is on and CloudFormation's state
machines go to the interpreting backend, so a deployed state machine runs its Lambda tasks.

The interpreter calls Lambda through the server's own endpoint (``MOTO_PORT``), which the server sets.
"""

from __future__ import annotations

from contextlib import ExitStack
from unittest import mock

from moto.core.config import default_user_config
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from localcloud.settings import LocalCloudSettings

GAP = "moto's CloudFormation creates state machines in a backend that does not execute them"


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    stack.enter_context(mock.patch.dict(default_user_config["stepfunctions"], {"execute_state_machine": True}))
    stack.enter_context(mock.patch.object(sfn_models, "stepfunctions_backends", stepfunctions_parser_backends))
