"""The reconciliation worker's entry point: ``python -m orders_functions.reconciliation.worker``.

Runs in a Fargate task made by ``event_constructs.QueueWorkerService`` (and, locally, as a process the
local cloud starts from the task definition's command). A thin shell: it reads the settings, makes
the clients and the :class:`~orders_functions.reconciliation.service.Reconciler`, and runs an
:class:`event_runtime.QueueWorker` on the ``balance-reconciliation`` queue until the task is stopped.
"""

from __future__ import annotations

import boto3
from aws_lambda_powertools import Logger, Metrics

from event_runtime.environment import WorkerSettings
from event_runtime.worker import QueueWorker, WorkerReport
from orders_functions.common.readers import METRICS_NAMESPACE
from orders_functions.reconciliation.service import Reconciler
from orders_functions.reconciliation.settings import ReconciliationSettings

logger = Logger(service="reconciliation")
metrics = Metrics(namespace=METRICS_NAMESPACE, service="reconciliation")


def build_worker() -> QueueWorker:
    settings = ReconciliationSettings.from_environment()
    worker_settings = WorkerSettings.from_environment()
    sqs = boto3.client("sqs")
    reconciler = Reconciler(
        boto3.client("dynamodb"),
        boto3.client("s3"),
        sqs,
        balances_table=settings.balances_table,
        reports_bucket=settings.reports_bucket,
        queue_url=worker_settings.queue_url,
        logger=logger,
        metrics=metrics,
    )
    return QueueWorker(reconciler.process, logger=logger, settings=worker_settings, sqs_client=sqs)


def main() -> WorkerReport:
    return build_worker().run()


if __name__ == "__main__":
    main()
