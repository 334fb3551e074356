"""C2C trades: money waits in escrow until the buyer has the pair.

Paying puts the money in escrow. The seller must ship within C2C_SHIP_BY_DAYS or the jobs
command cancels and refunds in full. Once delivered, the buyer confirms receipt (or the
jobs command does C2C_AUTO_CONFIRM_DAYS later) and escrow pays the seller less the C2C fee.
Before that the buyer may open a dispute, which freezes escrow until an admin refunds the
buyer or releases the money to the seller.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace import clock, mail
from marketplace.exceptions import (
    Conflict,
    Forbidden,
    IllegalTransition,
    NotFound,
    OfferExpired,
    PaymentDeclined,
    ValidationFailed,
)
from marketplace.extensions import db
from marketplace.services import c2c, checkout, inventory, jobs, ledger, orders, payments, pricing
from models import Account, Checkout, Dispute, Listing, Offer, Order, OrderEvent, OrderLine

# The longest reason a buyer may give for a dispute.
DISPUTE_REASON_MAX_LENGTH = 2000


def escrow_legs(order: Order) -> list[tuple[str, int]]:
    """Paid: the whole amount waits in escrow."""
    return [(ledger.CLEARING, order.total_cents), (ledger.ESCROW, -order.total_cents)]


orders.CAPTURE_LEGS["c2c"] = escrow_legs


def seller_share_cents(order: Order) -> int:
    """What releasing the escrow of a C2C order pays its seller: the total less the C2C fee."""
    return order.total_cents - order.fee_cents


def release(order: Order, actor_id: int | None = None, note: str = "") -> None:
    """delivered (or disputed) -> completed: escrow pays the seller less the C2C fee."""
    orders.transition(order, "completed", actor_id=actor_id, note=note)
    ledger.post(
        "release",
        f"release:order:{order.id}",
        [
            (ledger.ESCROW, order.total_cents),
            (ledger.seller_code(order, "available"), -seller_share_cents(order)),
            (ledger.FEES, -order.fee_cents),
        ],
        order_id=order.id,
        memo=f"Escrow of order #{order.id} released",
    )


orders.COMPLETERS["c2c"] = release


def _listing(order: Order) -> Listing:
    return db.session.get(Listing, order.lines[0].listing_id)


@orders.on("c2c", "paid")
def _pair_sold(order: Order) -> None:
    _listing(order).status = "sold"


@orders.on("c2c", "cancelled")
def _pair_back_on_sale(order: Order) -> None:
    listing = _listing(order)
    if listing.status == "sold":
        listing.status = "active"


def buy(
    listing_id: int,
    buyer: Account,
    *,
    shipping_address: dict,
    card_number: str,
    offer_id: int | None = None,
) -> Order:
    """Buy a used pair now, or at an accepted offer's price; the money goes to escrow.
    Commits once.

    :raise NotFound: not a pair on sale (or not your offer). :raise Forbidden: your own pair,
        or a business account.
    :raise OutOfStock: sold (before or meanwhile) or held for someone else. :raise OfferExpired.
    :raise ValidationFailed: address or card. :raise PaymentDeclined: nothing is held.
    """
    address = checkout.clean_address(shipping_address)
    card = payments.card_digits(card_number)
    listing = db.session.get(Listing, listing_id, options=[selectinload(Listing.variants)])
    if listing is None or listing.kind != "c2c" or listing.status == "withdrawn":
        raise NotFound("No such pair on sale.")
    if listing.status == "sold":
        raise inventory.shortage([(listing.variants[0].id, 1)])
    c2c.require_person(buyer, c2c.BUYERS_ARE_PEOPLE)
    if listing.account_id == buyer.id:
        raise Forbidden("You cannot buy your own pair.")
    variant = listing.variants[0]
    if offer_id is not None:
        offer = db.session.get(Offer, offer_id)
        if offer is None or offer.buyer_id != buyer.id or offer.listing_id != listing.id:
            raise NotFound("No such offer of yours on this pair.")
        if offer.status != "accepted":
            raise Conflict(
                f"This offer is {offer.status}, not accepted.", code="offer_not_accepted"
            )
        if offer.expires_at <= clock.now():
            raise OfferExpired("The time to pay this offer has passed.")
        price = offer.amount_cents
        # The accepted offer already holds the pair: hand the hold over to the order.
        claimed = db.session.execute(
            update(Offer)
            .where(Offer.id == offer.id, Offer.status == "accepted")
            .values(status="sold", responded_at=clock.now())
        )
        if claimed.rowcount != 1:
            db.session.rollback()
            raise Conflict("This offer changed meanwhile.", code="illegal_transition")
    else:
        price = variant.price_cents
        inventory.reserve([(variant.id, 1)])
    fee = pricing.policy("c2c").fee(price)
    placed = Checkout(
        buyer_id=buyer.id, total_cents=price, shipping_method="standard", shipping_address=address
    )
    order = Order(
        mode="c2c",
        status="pending_payment",
        buyer_id=buyer.id,
        seller_account_id=listing.account_id,
        subtotal_cents=price,
        shipping_cents=0,
        fee_cents=fee,
        total_cents=price,
        shipping_address=address,
        hold_expires_at=clock.now() + timedelta(minutes=current_app.config["PAYMENT_HOLD_MINUTES"]),
    )
    order.lines.append(
        OrderLine(
            listing_id=listing.id,
            variant_id=variant.id,
            quantity=1,
            unit_price_cents=price,
            title=listing.title,
            size_eu=variant.size_eu,
            sku=variant.sku,
        )
    )
    note = "Bought at an accepted offer." if offer_id else "Bought now."
    order.events.append(OrderEvent(status="pending_payment", actor_id=buyer.id, note=note))
    placed.orders.append(order)
    db.session.add(placed)
    db.session.flush()
    result = payments.provider().charge(price, card, f"Solemate used pair, order {order.id}")
    if result.status == "declined":
        db.session.rollback()
        raise PaymentDeclined(result.message or "The card was declined.")
    payments.record_charge(result, price, card, checkout_id=placed.id)
    emails = []
    if result.status == "succeeded":
        orders.capture(order, actor_id=buyer.id, note="Paid into escrow.")
        emails = orders.confirmation_emails(order)
    db.session.commit()
    orders.send_emails(emails)
    return order


def open_dispute(order_id: int, buyer: Account, reason: str) -> Dispute:
    """The buyer disputes a shipped or delivered pair before confirming; escrow freezes.
    Commits. :raise NotFound: not an order this account sees. :raise Forbidden: not the
    buyer. :raise Conflict: not a used-pair order (`not_disputable`: others are returned).
    :raise IllegalTransition: not shipped or delivered (confirmed already, say).
    :raise ValidationFailed: no reason, or one over DISPUTE_REASON_MAX_LENGTH."""
    order = orders.visible_order(order_id, buyer)
    if order.mode != "c2c":
        raise Conflict(
            "Only used-pair orders, paid into escrow, can be disputed; return this order instead.",
            code="not_disputable",
        )
    if not orders.is_buyer(order, buyer):
        raise Forbidden("Only the buyer can open a dispute.")
    # An order that cannot be disputed says so before the reason is judged.
    orders.refuse_unless_allowed(order, "disputed")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": ["Say what is wrong with the pair."]})
    if len(reason) > DISPUTE_REASON_MAX_LENGTH:
        raise ValidationFailed(
            fields={"reason": [f"At most {DISPUTE_REASON_MAX_LENGTH:,} characters."]}
        )
    orders.transition(order, "disputed", actor_id=buyer.id, note=reason[:500])
    dispute = Dispute(order_id=order.id, opened_by_id=buyer.id, reason=reason, status="open")
    db.session.add(dispute)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("This order already has a dispute.", code="already_disputed") from None
    mail.send(
        order.seller_account.email,
        f"Dispute on order #{order.id}",
        f"The buyer opened a dispute: {reason}",
    )
    return dispute


def visible_dispute(dispute_id: int, account: Account) -> Dispute:
    """A dispute its buyer, seller or an admin may see. :raise NotFound."""
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None:
        raise NotFound("No such dispute.")
    order = dispute.order
    if not (
        account.is_admin or orders.is_buyer(order, account) or orders.is_seller(order, account)
    ):
        raise NotFound("No such dispute.")
    return dispute


def dispute_of(order_id: int) -> Dispute | None:
    return db.session.scalar(select(Dispute).where(Dispute.order_id == order_id))


def open_disputes() -> list[Dispute]:
    return list(
        db.session.scalars(
            select(Dispute)
            .where(Dispute.status == "open")
            .options(selectinload(Dispute.order))
            .order_by(Dispute.created_at)
        )
    )


def resolve(dispute_id: int, admin: Account, outcome: str, relist: bool = False) -> Dispute:
    """An admin ends a dispute: `refund` (escrow back to the buyer; with `relist` the pair is
    on sale again) or `release` (escrow to the seller). Commits.

    :raise Forbidden: not an admin. :raise NotFound. :raise Conflict: already resolved.
    :raise ValidationFailed: an unknown outcome.
    """
    if not admin.is_admin:
        raise Forbidden("Only admins resolve disputes.")
    if outcome not in ("refund", "release"):
        raise ValidationFailed(fields={"outcome": ["Choose refund or release."]})
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None:
        raise NotFound("No such dispute.")
    claimed = db.session.execute(
        update(Dispute)
        .where(Dispute.id == dispute.id, Dispute.status == "open")
        .values(
            status="resolved",
            outcome=outcome,
            relisted=relist and outcome == "refund",
            resolved_by_id=admin.id,
            resolved_at=clock.now(),
        )
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise Conflict("This dispute is already resolved.", code="already_resolved")
    order = orders.visible_order(dispute.order_id, admin)
    if outcome == "refund":
        orders.transition(
            order, "refunded", actor_id=admin.id, note="Dispute resolved: refunded to the buyer."
        )
        orders.refund_money(order)
        if relist:
            inventory.restock(orders.stock_lines(order))
            _listing(order).status = "active"
    else:
        release(order, admin.id, "Dispute resolved: paid to the seller.")
    db.session.commit()
    db.session.refresh(dispute)
    for party in (order.buyer, order.seller_account):
        mail.send(party.email, f"Dispute on order #{order.id} resolved", f"Outcome: {outcome}.")
    return dispute


@jobs.periodic("cancel unshipped used-pair orders")
def cancel_unshipped() -> int:
    """Paid C2C orders not shipped within C2C_SHIP_BY_DAYS: cancelled, refunded in full,
    the pair withdrawn (its seller can put it back on sale with `c2c.relist`)."""
    cutoff = clock.now() - timedelta(days=current_app.config["C2C_SHIP_BY_DAYS"])
    due = db.session.scalars(
        select(Order.id).where(Order.mode == "c2c", Order.status == "paid", Order.paid_at <= cutoff)
    ).all()
    done = 0
    for order_id in due:
        order = orders.load(order_id)
        try:
            orders.transition(order, "cancelled", note="Not shipped in time: refunded in full.")
        except IllegalTransition:
            db.session.rollback()
            continue
        orders.refund_money(order)
        _listing(order).status = "withdrawn"  # the pair is still with its seller, off stock
        db.session.commit()
        done += 1
        mail.send(
            order.buyer.email,
            f"Order #{order.id} cancelled",
            "The seller did not ship in time; you are refunded in full.",
        )
    return done


@jobs.periodic("confirm delivered used pairs")
def auto_confirm() -> int:
    """Delivered C2C orders not disputed C2C_AUTO_CONFIRM_DAYS after delivery: escrow pays
    the seller."""
    cutoff = clock.now() - timedelta(days=current_app.config["C2C_AUTO_CONFIRM_DAYS"])
    due = db.session.scalars(
        select(Order.id).where(
            Order.mode == "c2c", Order.status == "delivered", Order.delivered_at <= cutoff
        )
    ).all()
    done = 0
    for order_id in due:
        order = orders.load(order_id)
        try:
            release(order, note="Confirmed automatically after delivery.")
            db.session.commit()
            done += 1
        except IllegalTransition:
            db.session.rollback()
    return done
