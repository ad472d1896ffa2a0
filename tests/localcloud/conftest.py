"""Helpers for the local cloud's tests: in-process moto, change-set deploys like cdk's, a real moto server."""

from __future__ import annotations

import json
import socket
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from localcloud.settings import LocalCloudSettings


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def deploy_template(resources: dict[str, Any], outputs: dict[str, Any] | None = None, name: str | None = None) -> str:
    """Create a stack the way ``cdk deploy`` does (create and execute a change set); its name."""
    cloudformation = boto3.client("cloudformation")
    name = name or f"stack-{uuid.uuid4().hex[:8]}"
    template = {"Resources": resources, **({"Outputs": outputs} if outputs else {})}
    cloudformation.create_change_set(
        StackName=name, ChangeSetName="cs", ChangeSetType="CREATE", TemplateBody=json.dumps(template)
    )
    cloudformation.execute_change_set(ChangeSetName="cs", StackName=name)
    return name


def physical_ids(stack: str) -> dict[str, str]:
    summaries = boto3.client("cloudformation").list_stack_resources(StackName=stack)["StackResourceSummaries"]
    return {s["LogicalResourceId"]: s.get("PhysicalResourceId", "") for s in summaries}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_settings(tmp_path: Any) -> LocalCloudSettings:
    return LocalCloudSettings(port=free_port(), time_scale=0.01, state_dir=tmp_path)


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalCloudSettings]:
    """A real moto server in this process, on a port of its own (reset and stopped after the test)."""
    settings = server_settings(tmp_path)
    monkeypatch.setenv("MOTO_PORT", str(settings.port))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=settings.port, verbose=False)
    server.start()
    try:
        yield settings
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{settings.endpoint}/moto-api/reset", method="POST"))
        server.stop()
