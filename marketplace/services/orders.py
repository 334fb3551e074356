"""Orders: the one state machine of every mode, and what each step does to stock and money.

    pending_payment -> paid -> shipped -> delivered -> completed
    pending_payment -> cancelled | expired          paid -> cancelled (refunded in full)
    delivered -> return_requested -> (returned ->) refunded          (not C2C)
    delivered -> disputed -> refunded | completed                    (C2C only)
    pending_payment -> invoiced -> paid | shipped | cancelled        (B2B net terms)

A status changes only through `transition`, a conditional UPDATE that fails when someone
else moved the order first, so two people cancelling at once cannot both refund. Every
step is recorded in the order's history. Each public action commits once and sends its
emails after the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import attributes, selectinload

from marketplace import clock, mail
from marketplace.exceptions import (
    Conflict,
    Forbidden,
    IllegalTransition,
    NotFound,
    ValidationFailed,
)
from marketplace.extensions import db, execute, insert_now
from marketplace.pagination import Page, paginate
from marketplace.services import inventory, jobs, ledger, payments
from models import Account, Company, Invoice, Order, OrderEvent, Payment

ALLOWED = {
    "pending_payment": {"paid", "invoiced", "cancelled", "expired"},
    "invoiced": {"paid", "shipped", "cancelled"},
    "paid": {"shipped", "cancelled"},
    "shipped": {"delivered", "disputed"},
    "delivered": {"completed", "return_requested", "disputed"},
    "return_requested": {"returned", "refunded"},
    "returned": {"refunded"},
    "disputed": {"refunded", "completed"},
}
ONLY_IN = {"invoiced": {"b2b"}, "disputed": {"c2c"}, "return_requested": {"b2c", "b2b", "b2m"}}
STAMPS = {
    "paid": "paid_at",
    "shipped": "shipped_at",
    "delivered": "delivered_at",
    "completed": "completed_at",
}
# The longest carrier, tracking number and return reason, as the order's columns hold them.
CARRIER_MAX_LENGTH = 60
TRACKING_NUMBER_MAX_LENGTH = 80
RETURN_REASON_MAX_LENGTH = 500

STATUS_NAMES = {
    "pending_payment": "awaiting payment",
    "invoiced": "invoiced",
    "paid": "paid",
    "shipped": "shipped",
    "delivered": "delivered",
    "completed": "completed",
    "cancelled": "cancelled",
    "expired": "expired",
    "return_requested": "return requested",
    "returned": "returned",
    "refunded": "refunded",
    "disputed": "disputed",
}


def _move(stamp: str | None):
    values = {"status": bindparam("to_status"), "updated_at": bindparam("at")}
    if stamp is not None:
        values[stamp] = bindparam("at")
    return (
        update(Order)
        .where(Order.id == bindparam("order_id"), Order.status == bindparam("from_status"))
        .values(values)
    )


# A status change, built once for each time stamp it may set (see transition).
MOVES = {stamp: _move(stamp) for stamp in (None, *STAMPS.values())}

HOOKS: dict[tuple[str, str], list[Callable[[Order], None]]] = {}


def on(mode: str, status: str):
    """Register something a mode must do whenever one of its orders reaches `status` (in
    the same transaction), e.g. a used pair is marked sold when its order is paid."""

    def register(hook: Callable[[Order], None]) -> Callable[[Order], None]:
        HOOKS.setdefault((mode, status), []).append(hook)
        return hook

    return register


def refuse_unless_allowed(order: Order, to: str) -> None:
    """Check that `order` may move to `to` now, before a step looks at what was typed with
    it: an order that cannot be returned says so rather than ask for a better reason.

    :raise IllegalTransition: not a step of the machine for this status and mode.
    """
    allowed = to in ALLOWED.get(order.status, ()) and order.mode in ONLY_IN.get(to, {order.mode})
    if not allowed:
        raise IllegalTransition(
            f"An order that is {STATUS_NAMES.get(order.status, order.status)} cannot become "
            f"{STATUS_NAMES.get(to, to)}."
        )


def transition(order: Order, to: str, *, actor_id: int | None = None, note: str = "") -> None:
    """Move `order` to `to` and record it, in the caller's transaction.

    :raise IllegalTransition: not a step of the machine for this status and mode, or the
        order changed since it was read.
    """
    refuse_unless_allowed(order, to)
    now = clock.now()
    values = {"status": to, "updated_at": now}
    if to in STAMPS:
        values[STAMPS[to]] = now
    moved = execute(
        MOVES[STAMPS.get(to)],
        {"order_id": order.id, "from_status": order.status, "to_status": to, "at": now},
    )
    if moved.rowcount != 1:
        raise IllegalTransition("The order changed in the meantime; reload it and try again.")
    for name, value in values.items():
        attributes.set_committed_value(order, name, value)
    step = insert_now(
        OrderEvent(order_id=order.id, status=to, at=now, actor_id=actor_id, note=note[:500])
    )
    if "events" in order.__dict__:  # the history already read shows this step too
        attributes.set_committed_value(order, "events", [*order.events, step])
    for hook in HOOKS.get((order.mode, to), ()):
        hook(order)


def stock_lines(order: Order) -> list[tuple[int, int]]:
    return [(line.variant_id, line.quantity) for line in order.lines]


# Who may see and act on an order.


def is_buyer(order: Order, account: Account) -> bool:
    if order.buyer_id == account.id:
        return True
    return order.buyer_company_id is not None and order.buyer_company_id == account.company_id


def is_seller(order: Order, account: Account) -> bool:
    if order.seller_company_id is not None:
        return account.company_id == order.seller_company_id
    return order.seller_account_id == account.id


def is_manager(order: Order, account: Account) -> bool:
    return order.manager_id is not None and order.manager_id == account.id


def sees_shipping_address(order: Order, account: Account) -> bool:
    """Whether `account` reads where the order goes: its buyer (and colleagues), its seller,
    who ships it, and admins; not the manager whose shop sold it, who earns on the sale and
    has no need of the buyer's address."""
    return is_buyer(order, account) or is_seller(order, account) or account.is_admin


def load(order_id: int) -> Order | None:
    """An order with its lines and history, read fresh from the database."""
    return db.session.get(
        Order,
        order_id,
        options=[selectinload(Order.lines), selectinload(Order.events)],
        populate_existing=True,
    )


def visible_order(order_id: int, account: Account) -> Order:
    """An order its buyer (or buyer's colleague), seller, manager or an admin may see.

    :raise NotFound: absent, or none of these.
    """
    order = load(order_id)
    if order is None or not (
        is_buyer(order, account)
        or is_seller(order, account)
        or is_manager(order, account)
        or account.is_admin
    ):
        raise NotFound("No such order.")
    return order


def _as(
    order_id: int, account: Account, role: Callable[[Order, Account], bool], what: str
) -> Order:
    order = visible_order(order_id, account)
    if not role(order, account):
        raise Forbidden(f"Only the {what} of this order can do that.")
    return order


def list_orders(
    account: Account,
    role: str = "buyer",
    status: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Page:
    """The account's orders as buyer, seller or manager, newest first."""
    query = select(Order).options(selectinload(Order.lines))
    if role == "seller":
        if account.company_id is not None:
            query = query.where(Order.seller_company_id == account.company_id)
        else:
            query = query.where(Order.seller_account_id == account.id)
    elif role == "manager":
        query = query.where(Order.manager_id == account.id)
    else:
        mine = Order.buyer_id == account.id
        if account.company_id is not None:
            mine = or_(mine, Order.buyer_company_id == account.company_id)
        query = query.where(mine)
    if status:
        query = query.where(Order.status == status)
    return paginate(query.order_by(Order.created_at.desc(), Order.id.desc()), page, per_page)


# Money: what each mode books when an order is paid. Other modes add their recipe here.


def seller_capture_legs(order: Order, source: str = ledger.CLEARING) -> list[tuple[str, int]]:
    """Money in from `source`: the seller is owed the total less the fee, the platform the fee."""
    return [
        (source, order.total_cents),
        (ledger.seller_code(order, "pending"), -(order.total_cents - order.fee_cents)),
        (ledger.FEES, -order.fee_cents),
    ]


CAPTURE_LEGS: dict[str, Callable[[Order], list[tuple[str, int]]]] = {
    "b2c": seller_capture_legs,
    "b2b": seller_capture_legs,
}


def post_capture(order: Order, source: str = ledger.CLEARING) -> None:
    legs = (
        CAPTURE_LEGS[order.mode](order)
        if source == ledger.CLEARING
        else seller_capture_legs(order, source)
    )
    ledger.post(
        "capture",
        ledger.capture_reference(order),
        legs,
        order_id=order.id,
        memo=f"Order #{order.id} paid",
    )


def capture(order: Order, actor_id: int | None = None, note: str = "") -> None:
    """pending_payment -> paid: sell the held pairs and book the money (caller commits)."""
    transition(order, "paid", actor_id=actor_id, note=note)
    inventory.commit(stock_lines(order))
    post_capture(order)


def _charge(order: Order) -> Payment | None:
    """The succeeded card charge that paid this order (its checkout's, or its own)."""
    query = select(Payment).where(Payment.kind == "charge", Payment.status == "succeeded")
    if order.checkout_id is not None:
        query = query.where(
            or_(Payment.checkout_id == order.checkout_id, Payment.order_id == order.id)
        )
    else:
        query = query.where(Payment.order_id == order.id)
    return db.session.scalar(query.order_by(Payment.id))


def refund_money(order: Order) -> None:
    """Give the order's money back: a card refund if it was charged, the ledger reversal,
    and an open invoice voided."""
    charge = _charge(order)
    if charge is not None:
        payments.refund(charge, order.total_cents, order.id)
    if ledger.is_posted(ledger.capture_reference(order)):
        ledger.refund_order(order)
    db.session.execute(
        update(Invoice)
        .where(Invoice.order_id == order.id, Invoice.status == "open")
        .values(status="void")
    )


# Emails, sent after the commit of the action they report.


COMPANY_CONTACTS = (
    select(Company.name, Account.email)
    .outerjoin(Account, Account.company_id == Company.id)
    .where(Company.id == bindparam("company_id"))
    .order_by(Account.id)
)


def _seller_contact(order: Order) -> tuple[str, list[str]]:
    """The seller's name and the addresses that get its orders' emails (every member of a
    selling company), in one query."""
    if order.seller_company_id is None:
        return order.seller_account.name, [order.seller_account.email]
    rows = execute(COMPANY_CONTACTS, {"company_id": order.seller_company_id}).all()
    return rows[0].name, [row.email for row in rows if row.email is not None]


def _emails_of_seller(order: Order) -> list[str]:
    return _seller_contact(order)[1]


def _send(messages: list[tuple[list[str] | str, str, str]]) -> None:
    for recipients, subject, body in messages:
        for recipient in [recipients] if isinstance(recipients, str) else recipients:
            mail.send(recipient, subject, body)


def _summary(order: Order) -> str:
    from marketplace.templating import money

    lines = "\n".join(
        f"  {line.quantity} x {line.title}, EU {line.size_eu}: {money(line.total_cents)}"
        for line in order.lines
    )
    return f"{lines}\nTotal: {money(order.total_cents)}"


def confirmation_emails(order: Order) -> list[tuple]:
    seller_name, seller_emails = _seller_contact(order)
    return [
        (
            order.buyer.email,
            f"Order #{order.id} confirmed",
            f"Thank you! {seller_name} is preparing your order.\n{_summary(order)}",
        ),
        (
            seller_emails,
            f"New order #{order.id}",
            f"A new order to ship:\n{_summary(order)}",
        ),
    ]


# Actions.


def cancel(order_id: int, account: Account, reason: str = "") -> Order:
    """Cancel before shipping, by the buyer or the seller; holds are released, money and
    pairs go back. Commits.

    :raise NotFound, Forbidden, IllegalTransition.
    """
    order = visible_order(order_id, account)
    if not (is_buyer(order, account) or is_seller(order, account)):
        raise Forbidden("Only the buyer or the seller can cancel an order.")
    previous = order.status
    who = "buyer" if is_buyer(order, account) else "seller"
    transition(order, "cancelled", actor_id=account.id, note=reason or f"Cancelled by the {who}.")
    if previous == "pending_payment":
        inventory.release(stock_lines(order))
    else:
        inventory.restock(stock_lines(order))
        refund_money(order)
    db.session.commit()
    _send(
        [
            (
                order.buyer.email,
                f"Order #{order.id} cancelled",
                f"Order #{order.id} was cancelled. Any payment is refunded in full.",
            )
        ]
    )
    return order


def expire(order: Order) -> None:
    """pending_payment -> expired: the hold ran out; the pairs go back on sale (caller commits)."""
    transition(order, "expired", note="Not paid in time.")
    inventory.release(stock_lines(order))


def ship(order_id: int, account: Account, carrier: str, tracking_number: str) -> Order:
    """The seller hands the parcel to a carrier; the buyer is told. Commits.

    :raise IllegalTransition: not an order that can ship now.
    :raise ValidationFailed: no carrier or tracking number, or one too long.
    """
    order = _as(order_id, account, is_seller, "seller")
    refuse_unless_allowed(order, "shipped")
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    fields = {}
    if not carrier:
        fields["carrier"] = ["Enter the carrier."]
    elif len(carrier) > CARRIER_MAX_LENGTH:
        fields["carrier"] = [f"At most {CARRIER_MAX_LENGTH} characters."]
    if not tracking_number:
        fields["tracking_number"] = ["Enter the tracking number."]
    elif len(tracking_number) > TRACKING_NUMBER_MAX_LENGTH:
        fields["tracking_number"] = [f"At most {TRACKING_NUMBER_MAX_LENGTH} characters."]
    if fields:
        raise ValidationFailed(fields=fields)
    transition(order, "shipped", actor_id=account.id, note=f"{carrier} {tracking_number}")
    order.carrier, order.tracking_number = carrier, tracking_number
    db.session.commit()
    _send(
        [
            (
                order.buyer.email,
                f"Order #{order.id} shipped",
                f"{order.seller_name} shipped your order with {carrier},"
                f" tracking {tracking_number}.",
            )
        ]
    )
    return order


def deliver(order_id: int, account: Account | None, note: str = "") -> Order:
    """The parcel arrived (said by the seller, or by the carrier's webhook when `account` is
    None); the return window starts. Commits."""
    if account is None:
        order = load(order_id)
        if order is None:
            raise NotFound("No such order.")
    else:
        order = _as(order_id, account, is_seller, "seller")
    transition(order, "delivered", actor_id=account.id if account else None, note=note)
    db.session.commit()
    return order


def complete(order: Order, actor_id: int | None = None, note: str = "") -> None:
    """delivered -> completed: the seller's (and managers') money becomes available."""
    transition(order, "completed", actor_id=actor_id, note=note)
    ledger.release_order(order)


COMPLETERS: dict[str, Callable[[Order, int | None, str], None]] = {}


def can_confirm(order: Order) -> bool:
    """Whether the buyer may confirm receipt now: once shipped (the buyer may have the pair
    before anyone says it was delivered) and until it completes. A disputed order waits for
    the admin's decision."""
    return order.status in ("shipped", "delivered")


def confirm(order_id: int, account: Account) -> Order:
    """The buyer confirms receipt: the order completes now instead of when its window closes
    (a shipped order is delivered first, to the buyer's word). Commits."""
    order = _as(order_id, account, is_buyer, "buyer")
    if not can_confirm(order):
        raise IllegalTransition(
            "Only a shipped or delivered order can be confirmed;"
            f" this one is {STATUS_NAMES[order.status]}."
        )
    if order.status == "shipped":
        transition(order, "delivered", actor_id=account.id, note="Received, said the buyer.")
    COMPLETERS.get(order.mode, complete)(order, account.id, "Receipt confirmed by the buyer.")
    db.session.commit()
    return order


def request_return(order_id: int, account: Account, reason: str) -> Order:
    """The buyer asks to return a delivered order within RETURN_WINDOW_DAYS. Commits.

    :raise IllegalTransition: not delivered. :raise Conflict: the window has closed.
    :raise ValidationFailed: no reason given, or one over RETURN_REASON_MAX_LENGTH.
    """
    order = _as(order_id, account, is_buyer, "buyer")
    refuse_unless_allowed(order, "return_requested")
    window = timedelta(days=current_app.config["RETURN_WINDOW_DAYS"])
    if order.status == "delivered" and clock.now() > order.delivered_at + window:
        raise Conflict(
            f"Returns close {current_app.config['RETURN_WINDOW_DAYS']} days after delivery.",
            code="return_window_closed",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": ["Say why you are returning the pair."]})
    if len(reason) > RETURN_REASON_MAX_LENGTH:
        raise ValidationFailed(
            fields={"reason": [f"At most {RETURN_REASON_MAX_LENGTH} characters."]}
        )
    transition(order, "return_requested", actor_id=account.id, note=reason)
    order.return_reason = reason
    db.session.commit()
    _send(
        [
            (
                _emails_of_seller(order),
                f"Return requested for order #{order.id}",
                f"The buyer asks to return order #{order.id}: {reason}",
            )
        ]
    )
    return order


def mark_returned(order_id: int, account: Account) -> Order:
    """The seller received the returned pairs. Commits."""
    order = _as(order_id, account, is_seller, "seller")
    transition(order, "returned", actor_id=account.id)
    db.session.commit()
    return order


def refund(order_id: int, account: Account) -> Order:
    """The seller refunds a returned order: pairs back in stock, money back in full. Commits."""
    order = _as(order_id, account, is_seller, "seller")
    transition(order, "refunded", actor_id=account.id, note="Refunded by the seller.")
    inventory.restock(stock_lines(order))
    refund_money(order)
    db.session.commit()
    _send(
        [
            (
                order.buyer.email,
                f"Order #{order.id} refunded",
                f"{order.seller_name} refunded order #{order.id} in full.",
            )
        ]
    )
    return order


# Provider events and scheduled jobs.


def capture_checkout(payment: Payment) -> list[tuple]:
    """A pending charge succeeded: capture the checkout's orders still awaiting payment, and
    refund the part of any order cancelled or expired meanwhile. Caller commits; returns
    the confirmation emails to send after the commit."""
    payment.status = "succeeded"
    emails = []
    for order in payment.checkout.orders:
        if order.status == "pending_payment":
            capture(order, note="Payment approved by the bank.")
            emails += confirmation_emails(order)
        elif order.status in ("cancelled", "expired"):
            payments.refund(payment, order.total_cents, order.id)
    return emails


def fail_checkout(payment: Payment) -> int:
    """A pending charge was refused: its unpaid orders are cancelled. Caller commits."""
    payment.status = "declined"
    cancelled = 0
    for order in payment.checkout.orders:
        if order.status == "pending_payment":
            transition(order, "cancelled", note="The bank refused the payment.")
            inventory.release(stock_lines(order))
            cancelled += 1
    return cancelled


def apply_provider_event(kind: str, data: dict) -> tuple[str, list[tuple]]:
    """Apply a verified provider event in the caller's transaction: what it did, and the
    emails to send once the caller has committed."""
    if kind in ("payment.succeeded", "payment.failed"):
        payment = payments.payment_by_reference(str(data.get("payment_ref", "")))
        if payment is None or payment.status != "pending" or payment.checkout is None:
            return "ignored: no pending payment with that reference", []
        if kind == "payment.succeeded":
            emails = capture_checkout(payment)
            return f"captured {len(emails) // 2} order(s)", emails
        return f"cancelled {fail_checkout(payment)} order(s)", []
    if kind == "shipment.delivered":
        order_id = data.get("order_id")
        order = load(order_id) if isinstance(order_id, int) and 0 < order_id < 2**31 else None
        if (
            order is None
            or not order.tracking_number
            or order.tracking_number != str(data.get("tracking_number", ""))
        ):
            return "ignored: no shipped order with that tracking number", []
        transition(order, "delivered", note="Delivered, said the carrier.")
        return "delivered", []
    return "ignored: unknown event type", []


def send_emails(messages: list[tuple]) -> None:
    """Send (recipients, subject, body) messages; call after their transaction committed."""
    _send(messages)


@jobs.periodic("expire unpaid orders")
def expire_unpaid() -> int:
    """Expire orders whose payment hold has run out, releasing their pairs."""
    due = db.session.scalars(
        select(Order.id).where(
            Order.status == "pending_payment", Order.hold_expires_at <= clock.now()
        )
    ).all()
    for order_id in due:
        order = load(order_id)
        try:
            expire(order)
            db.session.commit()
        except IllegalTransition:  # paid or cancelled a moment ago
            db.session.rollback()
    return len(due)


@jobs.periodic("complete orders past their return window")
def complete_due() -> int:
    """Complete delivered orders whose return window has closed; their money becomes available."""
    cutoff = clock.now() - timedelta(days=current_app.config["RETURN_WINDOW_DAYS"])
    due = db.session.scalars(
        select(Order.id).where(
            Order.status == "delivered", Order.mode != "c2c", Order.delivered_at <= cutoff
        )
    ).all()
    done = 0
    for order_id in due:
        order = load(order_id)
        try:
            complete(order, note="Return window closed.")
            db.session.commit()
            done += 1
        except IllegalTransition:
            db.session.rollback()
    return done
