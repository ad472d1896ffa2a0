"""Collect every problem with a construct's props, then fail once with all of them.

Example:
    >>> problems = PropsProblems("EventQueue", "Stack/Orders")
    >>> problems.check(False, "max_receive_count is 0; use a value from 1 to 1000")
    >>> problems.raise_if_any()
    Traceback (most recent call last):
    ...
    event_constructs._validation.InvalidPropsError: EventQueue 'Stack/Orders' has 1 invalid prop:
      - max_receive_count is 0; use a value from 1 to 1000
"""

from __future__ import annotations

from aws_cdk import Duration, Token


class InvalidPropsError(ValueError):
    """Raised at synth when a construct is given props that cannot work.

    ``problems`` holds one message per problem, each saying what to change.
    """

    def __init__(self, construct_type: str, path: str, problems: list[str]) -> None:
        self.construct_type = construct_type
        self.path = path
        self.problems = list(problems)
        noun = "prop" if len(problems) == 1 else "props"
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{construct_type} '{path}' has {len(problems)} invalid {noun}:\n{lines}")


class PropsProblems:
    """An accumulator of prop problems for one construct."""

    def __init__(self, construct_type: str, path: str) -> None:
        self._construct_type = construct_type
        self._path = path
        self._problems: list[str] = []

    def check(self, condition: bool, problem: str) -> None:
        """Record ``problem`` unless ``condition`` holds."""
        if not condition:
            self._problems.append(problem)

    def raise_if_any(self) -> None:
        if self._problems:
            raise InvalidPropsError(self._construct_type, self._path, self._problems)


def seconds(duration: Duration | None) -> float | None:
    """Seconds in ``duration``; None when it is absent or an unresolved token."""
    if duration is None or Token.is_unresolved(duration.to_string()):
        return None
    return duration.to_seconds()
