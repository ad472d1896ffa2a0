"""An EventBridge bus with an archive, rules from typed patterns, and targets that never drop events.

Example:
    >>> import aws_cdk as cdk
    >>> from aws_cdk import aws_events as events
    >>> from event_constructs import EventRouter
    >>> stack = cdk.Stack(cdk.App(), "Example")
    >>> router = EventRouter(stack, "Orders", bus_name="orders", archive_name="all-order-events",
    ...                      archive_pattern=events.EventPattern(source=["com.myapp.orders"]))
    >>> rule = router.add_rule("Big", rule_name="big-orders",
    ...                        pattern=events.EventPattern(detail={"total": events.Match.greater_than(1000)}))
    >>> rule.node.id
    'Big'
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from event_constructs._validation import PropsProblems, seconds
from event_constructs.defaults import EVERY_CONSTRUCT, QUEUE, ROUTER
from event_constructs.input_transform import InputMapping, input_template_problems
from event_constructs.writers import WritersOnly, restrict
from event_routing.eventbridge import event_pattern_problems

MAX_RETRY_ATTEMPTS = 185
MIN_EVENT_AGE = Duration.seconds(60)
MAX_EVENT_AGE = Duration.hours(24)
#: An archive's retention of 0 days keeps events forever.
FOREVER = Duration.days(0)


class EventRouter(Construct):
    """A custom event bus that only the named accounts may put events on, with an archive.

    Pass ``bus`` to route an existing bus (its resource policy is left as it is).

    Every target added through :meth:`add_state_machine_target` gets a DLQ (events that could
    not be delivered after the retries), a retry policy and a maximum event age; its input can
    be an :class:`InputMapping`, whose rendered InputTransformer is checked at synth.

    Args:
        bus_name: the new bus's name. Default: none: give ``bus`` instead.
        bus: an existing bus to route instead of making one. Default: none: a new bus.
        archive_name: the archive's name (with ``archive_pattern``). Default: none: no archive.
        archive_pattern: the events the archive keeps (with ``archive_name``). Default: none: no archive.
        archive_retention: how long the archive keeps events (at least a day). Default: none: kept forever.
        allowed_account_ids: the accounts that may put events on a new bus. Default: none: the stack's own
            account only.
        removal_policy: what happens to the rule targets' DLQs when they leave the stack.
            Default: RemovalPolicy.DESTROY.

    Attributes:
        bus, archive, rules (name -> rule), dead_letter_queues (rule name -> target DLQ).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus_name: str | None = None,
        bus: events.IEventBus | None = None,
        archive_name: str | None = None,
        archive_pattern: events.EventPattern | None = None,
        archive_retention: Duration | None = ROUTER.archive_retention,
        allowed_account_ids: Sequence[str] = ROUTER.allowed_account_ids,
        removal_policy: RemovalPolicy = EVERY_CONSTRUCT.removal_policy,
    ) -> None:
        super().__init__(scope, construct_id)
        problems = PropsProblems("EventRouter", self.node.path)
        problems.check(
            (bus_name is None) != (bus is None),
            "give bus_name for a new bus, or bus for an existing one (exactly one of them)",
        )
        problems.check(
            (archive_name is None) == (archive_pattern is None),
            "give archive_name and archive_pattern together (or neither, for no archive)",
        )
        retention_days = seconds(archive_retention)
        if retention_days is not None:
            problems.check(
                retention_days >= 86400, "archive_retention must be at least one day, or None to keep forever"
            )
        problems.raise_if_any()

        self.removal_policy = removal_policy
        if bus is not None:
            self.bus: events.IEventBus = bus  # its resource policy stays its owner's business
        else:
            new_bus = events.EventBus(self, "Bus", event_bus_name=bus_name)
            accounts = list(allowed_account_ids) or [Stack.of(self).account]
            new_bus.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="PutEventsFromNamedAccountsOnly",
                    principals=[iam.AccountPrincipal(account) for account in accounts],
                    actions=["events:PutEvents"],
                    resources=[new_bus.event_bus_arn],
                )
            )
            self.bus = new_bus
        self.archive: events.Archive | None = None
        if archive_name is not None and archive_pattern is not None:
            self.archive = events.Archive(
                self,
                "Archive",
                source_event_bus=self.bus,
                archive_name=archive_name,
                event_pattern=archive_pattern,
                retention=archive_retention or FOREVER,
                description=f"Every matching event of bus {bus_name or self.bus.event_bus_name}, for replay",
            )
        self.rules: dict[str, events.Rule] = {}
        self._producers: list[iam.IGrantable] = []
        self._writers_only: WritersOnly | None = None
        self.dead_letter_queues: dict[str, sqs.Queue] = {}

    def add_rule(
        self, construct_id: str, *, rule_name: str, pattern: events.EventPattern, description: str | None = None
    ) -> events.Rule:
        """A rule on the bus; a pattern EventBridge would refuse fails at synth (when it holds no tokens).

        Args:
            construct_id: the rule's id in this construct.
            rule_name: the rule's name.
            pattern: the events the rule matches.
            description: the rule's description. Default: none.
        """
        rule = events.Rule(
            self, construct_id, rule_name=rule_name, event_bus=self.bus, event_pattern=pattern, description=description
        )
        rendered = Stack.of(self).resolve(rule.node.default_child.event_pattern)  # type: ignore[union-attr]
        if rendered and not _has_intrinsics(rendered):  # a pattern of tokens is judged by EventBridge at deploy
            problems = PropsProblems("EventRouter rule", f"{self.node.path}/{construct_id}")
            for problem in event_pattern_problems(rendered):
                problems.check(False, f"EventBridge would refuse the pattern of rule '{rule_name}': {problem}")
            problems.raise_if_any()
        self.rules[rule_name] = rule
        return rule

    def grant_put_events(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` put events on the bus (events:PutEvents on this bus only).

        After :meth:`accept_writes_only_from`, it is also one of the bus's producers.
        """
        self._producers.append(grantee)
        if self._writers_only is not None:
            self._writers_only.allow_grantee(grantee)
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["events:PutEvents"], resource_arns=[self.bus.event_bus_arn]
        )

    def accept_writes_only_from(self, *principal_arns: str) -> WritersOnly:
        """Deny ``events:PutEvents`` on the bus to all but its producers (see :mod:`event_constructs.writers`).

        The producers are the grantees of :meth:`grant_put_events` (before and after this call) and
        ``principal_arns`` (an operator who republishes by hand, say).
        """
        if not isinstance(self.bus, events.EventBus):
            raise ValueError("an existing bus's policy is its owner's; restrict it there")
        self._writers_only = restrict(
            self._writers_only,
            self.bus,
            self.bus.add_to_resource_policy,
            ["events:PutEvents"],
            [self.bus.event_bus_arn],
            grantees=self._producers,
            principal_arns=principal_arns,
        )
        return self._writers_only

    def add_state_machine_target(
        self,
        rule: events.Rule,
        state_machine: sfn.IStateMachine,
        *,
        input_mapping: InputMapping | None = None,
        retry_attempts: int = ROUTER.retry_attempts,
        max_event_age: Duration | None = None,
    ) -> sqs.Queue:
        """Start ``state_machine`` for each matching event, through a role that may only start it.

        Returns the target's DLQ (it keeps events as long as an :class:`EventQueue`'s DLQ does by default).

        Args:
            rule: a rule of this router (from :meth:`add_rule`).
            state_machine: the state machine to start.
            input_mapping: the execution's input, drawn from the event. Default: none: the event as it is.
            retry_attempts: retries of a delivery that failed (0 to 185). Default: 8.
            max_event_age: how long EventBridge keeps retrying an event (60 s to 24 hours). Default: 2 hours.
        """
        max_event_age = max_event_age or ROUTER.max_event_age
        rule_name = next(name for name, known in self.rules.items() if known is rule)
        problems = PropsProblems("EventRouter target", f"{self.node.path}/{rule_name}")
        problems.check(
            0 <= retry_attempts <= MAX_RETRY_ATTEMPTS,
            f"retry_attempts is {retry_attempts}; EventBridge allows 0 to {MAX_RETRY_ATTEMPTS}",
        )
        age = seconds(max_event_age)
        if age is not None:
            problems.check(
                MIN_EVENT_AGE.to_seconds() <= age <= MAX_EVENT_AGE.to_seconds(),
                f"max_event_age is {age:g} s; EventBridge allows 60 s to 24 hours",
            )
        target_input = None
        if input_mapping is not None:
            for problem in input_mapping.problems():
                problems.check(False, problem)
            problems.raise_if_any()
            target_input = input_mapping.to_rule_target_input()
            rendered = target_input.bind(rule)
            stack = Stack.of(rule)
            paths_map = stack.resolve(rendered.input_paths_map) or {}
            template = stack.resolve(rendered.input_template) or ""
            for problem in input_template_problems(paths_map, template):
                problems.check(False, problem)
        problems.raise_if_any()

        dead_letter_queue = sqs.Queue(
            self,
            f"{rule.node.id}TargetDeadLetterQueue",
            queue_name=f"{rule_name}-target-dlq",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=QUEUE.dead_letter_retention_period,
            removal_policy=self.removal_policy,
        )
        Validations.of(dead_letter_queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason=f"{rule_name}-target-dlq is the dead-letter queue of the {rule_name} rule's target: "
                "EventBridge puts events it could not deliver here, so it is a DLQ",
            ),
            Acknowledgment(
                id="Serverless-SQSRedrivePolicy",
                reason=f"{rule_name}-target-dlq holds the events the {rule_name} rule could not deliver, for an "
                "operator; a DLQ of its own would only move them further away",
            ),
        )
        rule.add_target(
            targets.SfnStateMachine(
                state_machine,
                input=target_input,
                dead_letter_queue=dead_letter_queue,
                retry_attempts=retry_attempts,
                max_event_age=max_event_age,
            )
        )
        self.dead_letter_queues[rule_name] = dead_letter_queue
        return dead_letter_queue


def _has_intrinsics(value: object) -> bool:
    """Whether a resolved CloudFormation value still holds a reference (``Ref``, ``Fn::...``)."""
    if isinstance(value, dict):
        return any(key == "Ref" or key.startswith("Fn::") or _has_intrinsics(inner) for key, inner in value.items())
    if isinstance(value, list):
        return any(_has_intrinsics(inner) for inner in value)
    return False
