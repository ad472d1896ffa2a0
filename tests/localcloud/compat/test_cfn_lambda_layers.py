"""localcloud.compat.cfn_lambda_layers: Ref of an AWS::Lambda::LayerVersion is its version ARN, and a function
made by CloudFormation gets the layers its template names.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import io
import zipfile

import boto3
import pytest

from localcloud.compat import cfn_change_set_exports, cfn_lambda_layers, installed
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
    with installed(cfn_lambda_layers, cfn_change_set_exports):
        stack = deploy_template({"Layer": _layer()}, {"Arn": {"Value": {"Ref": "Layer"}}})
        outputs = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
        physical_id = physical_ids(stack)["Layer"]
    (layer,) = boto3.client("lambda").list_layers()["Layers"]
    assert physical_id == outputs[0]["OutputValue"] == layer["LatestMatchingVersion"]["LayerVersionArn"]


def _function_with_layer() -> dict[str, object]:
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
    }
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"},
            "Handler": "index.handler",
            "Runtime": "python3.14",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Layers": [{"Ref": "Layer"}],
        },
    }
    return {"Layer": _layer(), "Role": role, "Function": function}


def test_moto_still_creates_a_function_without_its_layers() -> None:
    stack = deploy_template(_function_with_layer())
    function = physical_ids(stack)["Function"]
    assert boto3.client("lambda").get_function_configuration(FunctionName=function).get("Layers", []) == []


def test_a_function_gets_the_layers_its_template_names() -> None:
    with installed(cfn_lambda_layers):
        stack = deploy_template(_function_with_layer())
        ids = physical_ids(stack)
        layers = boto3.client("lambda").get_function_configuration(FunctionName=ids["Function"])["Layers"]
    assert [layer["Arn"] for layer in layers] == [ids["Layer"]]
