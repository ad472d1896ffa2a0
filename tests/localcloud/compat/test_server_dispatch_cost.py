"""localcloud.compat.server_dispatch_cost: the server lists its package once, not for every request it routes.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

from unittest import mock

import pytest

from localcloud.compat import (
    installed,
    server_dispatch_cost,
)

pytestmark = pytest.mark.usefixtures("aws")


def _directory_listings_for_two_routings() -> int:
    import os

    from moto import backends

    with mock.patch.object(os, "listdir", wraps=os.listdir) as listdir:
        for _ in range(2):
            assert "sqs" in backends.list_of_moto_modules()
    return int(listdir.call_count)


def test_moto_still_lists_its_package_for_every_routing() -> None:
    assert _directory_listings_for_two_routings() == 2


def test_routing_lists_the_package_once() -> None:
    with installed(server_dispatch_cost):
        assert _directory_listings_for_two_routings() <= 1
