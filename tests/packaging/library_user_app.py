"""The smallest app of someone who installed the wheels: one queue and a consumer whose handler uses event_runtime.

Run by tests/e2e/test_library_user.py in a virtual environment where nothing of this repository is
importable but the wheels; it synthesizes into the directory given as its argument.
"""

import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from event_constructs import EventQueue, QueueConsumer

CODE = Path(__file__).resolve().parent / "library_user_code"


def main(outdir: str) -> None:
    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "LibraryUser")
    jobs = EventQueue(stack, "Jobs", queue_name="library-user-jobs", visibility_timeout=cdk.Duration.seconds(180))
    QueueConsumer(stack, "Worker", queue=jobs, code=lambda_.Code.from_asset(str(CODE)), handler="worker.handler")
    app.synth()


if __name__ == "__main__":
    main(sys.argv[1])
