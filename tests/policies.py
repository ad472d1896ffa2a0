"""Who may do what to the synthesized app: its templates resolved into one account, and an evaluator of the
IAM policy language subset the app uses.

The local cloud evaluates no IAM or resource policies, so these checks are made on the templates:

- :class:`Deployment` resolves every template of a synthesized app into one account, region and
  partition (``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``, ``Fn::Select``, ``Fn::Split``,
  ``Fn::FindInMap``, ``Fn::ImportValue`` and the pseudo parameters), with the physical names
  CloudFormation would give (a resource's own name where the template sets one, a stand-in otherwise),
  and knows each resource's policy (queue, topic, bus, key, bucket) and each role's policies.
- :func:`evaluate` runs one request (principal, action, resource, request context) through one
  policy: ``deny`` (an explicit Deny matches), ``allow`` (an Allow names the principal), or ``none``.
- :meth:`Deployment.decide` combines them as AWS does for a request in one account: an explicit Deny
  anywhere wins; a service principal needs the resource policy's Allow; a role of the account needs an
  Allow in its identity policies or in the resource policy, except on a KMS key, whose key policy must
  allow it directly or delegate to the account (the root principal) and its IAM policies.

What it does not model, and where it refuses rather than guess: permissions boundaries, service
control and session policies, grants, VPC endpoint policies, ``NotPrincipal``, managed policies
attached to roles other than :data:`KNOWN_MANAGED_POLICIES` (CDK's custom resource providers use one),
condition operators other than the String,
Arn, Bool and Null families (with ``IfExists``; it fails on any other), multi-valued context keys
(``ForAnyValue``/``ForAllValues``), and policy variables (``${aws:username}``). Service principals are
written ``service.amazonaws.com``, and the regional form a key policy may name for CloudWatch Logs
(``logs.<region>.amazonaws.com``) is the one the request must carry.

Example:
    >>> policy = {"Statement": [
    ...     {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
    ...      "Resource": "arn:aws:sqs:us-east-1:111122223333:q",
    ...      "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}}},
    ...     {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*",
    ...      "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    >>> request = Request(Service("sns.amazonaws.com"), "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q",
    ...                   {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"})
    >>> evaluate(policy, request), evaluate(policy, request.within(**{"aws:SecureTransport": "false"}))
    ('allow', 'deny')
    >>> evaluate(policy, request.within(**{"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:other"}))
    'none'
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"

Outcome = Literal["allow", "deny", "none"]


@dataclass(frozen=True)
class Service:
    """A service principal, e.g. ``sns.amazonaws.com``."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Role:
    """An IAM role (of this account, or of another one)."""

    arn: str

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    def __str__(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


Principal = Service | Role


@dataclass(frozen=True)
class Request:
    """One request: who, which action, on which resource, with which request context (TLS by default)."""

    principal: Principal
    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)

    def within(self, **context: str) -> Request:
        return replace(self, context={**self.context, **context})

    @property
    def full_context(self) -> dict[str, str]:
        """The context AWS adds itself: TLS (unless said otherwise), and the principal's ARN and account."""
        found = {"aws:securetransport": "true"}
        if isinstance(self.principal, Role):
            found["aws:principalarn"] = self.principal.arn
            found["aws:principalaccount"] = self.principal.account
        else:
            found["aws:principalservicename"] = self.principal.name
        found.update({key.lower(): value for key, value in self.context.items()})
        return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str, *, case_sensitive: bool = True) -> bool:
    """IAM's wildcard match: ``*`` any run of characters, ``?`` one character, nothing else special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=0 if case_sensitive else re.IGNORECASE) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike: each of the six colon-separated parts matched on its own (the last may hold colons)."""
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return False
    return all(_like(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


_POSITIVE = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringEqualsIgnoreCase": lambda pattern, value: pattern.lower() == value.lower(),
    "StringLike": _like,
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": lambda pattern, value: str(pattern).lower() == value.lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


class UnsupportedPolicyError(Exception):
    """The policy uses what this evaluator does not model: a test must not read a verdict into it."""


def _condition_holds(operator: str, conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if ":" in base:
        raise UnsupportedPolicyError(f"multi-valued condition operator {operator}")
    for key, expected in conditions.items():
        value = context.get(key.lower())
        patterns = [str(p) for p in _as_list(expected)]
        if base == "Null":
            holds = (value is None) == (str(expected).lower() == "true")
        elif base in _POSITIVE:
            holds = if_exists if value is None else any(_POSITIVE[base](pattern, value) for pattern in patterns)
        elif base in _NEGATED:
            # A negated operator holds when the key is absent (IAM's documented rule), and otherwise when no
            # pattern matches.
            holds = value is None or not any(_POSITIVE[_NEGATED[base]](pattern, value) for pattern in patterns)
        else:
            raise UnsupportedPolicyError(f"condition operator {operator}")
        if not holds:
            return False
    return True


def _principal_matches(principal: Any, who: Principal) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        raise UnsupportedPolicyError(f"principal {principal!r}")
    for kind, values in principal.items():
        for value in _as_list(values):
            if kind == "AWS":
                if value == "*":
                    return True
                if isinstance(who, Role):
                    account_only = re.fullmatch(r"\d{12}|arn:[^:]+:iam::(\d{12}):root", value)
                    if account_only is not None:
                        if who.account == (account_only.group(1) or value):
                            return True
                    elif value == who.arn:
                        return True
            elif kind == "Service":
                if isinstance(who, Service) and value == who.name:
                    return True
            else:
                raise UnsupportedPolicyError(f"principal kind {kind}")
    return False


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(_like(p, action, case_sensitive=False) for p in _as_list(statement["NotAction"]))
    return any(_like(p, action, case_sensitive=False) for p in _as_list(statement.get("Action", [])))


def _resource_matches(statement: Mapping[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(_like(p, resource) for p in _as_list(statement["NotResource"]))
    return any(_like(p, resource) for p in _as_list(statement.get("Resource", "*")))


def statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [dict(s) for s in _as_list(policy.get("Statement", []))]


def evaluate(policy: Mapping[str, Any], request: Request, *, identity: bool = False) -> Outcome:
    """``deny``, ``allow`` or ``none`` for ``request`` under ``policy`` (an identity policy has no Principal)."""
    context = request.full_context
    outcome: Outcome = "none"
    for statement in statements(policy):
        if "NotPrincipal" in statement:
            raise UnsupportedPolicyError("NotPrincipal")
        if not identity and not _principal_matches(statement.get("Principal"), request.principal):
            continue
        if not _action_matches(statement, request.action) or not _resource_matches(statement, request.resource):
            continue
        if not all(_condition_holds(op, conds, context) for op, conds in (statement.get("Condition") or {}).items()):
            continue
        if statement["Effect"] == "Deny":
            return "deny"
        outcome = "allow"
    return outcome


def delegates_to_account(policy: Mapping[str, Any], request: Request) -> bool:
    """True when a key policy allows the request for the account root (so IAM policies of the account decide)."""
    if not isinstance(request.principal, Role):
        return False
    root = Role(f"arn:{PARTITION}:iam::{request.principal.account}:root")
    for statement in statements(policy):
        principal = statement.get("Principal")
        names_root = isinstance(principal, Mapping) and any(
            re.fullmatch(r"\d{12}|arn:[^:]+:iam::\d{12}:root", str(v)) for v in _as_list(principal.get("AWS", []))
        )
        if (
            statement["Effect"] == "Allow"
            and names_root
            and _principal_matches(principal, root)
            and _action_matches(statement, request.action)
            and _resource_matches(statement, request.resource)
            and all(
                _condition_holds(op, conds, request.full_context)
                for op, conds in (statement.get("Condition") or {}).items()
            )
        ):
            return True
    return False


# --- the templates, resolved --------------------------------------------------------------------------


@dataclass
class Resource:
    stack: str
    logical_id: str
    type: str
    properties: dict[str, Any]
    name: str
    ref: str
    attributes: dict[str, str]

    @property
    def arn(self) -> str:
        return self.attributes.get("Arn", self.ref)


_NAME_PROPERTY = {
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::Events::Archive": "ArchiveName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::DynamoDB::GlobalTable": "TableName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Logs::LogGroup": "LogGroupName",
}
_POLICY_OF = {
    "AWS::SQS::QueuePolicy": ("PolicyDocument", "Queues"),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", "Topics"),
    "AWS::S3::BucketPolicy": ("PolicyDocument", "Bucket"),
}


class Deployment:
    """The templates of a synthesized app deployed, in thought, into one account and region."""

    def __init__(self, templates: Mapping[str, Mapping[str, Any]]) -> None:
        self.templates = {stack: dict(template) for stack, template in templates.items()}
        self.resources: dict[tuple[str, str], Resource] = {}
        for stack, template in self.templates.items():
            for logical_id, resource in template["Resources"].items():
                self.resources[(stack, logical_id)] = self._physical(stack, logical_id, resource)

    # naming ---------------------------------------------------------------------------------------

    def _physical(self, stack: str, logical_id: str, resource: Mapping[str, Any]) -> Resource:  # noqa: PLR0915
        kind = resource["Type"]
        properties = dict(resource.get("Properties") or {})
        name_property = _NAME_PROPERTY.get(kind)
        given = properties.get(name_property) if name_property else None
        name = given if isinstance(given, str) else f"{stack}-{logical_id}"
        service_arn = f"arn:{PARTITION}:{{service}}:{REGION}:{ACCOUNT}:{{rest}}"
        attributes: dict[str, str] = {}
        if kind == "AWS::SQS::Queue":
            ref = f"https://sqs.{REGION}.{URL_SUFFIX}/{ACCOUNT}/{name}"
            attributes = {"Arn": service_arn.format(service="sqs", rest=name), "QueueName": name, "QueueUrl": ref}
        elif kind == "AWS::SNS::Topic":
            ref = service_arn.format(service="sns", rest=name)
            attributes = {"TopicArn": ref, "TopicName": name}
        elif kind == "AWS::KMS::Key":
            ref = f"key-{logical_id.lower()}"
            attributes = {"Arn": service_arn.format(service="kms", rest=f"key/{ref}"), "KeyId": ref}
        elif kind == "AWS::Events::EventBus":
            ref = name
            attributes = {"Arn": service_arn.format(service="events", rest=f"event-bus/{name}"), "Name": name}
        elif kind == "AWS::Events::Rule":
            bus = properties.get("EventBusName")
            bus_name = self._name_of(stack, bus) if bus is not None else "default"
            rest = f"rule/{name}" if bus_name == "default" else f"rule/{bus_name}/{name}"
            ref = name if bus_name == "default" else f"{bus_name}|{name}"
            attributes = {"Arn": service_arn.format(service="events", rest=rest)}
        elif kind == "AWS::Events::Archive":
            ref = name
            attributes = {"Arn": service_arn.format(service="events", rest=f"archive/{name}")}
        elif kind == "AWS::StepFunctions::StateMachine":
            ref = service_arn.format(service="states", rest=f"stateMachine:{name}")
            attributes = {"Arn": ref, "Name": name}
        elif kind == "AWS::IAM::Role":
            ref = name
            attributes = {"Arn": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}", "RoleId": f"AROA{logical_id.upper()}"}
        elif kind == "AWS::Lambda::Function":
            ref = name
            attributes = {"Arn": service_arn.format(service="lambda", rest=f"function:{name}")}
        elif kind in ("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table"):
            ref = name
            table_arn = service_arn.format(service="dynamodb", rest=f"table/{name}")
            attributes = {"Arn": table_arn, "StreamArn": f"{table_arn}/stream/2026-01-01T00:00:00.000"}
        elif kind == "AWS::S3::Bucket":
            ref = name
            attributes = {"Arn": f"arn:{PARTITION}:s3:::{name}", "DomainName": f"{name}.s3.{URL_SUFFIX}"}
        elif kind == "AWS::Logs::LogGroup":
            ref = name
            attributes = {"Arn": service_arn.format(service="logs", rest=f"log-group:{name}:*")}
        elif kind == "AWS::EC2::VPC":
            ref = f"vpc-{logical_id.lower()}"
            attributes = {"DefaultSecurityGroup": f"sg-default-{logical_id.lower()}", "CidrBlock": "10.0.0.0/16"}
        elif kind == "AWS::EC2::SecurityGroup":
            ref = f"sg-{logical_id.lower()}"
            attributes = {"GroupId": ref}
        elif kind == "AWS::ECS::Cluster":
            ref = name
            attributes = {"Arn": service_arn.format(service="ecs", rest=f"cluster/{name}")}
        elif kind == "AWS::ECS::Service":
            ref = service_arn.format(service="ecs", rest=f"service/{name}")
            attributes = {"Name": name, "ServiceArn": ref}
        elif kind == "AWS::ECS::TaskDefinition":
            ref = service_arn.format(service="ecs", rest=f"task-definition/{name}:1")
            attributes = {"TaskDefinitionArn": ref}
        elif kind == "AWS::EventSchemas::Registry":
            ref = service_arn.format(service="schemas", rest=f"registry/{name}")
            attributes = {"RegistryArn": ref, "RegistryName": name}
        else:
            ref = f"{stack}-{logical_id}"
        return Resource(stack, logical_id, kind, properties, name, ref, attributes)

    def _name_of(self, stack: str, value: Any) -> str:
        template_resource = self.templates[stack]["Resources"]
        if isinstance(value, Mapping) and "Ref" in value and value["Ref"] in template_resource:
            resource = template_resource[value["Ref"]]
            given = (resource.get("Properties") or {}).get(_NAME_PROPERTY.get(resource["Type"], ""))
            return given if isinstance(given, str) else f"{stack}-{value['Ref']}"
        return str(self.resolve(stack, value))

    # intrinsic functions --------------------------------------------------------------------------

    @cached_property
    def exports(self) -> dict[str, Any]:
        found = {}
        for stack, template in self.templates.items():
            for output in (template.get("Outputs") or {}).values():
                if "Export" in output:
                    found[self.resolve(stack, output["Export"]["Name"])] = self.resolve(stack, output["Value"])
        return found

    def resolve(self, stack: str, value: Any) -> Any:
        """``value`` with every intrinsic function of ``stack``'s template worked out."""
        if isinstance(value, list):
            return [self.resolve(stack, item) for item in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) != 1:
            return {key: self.resolve(stack, item) for key, item in value.items()}
        ((function, argument),) = value.items()
        if function == "Ref":
            return self._ref(stack, argument)
        if function == "Fn::GetAtt":
            logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.resources[(stack, logical_id)].attributes[attribute]
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(str(part) for part in self.resolve(stack, parts))
        if function == "Fn::Select":
            index, items = argument
            return self.resolve(stack, items)[int(self.resolve(stack, index))]
        if function == "Fn::Split":
            separator, text = argument
            return str(self.resolve(stack, text)).split(separator)
        if function == "Fn::FindInMap":
            mapping, first, second = (self.resolve(stack, part) for part in argument)
            return self.templates[stack]["Mappings"][mapping][first][second]
        if function == "Fn::GetAZs":  # (the region's zones, as a VPC spread over them asks)
            return [f"{REGION}{zone}" for zone in "abc"]
        if function == "Fn::ImportValue":
            return self.exports[self.resolve(stack, argument)]
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            resolved = {key: str(self.resolve(stack, item)) for key, item in variables.items()}

            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in resolved:
                    return resolved[name]
                if "." in name:
                    logical_id, attribute = name.split(".", 1)
                    return self.resources[(stack, logical_id)].attributes[attribute]
                return str(self._ref(stack, name))

            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        if function.startswith("Fn::") or function == "Condition":
            raise UnsupportedPolicyError(f"{function} in {stack}")
        return {function: self.resolve(stack, argument)}

    def _ref(self, stack: str, name: str) -> str:
        pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": stack,
            "AWS::NoValue": "",
        }
        if name in pseudo:
            return pseudo[name]
        return self.resources[(stack, name)].ref

    # policies -------------------------------------------------------------------------------------

    def of_type(self, kind: str) -> Iterator[Resource]:
        return (resource for resource in self.resources.values() if resource.type == kind)

    def named(self, kind: str, name: str) -> Resource:
        found = [r for r in self.of_type(kind) if r.name == name or r.logical_id.startswith(name)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} {kind} named {name}: {[r.logical_id for r in found]}")
        return found[0]

    @cached_property
    def resource_policies(self) -> dict[str, dict[str, Any]]:
        """Resource ARN -> its resource policy (queues, topics, buckets and their objects, buses, keys)."""
        found: dict[str, dict[str, Any]] = {}

        def add(arn: str, statements_of: list[Any]) -> None:
            found.setdefault(arn, {"Statement": []})["Statement"].extend(statements_of)

        for resource in self.resources.values():
            properties = self.resolve(resource.stack, resource.properties)
            if resource.type in _POLICY_OF:
                document_key, targets_key = _POLICY_OF[resource.type]
                document = properties[document_key]
                for target in _as_list(properties[targets_key]):
                    add(self._arn_for_policy_target(resource.type, target), _as_list(document["Statement"]))
            elif resource.type == "AWS::KMS::Key":
                add(resource.arn, _as_list(properties["KeyPolicy"]["Statement"]))
            elif resource.type == "AWS::Events::EventBusPolicy":
                bus = self.named("AWS::Events::EventBus", properties["EventBusName"])
                add(bus.arn, _as_list(properties["Statement"]))
        return found

    def _arn_for_policy_target(self, kind: str, target: str) -> str:
        if kind == "AWS::SQS::QueuePolicy":
            return next(r.arn for r in self.of_type("AWS::SQS::Queue") if r.ref == target)
        if kind == "AWS::SNS::TopicPolicy":
            return target
        return f"arn:{PARTITION}:s3:::{target}"

    def policy_of(self, resource_arn: str) -> dict[str, Any]:
        """The resource policy that governs ``resource_arn`` (a bucket's policy governs its objects)."""
        if resource_arn in self.resource_policies:
            return self.resource_policies[resource_arn]
        if resource_arn.startswith(f"arn:{PARTITION}:s3:::"):
            bucket = resource_arn.split(":::", 1)[1].split("/", 1)[0]
            return self.resource_policies.get(f"arn:{PARTITION}:s3:::{bucket}", {})
        return {}

    @cached_property
    def roles(self) -> dict[str, Role]:
        """Logical id -> each role of the app."""
        return {r.logical_id: Role(r.arn) for r in self.of_type("AWS::IAM::Role")}

    def role_of_function(self, handler: str) -> Role:
        """The execution role of the function whose handler is ``handler``.

        Example: ``orders_functions.payment.handler.lambda_handler``.
        """
        functions = [f for f in self.of_type("AWS::Lambda::Function") if f.properties.get("Handler") == handler]
        if len(functions) != 1:
            raise KeyError(f"{len(functions)} functions with handler {handler}")
        return Role(self.resolve(functions[0].stack, functions[0].properties["Role"]))

    @cached_property
    def identity_policies(self) -> dict[str, list[dict[str, Any]]]:
        """Role ARN -> the policy documents attached to it (inline in the role and AWS::IAM::Policy)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for role in self.of_type("AWS::IAM::Role"):
            properties = self.resolve(role.stack, role.properties)
            managed = [_managed_policy(str(arn), role.logical_id) for arn in properties.get("ManagedPolicyArns") or []]
            found[role.arn] = [*managed, *(p["PolicyDocument"] for p in properties.get("Policies") or [])]
        for policy in self.of_type("AWS::IAM::Policy"):
            properties = self.resolve(policy.stack, policy.properties)
            for role_name in properties.get("Roles") or []:
                arn = f"arn:{PARTITION}:iam::{ACCOUNT}:role/{role_name}"
                found.setdefault(arn, []).append(properties["PolicyDocument"])
        return found

    def trust_policy(self, role: Role) -> dict[str, Any]:
        resource = next(r for r in self.of_type("AWS::IAM::Role") if r.arn == role.arn)
        return dict(self.resolve(resource.stack, resource.properties["AssumeRolePolicyDocument"]))

    def decide(self, request: Request) -> Outcome:
        """The verdict of the whole account on ``request``: resource policy, and identity policies for a role."""
        policy = self.policy_of(request.resource)
        by_resource = evaluate(policy, request)
        identity: list[Outcome] = []
        if isinstance(request.principal, Role) and request.principal.account == ACCOUNT:
            identity = [
                evaluate(p, request, identity=True) for p in self.identity_policies.get(request.principal.arn, [])
            ]
        if by_resource == "deny" or "deny" in identity:
            return "deny"
        if ":kms:" in request.resource:
            if by_resource == "allow" and not delegates_to_account(policy, request):
                return "allow"
            return "allow" if delegates_to_account(policy, request) and "allow" in identity else "none"
        if by_resource == "allow" and (isinstance(request.principal, Service) or request.principal.account == ACCOUNT):
            return "allow"
        if by_resource == "allow":  # another account: its own IAM must allow too (assumed here)
            return "allow"
        return "allow" if "allow" in identity else "none"


def describe(request: Request) -> str:
    context = json.dumps(dict(request.context), sort_keys=True) if request.context else ""
    return f"{request.principal} {request.action} {request.resource} {context}".strip()


def glob(pattern: str, names: list[str]) -> list[str]:
    return fnmatch.filter(names, pattern)


#: The AWS managed policies a role of the app may have (CDK's own custom resource providers use them), as
#: AWS publishes them; any other managed policy is refused (UnsupportedPolicyError).
#: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
KNOWN_MANAGED_POLICIES: dict[str, dict[str, Any]] = {
    "service-role/AWSLambdaBasicExecutionRole": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ],
    },
}


def _managed_policy(arn: str, role: str) -> dict[str, Any]:
    name = arn.split(":policy/", 1)[-1]
    if name not in KNOWN_MANAGED_POLICIES:
        raise UnsupportedPolicyError(f"managed policy {arn} on {role}")
    return KNOWN_MANAGED_POLICIES[name]
