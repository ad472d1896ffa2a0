"""What every queue consumer's handler module builds once: its service, and the failure policy around each record.

A handler module is a thin shell: ``runtime()`` reads the settings, makes the clients and the
service, and returns a :class:`Consumer`; ``lambda_handler`` runs the batch through
:meth:`Consumer.handle` with :func:`event_runtime.batch.process_batch`. The business rules live in
the function's ``service`` module (tested there); the shell has none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from event_runtime.failures import FailurePolicy

ServiceT = TypeVar("ServiceT")


@dataclass
class Consumer(Generic[ServiceT]):
    """A queue consumer, as its handler module's ``runtime()`` builds it on first use.

    ``service`` holds the function's rules and clients; ``process`` applies one record with it (raising
    to fail the record); ``failures`` settles a record that failed: poison to the DLQ with the reason, a
    transient failure backed off, the last attempt dead-lettered. What the policy asks before
    dead-lettering a record out of attempts (``already_done``) is given when it is built, never patched in.
    """

    service: ServiceT
    process: Callable[[SQSRecord], Any]
    failures: FailurePolicy

    def handle(self, record: SQSRecord) -> Any:
        """One record as one counted attempt; a failure is settled by the policy or raised for a retry."""
        return self.failures.run(record, self.process)
