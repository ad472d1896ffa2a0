"""localcloud.compat.kms_cfn_tags: an AWS::KMS::Key with CloudFormation's tags is created with them.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import boto3
import pytest

from localcloud.compat import (
    installed,
    kms_cfn_tags,
)
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")


KEY = {
    "Type": "AWS::KMS::Key",
    "Properties": {
        "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
        "EnableKeyRotation": True,
        "Tags": [{"Key": "team", "Value": "orders"}],
    },
}


def test_moto_still_fails_on_key_tags() -> None:
    with pytest.raises(Exception, match="TagKey"):
        deploy_template({"Key": KEY})


def test_key_with_cloudformation_tags_is_created() -> None:
    with installed(kms_cfn_tags):
        stack = deploy_template({"Key": KEY})
    kms = boto3.client("kms")
    key_id = physical_ids(stack)["Key"]
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "team", "TagValue": "orders"}]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
