"""localcloud.compat.cfn_inert: AWS::CDK::Metadata and the schema registry's resources are recorded.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import pytest

from localcloud.compat import (
    _cfn,
    cfn_inert,
    installed,
)
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")


@pytest.mark.parametrize(
    "resource_type", ["AWS::CDK::Metadata", "AWS::EventSchemas::Registry", "AWS::EventSchemas::Schema"]
)
def test_moto_still_skips(resource_type: str) -> None:
    assert not _cfn.moto_supports(resource_type), f"moto now creates {resource_type}: drop cfn_inert"


def test_metadata_and_schema_registry_are_recorded() -> None:
    resources = {
        "Metadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2"}},
        "Registry": {"Type": "AWS::EventSchemas::Registry", "Properties": {"RegistryName": "orders"}},
        "Schema": {
            "Type": "AWS::EventSchemas::Schema",
            "Properties": {
                "RegistryName": "orders",
                "SchemaName": "OrderCreated",
                "Type": "JSONSchemaDraft4",
                "Content": "{}",
            },
        },
    }
    with installed(cfn_inert):
        stack = deploy_template(resources)
    assert all(physical_ids(stack).values())
    assert physical_ids(stack)["Registry"].endswith(":registry/orders")
