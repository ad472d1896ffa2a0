"""What the notification tests read back."""

from __future__ import annotations

from typing import Any

import boto3


def notifications() -> dict[str, dict[str, Any]]:
    """Notification id -> the record in the notifications table."""
    return {i["notification_id"]: i for i in boto3.resource("dynamodb").Table("notifications").scan()["Items"]}
