"""Write every message type's JSON Schema from its model: ``python schemas/generate.py``.

One model per message type is the one source of truth, and each schema is the *readers'*
contract (what a consumer accepts: validation mode, with what readers derive or read under
another name); a test fails when a file and its model disagree (``tests/schemas/test_generate.py``),
and another when the model changed in a way a reader of the last published version could not
follow (``schemas/compatibility.py``).

- order message: ``orders_functions.order_processor.models.OrderMessage`` -> ``schemas/order-message.schema.json``
- order event (SNS): ``orders_functions.common.events.OrderEvent`` -> ``schemas/order-event.schema.json``
- OrderCreated (bus): ``orders_functions.common.bus.OrderCreatedDetail``
  -> ``lambdas/orders_functions/common/schemas/order_created.json``
- balance update: ``orders_functions.balance_updater.models.BalanceUpdate`` -> ``schemas/balance-update.schema.json``
- high-value flow input: ``orders_functions.workflow.tasks.FlowInput`` -> ``schemas/flow-input.schema.json``

The OrderCreated file sits with the handlers: the producer validates each detail against it before
PutEvents, and the bus's schema registry holds the same file (JSON Schema draft 4, the registry's type).

``python schemas/generate.py --new-version NAME`` freezes the current schema of NAME as its next
published version (``schemas/versions/NAME.vN.json``): what an intended incompatible change needs.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

HERE = Path(__file__).resolve().parent

from orders_functions.balance_updater.models import BalanceUpdate  # noqa: E402
from orders_functions.common.bus import ORDER_CREATED_SCHEMA, OrderCreatedDetail  # noqa: E402
from orders_functions.common.events import OrderEvent  # noqa: E402
from orders_functions.order_processor.models import order_message_adapter  # noqa: E402
from orders_functions.workflow.tasks import FlowInput  # noqa: E402

ROOT = HERE.parent
VERSIONS = HERE / "versions"


@dataclass(frozen=True)
class MessageSchema:
    """One message type: its name, where its schema goes, and how it is made."""

    name: str
    path: Path
    make: Callable[[], dict[str, Any]]

    def render(self) -> str:
        return json.dumps(self.make(), indent=2) + "\n"

    def versions(self) -> list[Path]:
        """The published versions, oldest first."""
        return sorted(VERSIONS.glob(f"{self.name}.v*.json"), key=lambda p: int(p.stem.rsplit(".v", 1)[1]))


def _with_header(schema: dict[str, Any], name: str, dialect: str) -> dict[str, Any]:
    return {"$schema": dialect, "$id": f"urn:orders:schema:{name}", **schema}


DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DRAFT_4 = "http://json-schema.org/draft-04/schema#"


class DecimalLimitsStated(GenerateJsonSchema):
    """pydantic writes no decimal's ``max_digits`` or ``decimal_places`` into a schema: this states them as
    the annotations ``x-max-digits`` and ``x-decimal-places`` (which the compatibility check compares),
    for any Decimal field, not only the money types that state them themselves."""

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        stated = super().decimal_schema(schema)
        if "max_digits" in schema:
            stated["x-max-digits"] = schema["max_digits"]
        if "decimal_places" in schema:
            stated["x-decimal-places"] = schema["decimal_places"]
        return stated


def _model(model: type[BaseModel] | TypeAdapter[Any], name: str, mode: str = "validation") -> dict[str, Any]:
    schema = (
        model.json_schema(mode=mode, schema_generator=DecimalLimitsStated)  # type: ignore[arg-type]
        if isinstance(model, TypeAdapter)
        else model.model_json_schema(mode=mode, schema_generator=DecimalLimitsStated)  # type: ignore[arg-type]
    )
    return _with_header(schema, name, DRAFT_2020_12)


def _order_created() -> dict[str, Any]:
    schema = OrderCreatedDetail.model_json_schema(mode="validation", schema_generator=DecimalLimitsStated)
    assert "$defs" not in schema, "the registry's draft 4 has no $defs: keep OrderCreatedDetail flat"
    return {"$schema": DRAFT_4, **schema}


def message_schemas() -> list[MessageSchema]:
    return [
        MessageSchema(
            "order-message", HERE / "order-message.schema.json", lambda: _model(order_message_adapter, "order-message")
        ),
        MessageSchema("order-event", HERE / "order-event.schema.json", lambda: _model(OrderEvent, "order-event")),
        MessageSchema("order-created", ORDER_CREATED_SCHEMA, _order_created),
        MessageSchema(
            "balance-update", HERE / "balance-update.schema.json", lambda: _model(BalanceUpdate, "balance-update")
        ),
        MessageSchema("flow-input", HERE / "flow-input.schema.json", lambda: _model(FlowInput, "flow-input")),
    ]


def freeze(schema: MessageSchema) -> Path:
    """Publish ``schema``'s current form as its next version."""
    VERSIONS.mkdir(exist_ok=True)
    target = VERSIONS / f"{schema.name}.v{len(schema.versions()) + 1}.json"
    target.write_text(schema.render())
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-version", metavar="NAME", help="freeze NAME's current schema as its next version")
    args = parser.parse_args(argv)
    schemas = {schema.name: schema for schema in message_schemas()}
    for schema in schemas.values():
        schema.path.write_text(schema.render())
        print(f"wrote {schema.path.relative_to(ROOT)}")
        if not schema.versions():
            print(f"published {freeze(schema).relative_to(ROOT)}")
    if args.new_version:
        print(f"published {freeze(schemas[args.new_version]).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
