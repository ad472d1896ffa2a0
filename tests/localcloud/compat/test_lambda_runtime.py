"""localcloud.compat.lambda_runtime: Lambda functions run without Docker, in warm worker processes
(localcloud.lambda_worker), with their timeouts and their own layers first; against a real moto server in this
process.

When a "moto still ..." test fails after a moto upgrade, moto closed the gap: delete the module.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile

import boto3
import pytest
from moto import mock_aws

from event_constructs import powertools
from localcloud.compat import installed, lambda_runtime
from localcloud.settings import LocalCloudSettings
from tests.localcloud.compat.conftest import POWERTOOLS_LAYER, create_function


def test_moto_still_needs_docker_to_invoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("lambda")
        create_function(client, "f")
        response = client.invoke(FunctionName="f", Payload=b"{}")
    assert response["FunctionError"]
    assert b"error running docker" in response["Payload"].read()


def test_a_function_runs_in_a_warm_subprocess_with_its_environment(cloud: LocalCloudSettings) -> None:
    with installed(lambda_runtime, settings=cloud):
        client = cloud.client("lambda")
        create_function(client, "f", layers=[POWERTOOLS_LAYER])
        first = json.loads(client.invoke(FunctionName="f", Payload=b"{}")["Payload"].read())
        second = json.loads(client.invoke(FunctionName="f", Payload=b"{}")["Payload"].read())
    assert first["greeting"] == second["greeting"] == "hello"
    assert 0 < first["remaining_ms"] <= 5000
    log = (cloud.state_dir / "logs" / "f.log").read_text()
    assert log.count('{"batch": []}') == 2


def test_an_invocation_over_the_timeout_fails_and_the_next_one_gets_a_fresh_environment(
    cloud: LocalCloudSettings,
) -> None:
    with installed(lambda_runtime, settings=cloud):
        client = cloud.client("lambda")
        create_function(client, "slow", timeout=1)
        timed_out = client.invoke(FunctionName="slow", Payload=json.dumps({"sleep": 3}).encode())
        after = client.invoke(FunctionName="slow", Payload=b"{}")
    assert timed_out["FunctionError"]
    assert "Task timed out after 1.00 seconds" in timed_out["Payload"].read().decode()
    assert "FunctionError" not in after


def test_an_unknown_layer_version_is_refused_with_the_versions_the_local_cloud_has(cloud: LocalCloudSettings) -> None:
    wrong = POWERTOOLS_LAYER.rsplit(":", 1)[0] + ":1"
    with pytest.raises(
        lambda_runtime.UnknownLayerError, match=f"provides version {powertools.POWERTOOLS_LAYER_VERSION} only"
    ):
        lambda_runtime.check_layer(wrong)
    with pytest.raises(lambda_runtime.UnknownLayerError, match="not a layer the local cloud knows"):
        lambda_runtime.check_layer("arn:aws:lambda:us-east-1:999999999999:layer:other:1")


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_a_function_imports_from_its_own_layers_ahead_of_what_the_local_cloud_has_installed(
    cloud: LocalCloudSettings,
) -> None:
    """As Lambda puts /opt/python first: a layer's package shadows the one installed next to the local cloud."""
    with installed(lambda_runtime, settings=cloud):
        client = cloud.client("lambda")
        layer = client.publish_layer_version(
            LayerName="own",
            Content={
                "ZipFile": _zip(
                    {"python/only_in_layer.py": "VALUE = 'from the layer'\n", "python/event_runtime/__init__.py": ""}
                )
            },
        )["LayerVersionArn"]
        create_function(client, "layered", layers=[layer, POWERTOOLS_LAYER])
        handler = (
            "import event_runtime, only_in_layer\n"
            "def handler(event, context):\n"
            "    return {'value': only_in_layer.VALUE, 'runtime': event_runtime.__file__}\n"
        )
        client.update_function_code(FunctionName="layered", ZipFile=_zip({"app.py": handler}))
        answer = json.loads(client.invoke(FunctionName="layered", Payload=b"{}")["Payload"].read())
    assert answer["value"] == "from the layer"
    assert answer["runtime"].startswith(str(cloud.state_dir / "layers"))


def _run_with_layers(cloud: LocalCloudSettings, layers: list[dict[str, str]], module: str) -> str:
    client = cloud.client("lambda")
    arns = [
        client.publish_layer_version(LayerName=f"layer-{i}", Content={"ZipFile": _zip(files)})["LayerVersionArn"]
        for i, files in enumerate(layers)
    ]
    create_function(client, "layered", layers=arns)
    handler = f"import {module}\ndef handler(event, context):\n    return {{'mark': {module}.MARK}}\n"
    client.update_function_code(FunctionName="layered", ZipFile=_zip({"app.py": handler}))
    return str(json.loads(client.invoke(FunctionName="layered", Payload=b"{}")["Payload"].read())["mark"])


def test_of_two_layers_holding_one_module_the_later_one_wins_as_in_opt(cloud: LocalCloudSettings) -> None:
    """Lambda unpacks layers into /opt in order, a later file replacing an earlier one (the local cloud had it
    the other way round)."""
    with installed(lambda_runtime, settings=cloud):
        first, second = {"python/shared.py": "MARK = 'first'\n"}, {"python/shared.py": "MARK = 'second'\n"}
        assert _run_with_layers(cloud, [first, second], "shared") == "second"


def test_a_layer_laid_out_as_site_packages_is_on_the_path(cloud: LocalCloudSettings) -> None:
    """/opt/python/lib/python3.x/site-packages is on a Lambda function's path too (what `pip install -t` makes)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    with installed(lambda_runtime, settings=cloud):
        layer = {f"python/lib/{version}/site-packages/deep.py": "MARK = 'deep'\n"}
        assert _run_with_layers(cloud, [layer], "deep") == "deep"
