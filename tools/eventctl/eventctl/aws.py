"""AWS clients from the environment, and queue lookups by name."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.config import Config

from eventctl.errors import EventctlError

DLQ_SUFFIXES = ("-dlq", "-delivery-dlq", "-target-dlq")
#: An endpoint on this machine is a local cloud: it checks no credentials and serves one region.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
#: What names credentials in the environment; with none of them, a local cloud gets placeholders.
CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE")


def is_local(endpoint: str | None) -> bool:
    """Whether ``endpoint`` is on this machine (a local cloud).

    >>> is_local("http://127.0.0.1:4599"), is_local("http://localhost:4599"), is_local(None)
    (True, True, False)
    """
    return endpoint is not None and urlparse(endpoint).hostname in LOCAL_HOSTS


def session_for(endpoint: str | None) -> boto3.Session:
    """boto3's session as the AWS CLI would make it; for a local cloud, placeholders for what is not set.

    A local cloud checks no credentials, so a machine with none configured (CI, a laptop without an
    AWS account) still reaches it; credentials or a region the environment does name are used as given.
    """
    session = boto3.Session()
    if not is_local(endpoint):
        return session
    credentials = {} if any(os.environ.get(name) for name in CREDENTIAL_VARIABLES) else LOCAL_CREDENTIALS
    return boto3.Session(region_name=session.region_name or LOCAL_REGION, **credentials)


@dataclass
class Aws:
    """Clients for the endpoint and credentials the environment names (AWS_ENDPOINT_URL for a local cloud)."""

    endpoint: str | None = None

    @classmethod
    def from_environment(cls) -> Aws:
        return cls(endpoint=os.environ.get("AWS_ENDPOINT_URL"))

    @cached_property
    def session(self) -> boto3.Session:
        return session_for(self.endpoint)

    def client(self, service: str) -> Any:
        config = Config(connect_timeout=3, read_timeout=20, retries={"max_attempts": 2, "mode": "standard"})
        return self.session.client(service, config=config, endpoint_url=self.endpoint)

    @cached_property
    def sqs(self) -> Any:
        return self.client("sqs")

    @cached_property
    def events(self) -> Any:
        return self.client("events")

    def queue_urls(self) -> list[str]:
        urls: list[str] = []
        for page in self.sqs.get_paginator("list_queues").paginate():
            urls += page.get("QueueUrls", [])
        return sorted(urls)

    def queue_url(self, name: str) -> str:
        known = {url.rsplit("/", 1)[-1]: url for url in self.queue_urls()}
        if name not in known:
            dlqs = ", ".join(n for n in known if is_dead_letter_queue(n)) or "none"
            raise EventctlError(f"no queue named '{name}' (dead-letter queues here: {dlqs})")
        return known[name]

    def attributes(self, queue_url: str) -> dict[str, str]:
        return dict(self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"])


def is_dead_letter_queue(name: str) -> bool:
    base = name.removesuffix(".fifo")
    return base.endswith(DLQ_SUFFIXES)


def source_queue_arns(aws: Aws, dlq_url: str) -> list[str]:
    """The queues that send to this DLQ: its redrive allow policy, else the queues whose redrive names it."""
    attributes = aws.attributes(dlq_url)
    allow = json.loads(attributes.get("RedriveAllowPolicy") or "{}")
    if allow.get("sourceQueueArns"):
        return list(allow["sourceQueueArns"])
    dlq_arn = attributes["QueueArn"]
    sources = []
    for url in aws.queue_urls():
        redrive = json.loads(aws.attributes(url).get("RedrivePolicy") or "{}")
        if redrive.get("deadLetterTargetArn") == dlq_arn:
            sources.append(aws.attributes(url)["QueueArn"])
    return sources
