"""localcloud.compat.events_bus_ref: Ref of an AWS::Events::EventBus is its name.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import boto3
import pytest

from localcloud.compat import (
    cfn_change_set_exports,
    events_bus_ref,
    installed,
)
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")


BUS = {"Type": "AWS::Events::EventBus", "Properties": {"Name": "orders"}}


def test_moto_still_has_no_name_for_a_bus_ref() -> None:
    stack = deploy_template({"Bus": BUS})
    assert physical_ids(stack)["Bus"] != "orders"


def test_bus_ref_is_its_name() -> None:
    with installed(events_bus_ref, cfn_change_set_exports):  # outputs of change-set stacks need the latter
        stack = deploy_template({"Bus": BUS}, {"Name": {"Value": {"Ref": "Bus"}}})
        assert physical_ids(stack)["Bus"] == "orders"
        outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    assert outputs[0]["OutputValue"] == "orders"
