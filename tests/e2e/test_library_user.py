"""A library user's consumer, from the installed wheels, on the local cloud: the runtime half does its job in Lambda.

The app (tests/packaging/library_user_app.py) is synthesized in a virtual environment that holds the
event-constructs and event-constructs-runtime wheels and nothing of this repository; its handler
(tests/packaging/library_user_code/worker.py) imports event_runtime, which only the function's layer
provides. It is deployed with the cdk CLI next to the app's own stacks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud.deploy import deploy_assembly, missing_resources
from tests.e2e.system import DeployedSystem, wait_for
from tests.packaging.isolated import REPO, build_wheel, environment_with

APP = REPO / "tests" / "packaging" / "library_user_app.py"


@pytest.fixture(scope="module")
def library_user(system: DeployedSystem, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The deployed consumer's function name."""
    out = tmp_path_factory.mktemp("library-user")
    wheels = [build_wheel(REPO, out, "README.md", "event_constructs"), build_wheel(REPO / "runtime", out)]
    environment = environment_with(wheels, out)
    synthesized = environment.run(str(APP), str(out / "cdk.out"), cwd=out)
    assert synthesized.returncode == 0, synthesized.stderr[-3000:]
    deploy_assembly(system.settings, out / "cdk.out")
    assert missing_resources(system.settings, out / "cdk.out") == {}
    return system.function_reading("library-user-jobs")


def test_a_good_job_is_done_and_a_poison_one_reaches_the_dlq_with_its_reason(
    system: DeployedSystem, library_user: str
) -> None:
    queue = system.queue_url("library-user-jobs")
    system.sqs.send_message(QueueUrl=queue, MessageBody='{"size": 3}')
    system.sqs.send_message(QueueUrl=queue, MessageBody='{"colour": "red"}')
    dead = wait_for(
        lambda: system.sqs.receive_message(
            QueueUrl=system.queue_url("library-user-jobs-dlq"), MessageAttributeNames=["All"], WaitTimeSeconds=1
        ).get("Messages"),
        what="the poison job in the DLQ",
    )
    assert dead[0]["Body"] == '{"colour": "red"}'
    assert dead[0]["MessageAttributes"]["failure_reason"]["StringValue"] == "poison message: a job needs a size"
    done = wait_for(
        lambda: [e for e in system.log_entries(library_user) if e.get("message") == "job done"], what="the good job"
    )
    assert done[0]["size"] == 3
    # event_runtime came from the function's layer, unpacked by the local cloud, not from an installed package.
    assert Path(done[0]["event_runtime"]).is_relative_to(system.settings.state_dir / "layers")
    wait_for(lambda: system.queue_depth("library-user-jobs") == 0, what="the work queue emptied")
