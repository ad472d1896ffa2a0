"""``AWS::SNS::Subscription``: moto's stack engine skips it, so a deployed topic would deliver to nobody.

Created here through moto's own SNS backend (subscribe, then the attributes), so moto's filter
policy matching (attribute and body scope) and raw delivery apply as they ship.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import Any

from localcloud.compat._cfn import CompatResource, register
from localcloud.settings import LocalCloudSettings

GAP = "moto's CloudFormation does not create AWS::SNS::Subscription"
RESOURCE_TYPE = "AWS::SNS::Subscription"

# FilterPolicyScope first: moto validates a filter policy against the scope already set.
_ATTRIBUTES = ("FilterPolicyScope", "FilterPolicy", "RawMessageDelivery", "RedrivePolicy", "DeliveryPolicy")


def _attribute_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else json.dumps(value)


class Subscription(CompatResource):
    cloudformation_type_name = RESOURCE_TYPE

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        from moto.sns.models import sns_backends

        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(properties["TopicArn"], properties["Endpoint"], properties["Protocol"])
        for attribute in _ATTRIBUTES:
            if attribute in properties:
                backend.set_subscription_attributes(
                    subscription.arn, attribute, _attribute_value(properties[attribute])
                )
        return cls(subscription.arn, {"Arn": subscription.arn})

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None  # the topic's deletion removes its subscriptions


def install(stack: ExitStack, settings: LocalCloudSettings) -> None:
    register(stack, Subscription)
