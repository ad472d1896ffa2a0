"""Routing a request without listing moto's package directory: for every request, moto's server
lists its own package folder (``os.listdir`` plus an ``isdir`` per entry) to learn its services.
Here the list is read once; the services do not change while the server runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from functools import cache
from unittest import mock

from moto import backends

from localcloud.settings import LocalCloudSettings

GAP = "moto's server lists its package directory on every request to route it"


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    original = backends.list_of_moto_modules
    modules = cache(lambda: tuple(original()))

    def list_of_moto_modules() -> Iterable[str]:
        return modules()

    stack.enter_context(mock.patch.object(backends, "list_of_moto_modules", list_of_moto_modules))
