"""Dead-letter queues: how deep, what is in them and why, and redrive to where they came from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import ClientError

from eventctl.aws import Aws, is_dead_letter_queue, source_queue_arns
from eventctl.errors import EventctlError


@dataclass(frozen=True)
class DeadLetterQueue:
    name: str
    url: str
    visible: int
    in_flight: int
    sources: list[str]


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    reason: str
    kind: str
    receive_count: str
    body: str
    #: Real attempts the handler counted (apart from receives), where it counted them.
    attempts: str = "-"


def list_dead_letter_queues(aws: Aws) -> list[DeadLetterQueue]:
    found = []
    for url in aws.queue_urls():
        name = url.rsplit("/", 1)[-1]
        if not is_dead_letter_queue(name):
            continue
        attributes = aws.attributes(url)
        found.append(
            DeadLetterQueue(
                name=name,
                url=url,
                visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
                in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
                sources=[arn.rsplit(":", 1)[-1] for arn in source_queue_arns(aws, url)],
            )
        )
    return found


def dead_letter_queue_url(aws: Aws, name: str) -> str:
    if not is_dead_letter_queue(name):
        raise EventctlError(f"'{name}' is not a dead-letter queue (its name should end with -dlq)")
    return aws.queue_url(name)


#: Message attributes that say why a message is in a DLQ: our handlers', then EventBridge's (target DLQs).
REASON_ATTRIBUTES = ("failure_reason", "ERROR_MESSAGE")
KIND_ATTRIBUTES = ("failure_kind", "ERROR_CODE")
#: How long peeked messages stay hidden while the rest of the queue is read (then made visible again).
PEEK_HIDE_SECONDS = 300


def peek(aws: Aws, name: str, limit: int) -> list[DeadLetter]:
    """Up to ``limit`` messages, each once, without consuming them.

    Each message is received with a visibility timeout, so the next receive returns others, and
    made visible again at the end: the queue is left as it was.
    """
    url = dead_letter_queue_url(aws, name)
    seen: dict[str, DeadLetter] = {}
    receipts: list[str] = []
    while len(seen) < limit:
        batch = aws.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, limit - len(seen)),
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            VisibilityTimeout=PEEK_HIDE_SECONDS,
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            attributes = {k: str(v.get("StringValue", "")) for k, v in message.get("MessageAttributes", {}).items()}

            def first(keys: tuple[str, ...], attributes: dict[str, str] = attributes) -> str:
                return next((attributes[k] for k in keys if attributes.get(k)), "-")

            receipts.append(message["ReceiptHandle"])
            seen.setdefault(
                message["MessageId"],
                DeadLetter(
                    message_id=message["MessageId"],
                    reason=first(REASON_ATTRIBUTES),
                    kind=first(KIND_ATTRIBUTES),
                    receive_count=first(("receive_count",)),
                    body=message["Body"],
                    attempts=first(("attempts",)),
                ),
            )
    for start in range(0, len(receipts), 10):
        aws.sqs.change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": receipt, "VisibilityTimeout": 0}
                for i, receipt in enumerate(receipts[start : start + 10])
            ],
        )
    return list(seen.values())


@dataclass(frozen=True)
class Redrive:
    dead_letter_queue: str
    destination: str
    messages: int
    method: str


def plan_redrive(aws: Aws, name: str) -> tuple[str, str, str, int]:
    url = dead_letter_queue_url(aws, name)
    sources = source_queue_arns(aws, url)
    if len(sources) != 1:
        raise EventctlError(
            f"{name} has {len(sources)} source queues ({', '.join(sources) or 'none'}); redrive needs exactly one"
        )
    attributes = aws.attributes(url)
    return url, attributes["QueueArn"], sources[0], int(attributes.get("ApproximateNumberOfMessages", 0))


def redrive(aws: Aws, name: str, on_moved: Callable[[int], None] = lambda moved: None) -> Redrive:
    """Move the DLQ's messages back to their source queue.

    SQS's StartMessageMoveTask does it server-side; where the endpoint lacks it, messages are
    received, sent to the source, and deleted from the DLQ only once the send succeeded.
    """
    url, dlq_arn, source_arn, count = plan_redrive(aws, name)
    destination = source_arn.rsplit(":", 1)[-1]
    try:
        aws.sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=source_arn)
        return Redrive(name, destination, count, "StartMessageMoveTask")
    except NotImplementedError:  # moto, in process
        pass
    except ClientError as error:  # an endpoint without the action (a local cloud) answers with an error
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code not in {"UnsupportedOperation", "InvalidAction", "NotImplemented", "InternalFailure"} and status != 501:
            raise
    destination_url = aws.queue_url(destination)
    fifo = destination.endswith(".fifo")
    moved = 0
    while True:
        batch = aws.sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
            VisibilityTimeout=60,
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            params = {
                "QueueUrl": destination_url,
                "MessageBody": message["Body"],
                "MessageAttributes": {
                    k: {"DataType": v["DataType"], "StringValue": v["StringValue"]}
                    for k, v in message.get("MessageAttributes", {}).items()
                    if "StringValue" in v
                },
            }
            if fifo:
                params["MessageGroupId"] = message["Attributes"].get("MessageGroupId", "redrive")
                params["MessageDeduplicationId"] = message["MessageId"]
            aws.sqs.send_message(**params)
            aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
            on_moved(moved)
    return Redrive(name, destination, moved, "receive/send/delete")
