"""The local cloud's EventBridge InputTransformer against what AWS renders, one documented rule per test.

Sources (cited beside each test):
  GUIDE    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
           (#eb-transform-input-predefined, #eb-transform-input-examples, #eb-transform-input-issues)
  API      https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html
  RECORDED https://github.com/localstack/localstack/blob/main/tests/aws/services/events/test_events_inputs.snapshot.json
           (LocalStack's ``markers.aws.validated`` tests, recorded against AWS: what AWS delivered to SQS)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.events.utils import EventTemplateParser

from localcloud.compat import events_input_transformer, installed
from localcloud.compat.events_input_transformer import render, render_text
from tests.localcloud.compat.conftest import queue_with_arn, received, rule_to_queue

GUIDE = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html"
PREDEFINED = f"{GUIDE}#eb-transform-input-predefined"
EXAMPLES = f"{GUIDE}#eb-transform-input-examples"
ISSUES = f"{GUIDE}#eb-transform-input-issues"
API = "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html"
RECORDED = (
    "https://github.com/localstack/localstack/blob/main/tests/aws/services/events/test_events_inputs.snapshot.json"
)

# The user guide's example event and Input Path (GUIDE, "Input transform examples").
EC2_EVENT: dict[str, Any] = {
    "version": "0",
    "id": "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "123456789012",
    "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING"},
}
EC2_PATHS = {"timestamp": "$.time", "instance": "$.detail.instance-id", "state": "$.detail.state"}
RULE_ARN = "arn:aws:events:us-east-2:123456789012:rule/example"


def ec2(template: str, **rule: str) -> Any:
    return render({"InputPathsMap": EC2_PATHS, "InputTemplate": template}, EC2_EVENT, **rule)


def one(path: str, value: Any, template: str) -> Any:
    return render({"InputPathsMap": {"v": path}, "InputTemplate": template}, {"detail": {"x": value}})


# --- string templates --------------------------------------------------------------------------------------


def test_a_simple_string_template() -> None:
    """EXAMPLES "Simple string": "instance <instance> is in <state>" -> "instance i-0123456789 is in RUNNING"."""
    assert ec2('"instance <instance> is in <state>"') == "instance i-0123456789 is in RUNNING"
    assert render_text(EC2_PATHS, '"instance <instance> is in <state>"', EC2_EVENT) == (
        '"instance i-0123456789 is in RUNNING"'
    )


def test_a_string_template_with_escaped_quotes() -> None:
    """EXAMPLES "String with escaped quotes": "instance \\"<instance>\\" is in <state>"."""
    assert ec2(r'"instance \"<instance>\" is in <state>"') == 'instance "i-0123456789" is in RUNNING'


# --- JSON templates: where quotes come from ----------------------------------------------------------------


def test_a_string_value_is_quoted_by_eventbridge_not_by_the_template() -> None:
    """EXAMPLES "Simple JSON": {"instance": <instance>, "state": <state>} gets quoted strings; ISSUES: "Quotes
    are not required for variables that represent strings ... EventBridge automatically adds quotes"."""
    assert ec2('{"instance" : <instance>, "state": <state>}') == {"instance": "i-0123456789", "state": "RUNNING"}


def test_a_quoted_placeholder_and_a_placeholder_inside_a_longer_string() -> None:
    """EXAMPLES "JSON with strings and variables": "<state>" and "instance \\"<instance>\\" is in <state>"."""
    template = (
        '{"instance": <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>"}'
    )
    assert ec2(template) == {
        "instance": "i-0123456789",
        "state": "RUNNING",
        "instanceStatus": 'instance "i-0123456789" is in RUNNING',
    }


def test_variables_mixed_with_static_values() -> None:
    """EXAMPLES "JSON with a mix of variables and static information": [9, <state>, true]."""
    assert ec2('{"instance": <instance>, "state": [9, <state>, true], "Transformed": "Yes"}') == {
        "instance": "i-0123456789",
        "state": [9, "RUNNING", True],
        "Transformed": "Yes",
    }


# --- a path missing from the event -------------------------------------------------------------------------


def test_a_missing_path_renders_nothing_inside_a_string() -> None:
    """ISSUES: "If you specify a variable to match a JSON path that doesn't exist in the event, that variable
    isn't created and won't appear in the output." RECORDED (custom-variables-not-match-all, string template):
    "Event of ... info extracted from detail <command>" became "... info extracted from detail "."""
    paths = {"type": "$.detail-type", "command": "$.detail.notinmessage"}
    template = '"Event of <type> type, info extracted from detail <command>"'
    assert render_text(paths, template, EC2_EVENT) == (
        '"Event of EC2 Instance State-change Notification type, info extracted from detail "'
    )


def test_a_missing_path_in_a_value_position_is_an_empty_string() -> None:
    """ISSUES (as above) and RECORDED (input_template_json, custom-variables-not-match-all): the template
    {"detailType": <detail-type>, "command": <command>} with $.detail.notinmessage delivered "command": ""."""
    paths = {"detail-type": "$.detail-type", "command": "$.detail.notinmessage"}
    rendered = render(
        {"InputPathsMap": paths, "InputTemplate": '{"detailType": <detail-type>, "command": <command>}'}, EC2_EVENT
    )
    assert rendered == {"detailType": "EC2 Instance State-change Notification", "command": ""}


def test_a_path_through_a_missing_parent_or_past_an_array_is_missing() -> None:
    """ISSUES (missing path); GUIDE note: supported JSON path syntax includes dot notation and array indices."""
    assert one("$.detail.x.y.z", None, '{"v": <v>}') == {"v": ""}
    assert one("$.detail.x[3]", [1, 2], '{"v": <v>}') == {"v": ""}
    assert one("$.detail.x[1]", [1, 2], '{"v": <v>}') == {"v": 2}
    first = render({"InputPathsMap": {"r": "$.resources[0]"}, "InputTemplate": '{"r": <r>}'}, EC2_EVENT)
    assert first == {"r": "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"}


# --- strings with quotes, backslashes, newlines and non-ASCII ----------------------------------------------

AWKWARD = 'say "hi"\\ C:\\temp\nline 2\ttab — café ✓ 😀'


def test_an_awkward_string_in_a_value_position_arrives_unchanged() -> None:
    """ISSUES: EventBridge adds the quotes "to ensure the transformation output is valid JSON". The value is
    the event's JSON string (EventBridge "doesn't escape values extracted by Input Path": they are already
    JSON), so quotes, backslashes, newlines and non-ASCII read back as in the event."""
    assert one("$.detail.x", AWKWARD, '{"v": <v>}') == {"v": AWKWARD}
    text = render_text({"v": "$.detail.x"}, '{"v": <v>}', {"detail": {"x": "café"}})
    assert text == '{"v": "café"}'  # non-ASCII written as is, not as \\u escapes


def test_an_awkward_string_inside_a_template_string_arrives_unchanged() -> None:
    """EXAMPLES "JSON with strings and variables" (a variable inside a string is its text) and ISSUES (output
    stays valid JSON); same reasoning as above for the escapes."""
    assert one("$.detail.x", AWKWARD, '"before <v> after"') == f"before {AWKWARD} after"
    assert one("$.detail.x", AWKWARD, '{"note": "[<v>]"}') == {"note": f"[{AWKWARD}]"}


def test_escaped_backslashes_and_quotes_in_the_template_keep_track_of_strings() -> None:
    """API: "To have the InputTemplate include quote marks within a JSON string, escape each quote marks with a
    slash"; a placeholder after an escaped backslash or quote is still inside the string."""
    template = '{"path": "C:\\\\dir\\\\<v>", "quoted": "\\"<v>\\"", "bare": <v>}'
    assert one("$.detail.x", "a", template) == {"path": "C:\\dir\\a", "quoted": '"a"', "bare": "a"}


# --- numbers, booleans, null, objects and arrays -----------------------------------------------------------


@pytest.mark.parametrize("value", [2, -3.5, 0, True, False, None])
def test_numbers_booleans_and_null_are_written_unquoted_in_a_value_position(value: Any) -> None:
    """ISSUES: EventBridge adds quotes to variables that represent strings (only); EXAMPLES mix shows 9 and
    true as JSON literals. A present null is written as null (not as a missing path's "")."""
    assert one("$.detail.x", value, '{"v": <v>}') == {"v": value}
    assert render_text({"v": "$.detail.x"}, '{"v": <v>}', {"detail": {"x": value}}) == f'{{"v": {json.dumps(value)}}}'


@pytest.mark.parametrize(("value", "text"), [(2, "2"), (2.5, "2.5"), (True, "true"), (False, "false"), (None, "null")])
def test_numbers_booleans_and_null_inside_a_string_are_their_json_text(value: Any, text: str) -> None:
    """EXAMPLES "Simple string" (a variable inside a string is replaced by its text)."""
    assert one("$.detail.x", value, '"n=<v>"') == f"n={text}"


def test_objects_and_arrays_are_written_as_json_in_a_value_position() -> None:
    """ISSUES: "EventBridge does not add quotes to variables that represent JSON objects or arrays" and "if
    you want to output a JSON object based on a single JSON path variable, you must place it as a key":
    {"detail": <detail>}."""
    detail = {"resourceType": ["ec2"], "resource": ["i-3f00f00fea9a7f1b0"], "n": 1, "ok": True, "none": None}
    assert one("$.detail.x", detail, '{"detail": <v>}') == {"detail": detail}
    assert one("$.detail.x", [1, "two", {"three": 3}], "[<v>]") == [[1, "two", {"three": 3}]]


def test_an_object_inside_a_string_loses_its_internal_quotes() -> None:
    """ISSUES: "If a JSON path references a JSON object or array, but the variable is referenced in a string,
    EventBridge removes any internal quotes to ensure a valid string": "Detail is <detail>" ->
    "Detail is {resourceType: [ec2], resource: [i-3f00f00fea9a7f1b0]}"."""
    detail = {"resourceType": ["ec2"], "resource": ["i-3f00f00fea9a7f1b0"]}
    assert (
        one("$.detail.x", detail, '"Detail is <v>"')
        == "Detail is {resourceType: [ec2], resource: [i-3f00f00fea9a7f1b0]}"
    )


# --- predefined variables ----------------------------------------------------------------------------------


def test_rule_arn_and_name_as_json_values() -> None:
    """EXAMPLES "Including reserved variables in JSON": "ruleArn": <aws.events.rule-arn> -> the quoted ARN,
    "ruleName": <aws.events.rule-name> -> "example"; PREDEFINED lists both."""
    rendered = ec2(
        '{"ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>}', rule_arn=RULE_ARN, rule_name="example"
    )
    assert rendered == {"ruleArn": RULE_ARN, "ruleName": "example"}


def test_rule_name_inside_a_string() -> None:
    """EXAMPLES "Including reserved variables in a string": "<aws.events.rule-name> triggered" -> "example
    triggered"."""
    assert ec2('"<aws.events.rule-name> triggered"', rule_arn=RULE_ARN, rule_name="example") == "example triggered"


def test_aws_events_event_is_the_event_without_its_detail() -> None:
    """PREDEFINED: aws.events.event is "The original event payload as JSON (without the detail field)";
    RECORDED (predefined_variables, originalEvent): AWS spells detail-type as detailType in it."""
    rendered = ec2('{"originalEvent": <aws.events.event>}')
    expected = {k: v for k, v in EC2_EVENT.items() if k not in ("detail", "detail-type")}
    assert rendered == {"originalEvent": {**expected, "detailType": "EC2 Instance State-change Notification"}}


def test_aws_events_event_json_is_the_whole_event() -> None:
    """PREDEFINED: aws.events.event.json is "The full original event payload as JSON (with the detail field)";
    RECORDED (originalEventJson) shows the event as published. moto's own ``ingestion-time`` key is no part
    of it."""
    moto_event = {**EC2_EVENT, "ingestion-time": 1447277394.0}
    assert render({"InputTemplate": '{"e": <aws.events.event.json>}'}, moto_event) == {"e": EC2_EVENT}


def test_event_variables_inside_a_string_are_not_escaped() -> None:
    """PREDEFINED: aws.events.event and aws.events.event.json "Can only be used as a value for a JSON field, as
    its contents are not escaped": inline in a string the output is not JSON (delivered as text)."""
    template = '"event: <aws.events.event.json>"'
    expected = '"event: ' + json.dumps(EC2_EVENT, ensure_ascii=False) + '"'
    assert render_text({}, template, EC2_EVENT) == expected
    assert render({"InputTemplate": template}, EC2_EVENT) == expected  # not JSON: the text itself


def test_ingestion_time_is_an_iso_8601_timestamp_that_cannot_be_overwritten() -> None:
    """PREDEFINED: aws.events.event.ingestion-time is "The time at which the event was received by EventBridge.
    This is an ISO 8601 timestamp. This variable is generated by EventBridge and can't be overwritten."
    (moto carries it as unix seconds in its event's ``ingestion-time``.)"""
    moto_event = {**EC2_EVENT, "ingestion-time": datetime(2024, 6, 11, 8, 33, 10, tzinfo=UTC).timestamp()}
    template = '{"at": <aws.events.event.ingestion-time>, "s": "at <aws.events.event.ingestion-time>"}'
    assert render({"InputTemplate": template}, moto_event) == {
        "at": "2024-06-11T08:33:10Z",
        "s": "at 2024-06-11T08:33:10Z",
    }
    overwritten = {"InputPathsMap": {"aws.events.event.ingestion-time": "$.id"}, "InputTemplate": template}
    assert render(overwritten, moto_event)["at"] == "2024-06-11T08:33:10Z"


# --- templates that are not JSON ---------------------------------------------------------------------------


def test_a_template_that_is_not_json_is_delivered_as_text() -> None:
    """API: "InputTemplate": "<instance> is in state <status>" (a template that is neither a JSON object nor a
    JSON string). What AWS delivers for it is not shown there: here the values are inserted as text."""
    assert ec2("<instance> is in state <state>") == "i-0123456789 is in state RUNNING"
    assert ec2('"Instance <instance>"\n"is <state>"') == '"Instance i-0123456789"\n"is RUNNING"'


# --- PutTargets validation, and the rule reaching moto's rendering -----------------------------------------


def _queue_target(transformer: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="rendered")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, {"Id": "to-queue", "Arn": arn, "InputTransformer": transformer}


@pytest.mark.usefixtures("aws")
def test_moto_renders_the_rules_arn_and_name() -> None:
    """PREDEFINED (rule ARN and name); RECORDED (predefined_variables): on a custom bus the rule ARN is
    arn:aws:events:<region>:<account>:rule/<bus-name>/<rule-name>."""
    transformer = {
        "InputPathsMap": {"id": "$.detail.id"},
        "InputTemplate": '{"id": <id>, "arn": <aws.events.rule-arn>, "name": <aws.events.rule-name>}',
    }
    with installed(events_input_transformer):
        events = boto3.client("events")
        events.create_event_bus(Name="orders")
        events.put_rule(Name="to-queue", EventBusName="orders", EventPattern=json.dumps({"source": ["shop"]}))
        url, target = _queue_target(transformer)
        events.put_targets(Rule="to-queue", EventBusName="orders", Targets=[target])
        events.put_events(
            Entries=[
                {"EventBusName": "orders", "Source": "shop", "DetailType": "X", "Detail": json.dumps({"id": "o-1"})}
            ]
        )
        (message,) = boto3.client("sqs").receive_message(QueueUrl=url)["Messages"]
    account = boto3.client("sts").get_caller_identity()["Account"]
    assert json.loads(message["Body"]) == {
        "id": "o-1",
        "arn": f"arn:aws:events:us-east-1:{account}:rule/orders/to-queue",
        "name": "to-queue",
    }


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("transformer", "message"),
    [
        # RECORDED (missing_keys): "InputTemplate for target <target-id> contains invalid placeholder notdefinedkey."
        (
            {"InputPathsMap": {"a": "$.a"}, "InputTemplate": '"<a> and <notdefinedkey>"'},
            "InputTemplate for target to-queue contains invalid placeholder notdefinedkey.",
        ),
        # API: InputPathsMap "Map Entries: Maximum number of 100 items."
        ({"InputPathsMap": {f"k{i}": "$.a" for i in range(101)}, "InputTemplate": '"x"'}, "at most 100"),
        # API: key pattern [A-Za-z0-9\_\-]+ (so no key can take a predefined variable's name); PREDEFINED: reserved
        ({"InputPathsMap": {"aws.events.rule-name": "$.a"}, "InputTemplate": '"x"'}, "must match"),
        # API: InputTemplate "Length Constraints: Minimum length of 1. Maximum length of 8192."
        ({"InputTemplate": '"' + "x" * 8191 + '"'}, "1-8192"),
    ],
)
def test_put_targets_refuses_what_aws_refuses(transformer: dict[str, Any], message: str) -> None:
    with installed(events_input_transformer):
        events = boto3.client("events")
        events.put_rule(Name="to-queue", EventPattern=json.dumps({"source": ["shop"]}))
        _, target = _queue_target(transformer)
        with pytest.raises(ClientError, match="ValidationException") as refused:
            events.put_targets(Rule="to-queue", Targets=[target])
    assert message in str(refused.value)


@pytest.mark.usefixtures("aws")
def test_put_targets_accepts_the_limits() -> None:
    """API: 100 entries, 256-character keys and paths, an 8192-character template are all allowed."""
    paths = {f"k{i}": "$.a" for i in range(99)} | {"k" * 256: "$." + "a" * 254}
    transformer = {"InputPathsMap": paths, "InputTemplate": '"' + "x" * 8190 + '"'}
    with installed(events_input_transformer):
        events = boto3.client("events")
        events.put_rule(Name="to-queue", EventPattern=json.dumps({"source": ["shop"]}))
        _, target = _queue_target(transformer)
        events.put_targets(Rule="to-queue", Targets=[target])
        (stored,) = events.list_targets_by_rule(Rule="to-queue")["Targets"]
    assert stored["InputTransformer"] == transformer


# --- The gap: moto renders string values unquoted ----------------------------------------------------------


TRANSFORMER = {"InputPathsMap": {"id": "$.detail.id", "n": "$.detail.n"}, "InputTemplate": '{"order": <id>, "n": <n>}'}


@pytest.mark.usefixtures("aws")
def test_moto_still_renders_string_values_unquoted() -> None:
    with pytest.raises(json.JSONDecodeError):
        EventTemplateParser.parse(
            TRANSFORMER["InputTemplate"],
            TRANSFORMER["InputPathsMap"],
            {"detail": {"id": "o-1", "n": 2}, "ingestion-time": 0},
        )


@pytest.mark.usefixtures("aws")
def test_input_transformer_quotes_strings_as_aws_does() -> None:
    with installed(events_input_transformer):
        rendered = EventTemplateParser.parse(
            TRANSFORMER["InputTemplate"], TRANSFORMER["InputPathsMap"], {"detail": {"id": "o-1", "n": 2}}
        )
    assert rendered == {"order": "o-1", "n": 2}


# --- Adversity (issue 16's review round): ``time`` renders as the event's time string ---------------------


def test_input_transformer_time_renders_as_the_event_time_string(routing_cloud: None) -> None:
    """https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html: a path's value is
    inserted from the event; an EventBridge event's "time" is an ISO 8601 string ("2017-12-22T18:43:48Z" in the
    page's example event). In the local cloud "<time>" renders moto's unix number."""
    url, arn = queue_with_arn("q6")
    rule_to_queue(
        '{"source": ["s"]}', arn, InputTransformer={"InputPathsMap": {"t": "$.time"}, "InputTemplate": '{"t": <t>}'}
    )
    boto3.client("events").put_events(Entries=[{"Source": "s", "DetailType": "t", "Detail": "{}"}])
    (message,) = received(url)
    assert isinstance(json.loads(message["Body"])["t"], str), message["Body"]
