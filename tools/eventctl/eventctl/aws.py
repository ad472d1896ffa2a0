"""AWS clients from the environment, and queue lookups by name."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config

from eventctl.errors import EventctlError

DLQ_SUFFIXES = ("-dlq", "-delivery-dlq", "-target-dlq")


@dataclass
class Aws:
    """Clients for the endpoint and credentials the environment names (AWS_ENDPOINT_URL for a local cloud)."""

    endpoint: str | None = None

    @classmethod
    def from_environment(cls) -> Aws:
        return cls(endpoint=os.environ.get("AWS_ENDPOINT_URL"))

    def client(self, service: str) -> Any:
        config = Config(connect_timeout=3, read_timeout=20, retries={"max_attempts": 2, "mode": "standard"})
        return boto3.client(service, config=config, endpoint_url=self.endpoint)

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
