"""event_constructs.input_transform: an InputMapping checked at synth and rendered as EventBridge renders an
InputTransformer, and the rendered template checked against its paths map."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events

from event_constructs import InputMapping, input_template_problems
from event_constructs.input_transform import MAX_INPUT_PATHS

MAPPING = InputMapping(paths={"order_id": "$.detail.order_id", "amount": "$.detail.total"}, constants={"tier": "x"})


def test_a_mapping_of_event_fields_and_constants_has_no_problem() -> None:
    assert MAPPING.problems() == []
    assert InputMapping(paths={"source": "$.source", "id": "$.id", "kind": "$.detail-type"}).problems() == []


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        (InputMapping(paths={}), "an input mapping needs at least one path; to send a fixed input, use constants only"),
        (
            InputMapping(paths={f"f{i}": f"$.detail.f{i}" for i in range(MAX_INPUT_PATHS + 1)}),
            f"an input mapping may have at most {MAX_INPUT_PATHS} paths, not {MAX_INPUT_PATHS + 1}",
        ),
        (
            InputMapping(paths={"id": "detail.id"}),
            "input field 'id': 'detail.id' is not a JSON path like $.detail.order_id",
        ),
        (InputMapping(paths={"id": "$.detail[0]"}), "input field 'id': '$.detail[0]' is not a JSON path like"),
        (
            InputMapping(paths={"id": "$.payload.id"}),
            "input field 'id': '$.payload.id' does not start at an event field",
        ),
        (
            InputMapping(paths={"id": "$.detail.id"}, constants={"id": 1}),
            "input field 'id' is both a path and a constant; keep one",
        ),
        (
            InputMapping(paths={"id": "$.detail.id"}, constants={"when": {1, 2}}),
            "input constant 'when' is not JSON (set)",
        ),
    ],
    ids=["no-path", "too-many", "not-a-path", "an-index", "not-an-event-field", "path-and-constant", "not-json"],
)
def test_each_problem_of_a_mapping_says_what_to_change(mapping: InputMapping, problem: str) -> None:
    (found,) = mapping.problems()
    assert found.startswith(problem)


def test_a_mapping_renders_paths_as_variables_and_constants_as_values() -> None:
    stack = cdk.Stack(cdk.App(), "Example")
    rule = events.Rule(stack, "Rule", event_pattern=events.EventPattern(source=["com.example"]))
    rendered = MAPPING.to_rule_target_input().bind(rule)
    assert rendered.input_paths_map == {"detail-order_id": "$.detail.order_id", "detail-total": "$.detail.total"}
    template = stack.resolve(rendered.input_template)
    assert template == '{"order_id":<detail-order_id>,"amount":<detail-total>,"tier":"x"}'
    assert input_template_problems(rendered.input_paths_map, template) == []


def test_template_problems_are_found() -> None:
    assert input_template_problems({"a": "$.detail.a"}, '{"a": <a>, "b": "<a>"}') == []
    assert input_template_problems({"a": "$.detail.a"}, '{"a": <a>, "b": <b>}') == [
        "the input template uses <b>, which is not in the input paths map (it has: a)"
    ]
    problems = input_template_problems({"a": "$.detail.a"}, '{"a": <a>,}')
    assert len(problems) == 1 and "not valid JSON after substitution" in problems[0]
