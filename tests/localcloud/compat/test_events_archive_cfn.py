"""localcloud.compat.events_archive_cfn: an AWS::Events::Archive with an EventPattern object is created, named by
its name.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import json

import boto3
import pytest

from localcloud.compat import (
    events_archive_cfn,
    events_bus_ref,
    installed,
)
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")


BUS = {"Type": "AWS::Events::EventBus", "Properties": {"Name": "orders"}}


ARCHIVE = {
    "Type": "AWS::Events::Archive",
    "Properties": {
        "SourceArn": {"Fn::GetAtt": ["Bus", "Arn"]},
        "EventPattern": {"source": ["shop"]},
        "RetentionDays": 1,
    },
}


def test_moto_still_fails_on_an_archive_pattern_object() -> None:
    with pytest.raises(TypeError, match="JSON object must be str"):
        deploy_template({"Bus": BUS, "Archive": ARCHIVE})


def test_archive_with_a_pattern_object_is_created_with_its_name_as_physical_id() -> None:
    with installed(events_archive_cfn, events_bus_ref):
        stack = deploy_template(
            {"Bus": BUS, "Archive": {**ARCHIVE, "Properties": {**ARCHIVE["Properties"], "ArchiveName": "all"}}}
        )
        assert physical_ids(stack)["Archive"] == "all"
    assert json.loads(boto3.client("events").describe_archive(ArchiveName="all")["EventPattern"]) == {
        "source": ["shop"]
    }
