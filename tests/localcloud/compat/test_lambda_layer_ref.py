"""localcloud.compat.lambda_layer_ref: Ref of an AWS::Lambda::LayerVersion is its version ARN.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import io
import zipfile

import boto3
import pytest

from localcloud.compat import (
    cfn_change_set_exports,
    installed,
    lambda_layer_ref,
)
from tests.localcloud.conftest import deploy_template, physical_ids

pytestmark = pytest.mark.usefixtures("aws")


def _layer() -> dict[str, object]:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as files:
        files.writestr("python/shared.py", "VALUE = 1\n")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="assets-bucket")
    s3.put_object(Bucket="assets-bucket", Key="layer.zip", Body=archive.getvalue())
    return {
        "Type": "AWS::Lambda::LayerVersion",
        "Properties": {"Content": {"S3Bucket": "assets-bucket", "S3Key": "layer.zip"}, "Description": "shared"},
    }


def test_moto_still_has_no_physical_id_for_a_layer_version() -> None:
    stack = deploy_template({"Layer": _layer()})
    assert physical_ids(stack)["Layer"] == ""


def test_a_layer_version_ref_is_its_version_arn() -> None:
    with installed(lambda_layer_ref, cfn_change_set_exports):
        stack = deploy_template({"Layer": _layer()}, {"Arn": {"Value": {"Ref": "Layer"}}})
        outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
        physical_id = physical_ids(stack)["Layer"]
    (layer,) = boto3.client("lambda").list_layers()["Layers"]
    assert physical_id == outputs[0]["OutputValue"] == layer["LatestMatchingVersion"]["LayerVersionArn"]
