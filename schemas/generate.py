"""Write schemas/order-event.schema.json from the OrderEvent model: ``python schemas/generate.py``.

The model (lambdas/orders_common/events.py) is the one source of truth; a test fails when
the file and the model disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "lambdas"))

from orders_common.events import OrderEvent  # noqa: E402

ORDER_EVENT_SCHEMA = HERE / "order-event.schema.json"


def order_event_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:orders:schema:order-event",
        **OrderEvent.model_json_schema(mode="serialization"),
    }


def render() -> str:
    return json.dumps(order_event_schema(), indent=2) + "\n"


if __name__ == "__main__":
    ORDER_EVENT_SCHEMA.write_text(render())
    print(f"wrote {ORDER_EVENT_SCHEMA}")
