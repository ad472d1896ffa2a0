"""Whole-template snapshots (asset hashes normalised). After an intended change: ``make snapshots``."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.cdk_app import SynthesizedApp, normalised


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("stack", ["OrdersData", "OrdersOrchestration", "OrdersProcessing", "OrdersMonitoring"])
def test_dev_template_snapshot(dev_app: SynthesizedApp, stack: str, snapshot_json: SnapshotAssertion) -> None:
    assert normalised(dev_app.templates[stack]) == snapshot_json
