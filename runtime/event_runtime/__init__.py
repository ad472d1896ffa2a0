"""The runtime half of event-constructs: what a consumer's handler needs of the queue QueueConsumer gave it.

Importable in Lambda without aws-cdk-lib or jsii (it needs Powertools, which the function's
Powertools layer provides, and boto3). ``event_constructs.QueueConsumer`` ships it to the function
in a layer of its own and sets the environment it reads (:class:`ConsumerSettings`).

- :class:`BatchConsumer`: a handler on Powertools' batch processor, with the failure policy.
- :class:`FailurePolicy`: poison to the DLQ with the reason, transient failures back off through
  visibility, real attempts counted apart from receives, the last attempt dead-lettered with the
  last error, ``maxReceiveCount`` never left to SQS.
- :class:`QueueWorker`: a long-running consumer (a container, ``QueueWorkerService``) with the same policy,
  a heartbeat that keeps slow messages invisible, batched deletes and a graceful stop.
- :class:`PoisonMessageError`, :class:`TransientError`: how your code says which failure it is.
"""

from event_runtime.attempts import Attempt, AttemptCounter, DynamoDBAttempts, ReceiveCountAttempts
from event_runtime.backoff import retry_delay_seconds
from event_runtime.batch import BatchConsumer, batch_processor, process_batch
from event_runtime.dead_letter import dead_letter
from event_runtime.environment import ConsumerSettings, WorkerSettings
from event_runtime.errors import PoisonMessageError, TransientError, is_transient
from event_runtime.failures import FailurePolicy
from event_runtime.settings import FunctionSettings, SettingsError, variable
from event_runtime.worker import QueueWorker, WorkerReport

__all__ = [
    "Attempt",
    "AttemptCounter",
    "BatchConsumer",
    "ConsumerSettings",
    "DynamoDBAttempts",
    "FailurePolicy",
    "FunctionSettings",
    "PoisonMessageError",
    "QueueWorker",
    "ReceiveCountAttempts",
    "SettingsError",
    "TransientError",
    "WorkerReport",
    "WorkerSettings",
    "batch_processor",
    "dead_letter",
    "is_transient",
    "process_batch",
    "retry_delay_seconds",
    "variable",
]

__version__ = "0.2.0"
