"""Adding CloudFormation resource types to moto's stack engine without touching moto's own registry."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from unittest import mock

from moto.cloudformation import parsing


class CompatResource:
    """A resource created by a compat handler: what moto's stack engine needs from it.

    ``physical_id`` is what ``Ref`` returns; ``attributes`` what ``Fn::GetAtt`` returns.
    """

    cloudformation_type_name = ""
    name_property: str | None = None

    def __init__(self, physical_id: str, attributes: dict[str, Any] | None = None) -> None:
        self.physical_resource_id = physical_id
        self.attributes = attributes or {}

    # --- the class-level interface moto's parsing module calls
    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.cloudformation_type_name

    @classmethod
    def cloudformation_name_type(cls) -> str | None:
        return cls.name_property

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> CompatResource:
        return cls.create(resource_name, cloudformation_json.get("Properties", {}), account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: CompatResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> CompatResource:
        return cls.create(new_resource_name, cloudformation_json.get("Properties", {}), account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        return None

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> CompatResource:
        raise NotImplementedError

    # --- the instance-level interface
    def get_cfn_attribute(self, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name in self.attributes:
            return self.attributes[attribute_name]
        raise UnformattedGetAttTemplateException()

    @classmethod
    def has_cfn_attr(cls, attribute_name: str) -> bool:
        return True

    def is_created(self) -> bool:
        return True

    def delete(self, account_id: str, region_name: str) -> None:
        return None


def register(stack: ExitStack, *resource_types: type[CompatResource]) -> None:
    """Make moto's stack engine create ``resource_types`` (for as long as ``stack`` is open)."""
    original_model_map = parsing.get_model_map
    original_name_map = parsing.get_name_type_map

    def model_map() -> dict[str, Any]:
        return {**original_model_map(), **{t.cloudformation_type(): t for t in resource_types}}

    def name_map() -> dict[str, Any]:
        return {
            **original_name_map(),
            **{t.cloudformation_type(): t.cloudformation_name_type() for t in resource_types},
        }

    stack.enter_context(mock.patch.object(parsing, "get_model_map", model_map))
    stack.enter_context(mock.patch.object(parsing, "get_name_type_map", name_map))


def moto_supports(resource_type: str) -> bool:
    """Whether moto's own stack engine knows ``resource_type`` (the gap tests ask this)."""
    return resource_type in parsing.get_model_map()
