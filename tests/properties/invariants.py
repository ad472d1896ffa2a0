"""What must hold, whatever the history: each check returns the violations it finds (empty when all is well).

After every step (:func:`always`):

- money: per account, the balance is the sum of its ledger and counts its entries; every ledger
  entry is the charge or the refund of a stored order of that account, for exactly its total;
  a refund only after its charge (applied before it);
- announcements: every publication (topic or bus) carries the deterministic id of a fact stored
  in its order's item, with the same content every time, and is never made once the item marks it
  as made; nothing of an order is announced before its order.created;
- consumers: every notification and every lake object is one published event id, once;
- the flow: no approved execution without its reservation held; no reservation held by an
  execution that failed; never ``CompensationFailed`` (the storms a history makes are shorter
  than the release's retries);
- queues: every message in every DLQ carries a reason; per account, the updates applied that
  were never dead-lettered follow the order they were sent in.

At the end, once everything was delivered with no fault and the exhausted DLQ messages were
redriven (:func:`at_rest`): every message sent had its effect or is poison in a DLQ with its reason;
every stored order is fully announced, charged (or charged and refunded, or never charged when
cancelled), notified and in the lake once per event; every account's balance is exactly minus
the totals of its orders that stand.
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from orders_functions.common.limits import charge_transaction_id, order_event_id, refund_transaction_id
from orders_functions.order_processor.service import announcements
from tests.properties.world import World

PUBLIC = ("order.created", "order.cancelled", "order.updated")
FRAUD_REJECT_ABOVE = Decimal("50000")
CREDIT_LIMIT = Decimal("30000")
ACCOUNT_MANAGER_ABOVE = Decimal("10000")


def _stored_orders(world: World) -> dict[str, dict[str, Any]]:
    return {item["order_id"]: item for item in world.scan("orders")}


def _facts(order: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Event id -> the event its stored facts announce."""
    return {event.event_id: event.model_dump(mode="json", exclude_none=True) for event in announcements(order)}


def money(world: World, orders: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    items = world.scan("balances")
    ledgers: dict[str, list[dict[str, Any]]] = defaultdict(list)
    balances: dict[str, dict[str, Any]] = {}
    for item in items:
        if item["entry"] == "BALANCE":
            balances[item["account_id"]] = item
        else:
            ledgers[item["account_id"]].append(item)
    by_transaction = {}
    for order_id, order in orders.items():
        if "customer_id" in order:
            by_transaction[charge_transaction_id(order_id)] = (order, -Decimal(str(order["total"])))
            by_transaction[refund_transaction_id(order_id)] = (order, Decimal(str(order["total"])))
    for account in set(balances) | set(ledgers):
        entries = ledgers.get(account, [])
        total = sum((Decimal(str(e["amount"])) for e in entries), Decimal(0))
        balance = balances.get(account)
        if balance is None or Decimal(str(balance["balance"])) != total or balance["applied_count"] != len(entries):
            problems.append(f"{account}: balance {balance and balance['balance']} but the ledger sums to {total}")
        applied = world.observed.applied.get(account, [])
        for entry in entries:
            transaction = entry["entry"].removeprefix("TXN#")
            if transaction not in by_transaction:
                problems.append(f"{account}: {transaction} is no charge or refund of a stored order")
                continue
            order, amount = by_transaction[transaction]
            if order["customer_id"] != account or Decimal(str(entry["amount"])) != amount:
                problems.append(f"{account}: {transaction} of {entry['amount']} for an order of {order['customer_id']}")
            if transaction.endswith(".refund"):
                charge = transaction.removesuffix(".refund") + ".charge"
                if (
                    charge not in applied
                    or transaction not in applied
                    or applied.index(charge) > applied.index(transaction)
                ):
                    problems.append(f"{account}: refund {transaction} applied without its charge before it")
    return problems


def announced(world: World, orders: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    bodies: dict[str, dict[str, Any]] = {}
    first_created: set[str] = set()
    for event, attributes in world.observed.published:
        event_id, order_id = event.get("event_id"), event.get("order_id")
        order = orders.get(order_id or "")
        facts = _facts(order) if order else {}
        if event_id not in facts:
            problems.append(f"published {event_id}, which no stored fact of order {order_id} announces")
            continue
        if json.dumps(facts[event_id], sort_keys=True) != json.dumps(event, sort_keys=True):
            problems.append(f"published {event_id} as {event}, but the stored order says {facts[event_id]}")
        if bodies.setdefault(event_id, event) != event:
            problems.append(f"{event_id} published with two contents: {bodies[event_id]} and {event}")
        if event["event_type"] == "order.created":
            first_created.add(order_id)
        elif order_id not in first_created:
            problems.append(f"{event_id} published before {order_id}'s order.created")
        if attributes.get("event_type") != event["event_type"] or (attributes.get("internal") == "true") != bool(
            event.get("internal")
        ):
            problems.append(f"{event_id}: attributes {attributes} disagree with the event")
    # A change is announced again only while its mark is missing (an attempt stopped or failed between the
    # announcement and its mark); once marked, never. (Counting disturbed invocations was too coarse a bound:
    # one throttled mark fails every record of that order in the batch, each announcing again.)
    problems += [f"{made}, already marked as announced" for made in world.observed.announced_after_marked]
    details: dict[str, dict[str, Any]] = {}
    for bus_event in world.observed.bus_events:
        detail = bus_event["detail"]
        order = orders.get(detail.get("order_id", ""))
        expected = order_event_id(detail.get("order_id", ""), "order.created")
        if order is None or "customer_id" not in order or detail.get("event_id") != expected:
            problems.append(f"put {detail} on the bus, which no stored order.created announces")
        elif details.setdefault(expected, detail) != detail:
            problems.append(f"{expected} put on the bus with two contents")
    return problems


def consumers(world: World) -> list[str]:
    problems = []
    published = {event["event_id"]: event for event, _ in world.observed.published}
    for item in world.scan("notifications"):
        event = published.get(item["notification_id"])
        if event is None or event.get("internal"):
            problems.append(f"notification {item['notification_id']} for no published public event")
    lake_ids: dict[str, str] = {}
    for key, line in world.lake():
        event_id = line["event_id"]
        if event_id in lake_ids:
            problems.append(f"{event_id} is in the lake twice: {lake_ids[event_id]} and {key}")
        lake_ids[event_id] = key
        if event_id not in published:
            problems.append(f"lake object {key} holds {event_id}, which was never published")
    return problems


def flows(world: World) -> list[str]:
    problems = []
    items = {item["order_id"]: item for item in world.scan("workflow")}
    by_arn = {execution.arn: execution for execution in world.observed.executions}
    for execution in world.observed.executions:
        item = items.get(execution.order_id, {})
        holds = item.get("reservation") == "RESERVED" and item.get("held_by") == execution.arn
        if "Approved" in execution.states and not holds:
            problems.append(f"{execution.arn} approved {execution.order_id} without holding its stock ({item})")
        if execution.status != "SUCCEEDED" and holds:
            problems.append(f"{execution.arn} ended {execution.status} still holding {execution.order_id}'s stock")
        if "Compensation failed" in execution.states:
            problems.append(f"{execution.arn}: compensation failed ({execution.states})")
    for order_id, item in items.items():
        holder = by_arn.get(str(item.get("held_by")))
        if item.get("reservation") == "RESERVED" and (holder is None or "Approved" not in holder.states):
            problems.append(f"{order_id}'s stock is held by {item.get('held_by')}, which did not approve it")
    return problems


def dead_letters_and_order(world: World) -> list[str]:
    problems = []
    for queue in world.dead_letter_queues():
        for message in world.messages_in(queue):
            attributes = message.message_attributes
            if "failure_reason" not in attributes or "failure_kind" not in attributes:
                problems.append(f"{queue} holds a message without a reason: {message.body[:200]}")
                continue
            if attributes["failure_kind"]["StringValue"] == "exhausted":
                source = world.config.queues[_source_of(world, queue)]
                original = attributes["original_message_id"]["StringValue"]
                tried = world.observed.tries.get(original, 0)
                limit = world.config.consumers[_consumer_of(world, source.name)].max_attempts
                if tried < limit:
                    problems.append(
                        f"{queue}: {original} dead-lettered as exhausted after {tried} real tries (< {limit})"
                    )
    for account, applied in world.observed.applied.items():
        sent = [txn for txn, _ in world.observed.balance_sent.get(account, [])]
        position = {txn: sent.index(txn) for txn in set(sent)}
        kept = [txn for txn in applied if txn not in world.observed.dead_lettered_transactions]
        order = [position.get(txn, -1) for txn in kept]
        if order != sorted(order) or -1 in order:
            problems.append(f"{account}: applied {kept}, sent {sent}")
    return problems


def _source_of(world: World, dead_letter_queue: str) -> str:
    return next(q.name for q in world.config.queues.values() if q.dead_letter_queue == dead_letter_queue)


def _consumer_of(world: World, queue: str) -> str:
    return next(c.module for c in world.config.consumers.values() if c.queue == queue)


def always(world: World) -> list[str]:
    orders = _stored_orders(world)
    return (
        money(world, orders)
        + announced(world, orders)
        + consumers(world)
        + flows(world)
        + dead_letters_and_order(world)
    )


# --- at rest ------------------------------------------------------------------------------------


def _poison_bodies(world: World, queue: str) -> dict[str, str]:
    """Body -> the reasons (one per line) of every poison message with that body in ``queue``'s DLQ."""
    dlq = world.config.queues[queue].dead_letter_queue
    assert dlq is not None
    found: dict[str, str] = defaultdict(str)
    for message in world.messages_in(dlq):
        attributes = message.message_attributes
        if attributes.get("failure_kind", {}).get("StringValue") == "poison":
            found[message.body] += attributes["failure_reason"]["StringValue"] + "\n"
    return dict(found)


def _stands(order: dict[str, Any]) -> bool:
    return "customer_id" in order and "cancelled_at" not in order


def at_rest(world: World) -> list[str]:
    """After everything was delivered with no fault (and exhausted messages redriven)."""
    problems = always(world)
    orders = _stored_orders(world)
    for queue in world.config.queues:
        if world.config.queues[queue].dead_letter_queue and world.depth(queue):
            held = [
                f"{m.body[:160]} (received {m.approximate_receive_count}x, visible {m.visible})"
                for m in world.messages_in(queue)
            ]
            problems.append(f"{queue} still holds {world.depth(queue)} message(s) at rest: {held}")
    for queue in world.dead_letter_queues():
        for message in world.messages_in(queue):
            kind = message.message_attributes.get("failure_kind", {}).get("StringValue")
            if kind != "poison":
                problems.append(f"{queue} holds a {kind} message at rest: {message.body[:200]}")
    problems += _every_message_sent(world, orders)
    published = {event["event_id"] for event, _ in world.observed.published}
    put = {event["detail"]["event_id"] for event in world.observed.bus_events}
    payments = {item["order_id"]: item for item in world.scan("payments")}
    notified = {item["notification_id"] for item in world.scan("notifications")}
    lake = {line["event_id"] for _, line in world.lake()}
    expected_balance: dict[str, Decimal] = defaultdict(Decimal)
    for order_id, order in orders.items():
        if "customer_id" not in order:
            continue
        events = _facts(order)
        missing = set(events) - published
        if missing:
            problems.append(f"{order_id}: never announced {sorted(missing)}")
        if order_event_id(order_id, "order.created") not in put:
            problems.append(f"{order_id}: never put on the bus")
        public = {e for e, body in events.items() if not body.get("internal")}
        if public - notified:
            problems.append(f"{order_id}: no notification for {sorted(public - notified)}")
        if set(events) - lake:
            problems.append(f"{order_id}: not in the lake: {sorted(set(events) - lake)}")
        status = payments.get(order_id, {}).get("status")
        allowed = {"CHARGE_SENT"} if _stands(order) else {"REFUND_SENT", "CANCELLED"}
        if status not in allowed:
            problems.append(f"{order_id}: payment {status}, expected one of {sorted(allowed)}")
        if _stands(order):
            expected_balance[order["customer_id"]] -= Decimal(str(order["total"]))
    balances = {i["account_id"]: Decimal(str(i["balance"])) for i in world.scan("balances") if i["entry"] == "BALANCE"}
    for account in set(balances) | set(expected_balance):
        if balances.get(account, Decimal(0)) != expected_balance.get(account, Decimal(0)):
            problems.append(
                f"{account}: balance {balances.get(account)} but its standing orders total {expected_balance[account]}"
            )
    for queue, bodies in world.garbage.items():
        for body in bodies:
            if body not in _poison_bodies(world, queue):
                problems.append(f"garbage {body[:60]!r} sent to {queue} is not in its DLQ as poison")
    problems += _decisions(world, orders)
    return problems


def _every_message_sent(world: World, orders: dict[str, dict[str, Any]]) -> list[str]:
    """Each message sent to order-processing had its effect, or is poison in the DLQ, or (of a type nobody
    here handles) was acknowledged."""
    problems = []
    poison = _poison_bodies(world, "order-processing")
    for sent in world.sent:
        message = json.loads(sent.body) if sent.valid else None
        if sent.unhandled:  # acknowledged and counted: no effect, and never dead-lettered
            if sent.body in poison:
                problems.append(f"{sent.body[:120]} of an unhandled type is in the DLQ, not acknowledged")
            continue
        if message is None:
            if sent.body not in poison:
                problems.append(f"invalid message {sent.body[:120]} is not in the DLQ as poison")
            continue
        problems += _effect_of(message, orders.get(message["order_id"]), sent.body, poison)
    return problems


def _effect_of(message: dict[str, Any], order: dict[str, Any] | None, body: str, poison: dict[str, str]) -> list[str]:
    kind, order_id = message["event_type"], message["order_id"]
    if order is None:
        return [f"{kind} for {order_id} had no effect: no order item"]
    if kind == "order.created":
        same = (
            order.get("customer_id") == message["customer_id"]
            and Decimal(str(order.get("total"))) == Decimal(str(message["total"]))
            and order.get("currency") == message.get("currency", "USD")
        )
        if same:
            return []
        if "already placed with different content" not in poison.get(body, ""):
            return [f"{order_id}: a conflicting order.created is neither stored nor poison ({poison.get(body)})"]
        return []
    if kind == "order.cancelled":
        return [] if "cancelled_at" in order else [f"{order_id}: the cancellation had no effect"]
    update = (order.get("updates") or {}).get(message["update_id"])
    if update is None:
        return [f"{order_id}: update {message['update_id']} had no effect"]
    conflicting = update["note"] != message["note"] or bool(update["internal"]) != bool(message.get("internal", False))
    if conflicting and "already recorded with a" not in poison.get(body, ""):
        return [f"{order_id}: a conflicting update {message['update_id']} is neither stored nor poison"]
    return []


def _decisions(world: World, orders: dict[str, dict[str, Any]]) -> list[str]:
    """Every high-value order was decided once, the way its amount says."""
    problems = []
    items = {item["order_id"]: item for item in world.scan("workflow")}
    executions: dict[str, list[Any]] = defaultdict(list)
    for execution in world.observed.executions:
        executions[execution.order_id].append(execution)
    for order_id, order in orders.items():
        high_value = (
            "customer_id" in order
            and order.get("customer_tier") in ("premium", "enterprise")
            and Decimal(str(order["total"])) > 1000
        )
        if not high_value:
            if executions.get(order_id):
                problems.append(f"{order_id} is not high-value but ran the flow")
            continue
        runs = executions.get(order_id, [])
        if not runs:
            problems.append(f"{order_id} is high-value but its flow never ran")
            continue
        amount = Decimal(str(order["total"]))
        approved = [run for run in runs if "Approved" in run.states]
        if amount > FRAUD_REJECT_ABOVE or amount > CREDIT_LIMIT:
            decided = items.get(order_id, {})
            if approved or decided.get("reservation") != "NONE_HELD":
                problems.append(
                    f"{order_id} ({amount}) should be refused (and that recorded), yet {approved or decided}"
                )
            continue
        if len(approved) > 1:
            problems.append(f"{order_id} approved by {len(approved)} executions")
        item = items.get(order_id)
        if approved and amount > ACCOUNT_MANAGER_ABOVE and not (item or {}).get("account_manager"):
            problems.append(f"{order_id} approved above {ACCOUNT_MANAGER_ABOVE} without an account manager")
    return problems
