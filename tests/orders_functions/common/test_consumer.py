"""common.consumer: a handler's consumer runs each record through its failure policy, once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from orders_functions.common.consumer import Consumer


class RecordingPolicy:
    """A failure policy that runs the record and says what it was given."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    def run(self, record: SQSRecord, process: Any) -> Any:
        self.ran.append(record.message_id)
        return process(record)


def test_a_record_is_processed_through_the_failure_policy_and_its_result_returned() -> None:
    policy = RecordingPolicy()
    consumer = Consumer(service="the service", process=lambda record: f"done {record.message_id}", failures=policy)
    assert consumer.handle(SQSRecord({"messageId": "m-1", "body": "{}"})) == "done m-1"  # type: ignore[arg-type]
    assert policy.ran == ["m-1"]
    assert consumer.service == "the service"
