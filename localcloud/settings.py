"""How the local cloud is reached and how it behaves, from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass(frozen=True)
class LocalCloudSettings:
    """Settings shared by the server, its workers and its clients.

    ``time_scale`` is the local cloud's one clock: every duration it honours (visibility timeouts,
    delays, retention, the FIFO deduplication window, batching windows, rule target retries, Step
    Functions waits and retries) lasts ``duration x time_scale`` (:meth:`scaled`), so retries that take
    minutes on AWS take seconds here, in the same order. 1 is AWS timing.

    >>> LocalCloudSettings(port=4599).endpoint
    'http://localhost:4599'
    """

    port: int = 4599
    time_scale: float = 1.0
    state_dir: Path = field(default_factory=lambda: Path(".localcloud"))
    poll_interval_seconds: float = 0.1
    #: Invocations of one function at a time, at most (each is a worker process); AWS allows far more.
    max_concurrency: int = 2

    def scaled(self, seconds: float) -> float:
        """How long ``seconds`` of AWS time last here.

        >>> LocalCloudSettings(time_scale=0.02).scaled(200)
        4.0
        """
        return seconds * self.time_scale

    @property
    def endpoint(self) -> str:
        # localhost, not 127.0.0.1: S3 template URLs built from the endpoint must resolve as virtual hosts.
        return f"http://localhost:{self.port}"

    @classmethod
    def from_environment(cls) -> LocalCloudSettings:
        return cls(
            port=int(os.environ.get("LOCALCLOUD_PORT", "4599")),
            time_scale=float(os.environ.get("LOCALCLOUD_TIME_SCALE", "1")),
            max_concurrency=int(os.environ.get("LOCALCLOUD_MAX_CONCURRENCY", "2")),
            state_dir=Path(os.environ.get("LOCALCLOUD_STATE_DIR", ".localcloud")).resolve(),
        )

    def client(self, service: str, **options: Any) -> Any:
        """A boto3 client for ``service`` in the local cloud."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            **options,
        )

    def client_environment(self) -> dict[str, str]:
        """Variables that point the AWS SDKs and the cdk CLI at the local cloud, with dummy credentials."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "CDK_DEFAULT_ACCOUNT": ACCOUNT,
            "CDK_DEFAULT_REGION": REGION,
        }
