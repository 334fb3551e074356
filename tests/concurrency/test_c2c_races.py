"""People racing for one used pair: it is sold or held once, never twice, and escrow pays
out once, whichever requests arrive together (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace import clock
from marketplace.exceptions import (
    Conflict,
    IllegalTransition,
    NotFound,
    OutOfStock,
    ValidationFailed,
)
from marketplace.extensions import db
from marketplace.services import (
    c2c,
    cart,
    checkout,
    escrow,
    inventory,
    ledger,
    offers,
    orders,
    uploads,
)
from models import (
    Account,
    LedgerTransaction,
    Listing,
    Offer,
    Order,
    OrderLine,
    Payment,
    Photo,
    Provenance,
    StagedPhoto,
)
from tests.c2c_helpers import ADDRESS, CARD_OK, PAIR_FACTS, c2c_fee
from tests.helpers import (
    all_at_once,
    image_bytes,
    make_admin,
    make_company_member,
    make_listing,
    make_person,
)

PRICE = 10000


def list_pair(app, seller_id: int, price_cents: int = PRICE) -> int:
    with app.app_context():
        seller = db.session.get(Account, seller_id)
        data = {**PAIR_FACTS, "price_cents": price_cents}
        return c2c.create_pair(seller, data, [image_bytes("JPEG", size=(64, 64))]).id


def buy_in_own_context(app, listing_id: int, buyer_id: int, offer_id: int | None = None) -> int:
    """Buy the pair on a connection of this thread's own; the order id."""
    with app.app_context():
        buyer = db.session.get(Account, buyer_id)
        order = escrow.buy(
            listing_id, buyer, shipping_address=ADDRESS, card_number=CARD_OK, offer_id=offer_id
        )
        return order.id


def as_account(app, account_id: int, work):
    with app.app_context():
        return work(db.session.get(Account, account_id))


def pair_stock(app, listing_id: int) -> tuple[int, int, str]:
    """(stock, reserved, listing status) of a used pair."""
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        return listing.variants[0].stock, listing.variants[0].reserved, listing.status


def order_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def money(app, seller_id: int) -> dict:
    with app.app_context():
        return {
            "escrow": -ledger.balance(ledger.ESCROW),
            "fees": ledger.owed(ledger.FEES),
            "seller": ledger.owner_balances(account_id=seller_id),
            "balanced": ledger.trial_balance()["balanced"],
        }


def winners(results) -> list:
    return [value for outcome, value in results if outcome == "ok"]


def losers(results) -> list:
    return [value for outcome, value in results if outcome == "error"]


@pytest.fixture
def pair(app):
    seller = make_person(app, name="Sol Seller")
    return {"seller_id": seller.id, "listing_id": list_pair(app, seller.id)}


@pytest.fixture
def both_past_the_shop_window(monkeypatch):
    """Both buyers have read the pair as on sale before either tries to hold it, as two
    people pressing "Buy" on the same open page do: a barrier inside inventory.reserve."""
    gate = threading.Barrier(2)
    real_reserve = inventory.reserve

    def reserve(lines):
        gate.wait(timeout=30)
        return real_reserve(lines)

    monkeypatch.setattr(inventory, "reserve", reserve)
    return gate


def test_two_buyers_cannot_both_buy_the_one_pair(app, pair, both_past_the_shop_window):
    buyers = [make_person(app, name=f"Buyer {n}").id for n in range(2)]

    results = all_at_once(buy_in_own_context, [(app, pair["listing_id"], b) for b in buyers])

    assert len(winners(results)) == 1, results
    [loser] = losers(results)
    assert isinstance(loser, OutOfStock) and loser.status == 409, repr(loser)
    assert pair_stock(app, pair["listing_id"]) == (0, 0, "sold")
    assert order_count(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    assert money(app, pair["seller_id"]) == {
        "escrow": PRICE,
        "fees": 0,
        "seller": {"pending_cents": 0, "available_cents": 0},
        "balanced": True,
    }


def test_a_crowd_buying_one_pair_gets_exactly_one_order(app, pair):
    buyers = [make_person(app, name=f"Buyer {n}").id for n in range(8)]

    results = all_at_once(buy_in_own_context, [(app, pair["listing_id"], b) for b in buyers])

    assert len(winners(results)) == 1, results
    # a late loser may find the pair already sold (404) rather than held (409)
    assert all(isinstance(error, OutOfStock | NotFound) for error in losers(results)), results
    assert pair_stock(app, pair["listing_id"]) == (0, 0, "sold")
    assert order_count(app) == 1
    assert money(app, pair["seller_id"])["escrow"] == PRICE
    assert money(app, pair["seller_id"])["balanced"]


def make_offers(app, listing_id: int, amounts: list[int]) -> list[tuple[int, int]]:
    """(buyer_id, offer_id) of one open offer per amount, each from a different buyer."""
    made = []
    for index, amount in enumerate(amounts):
        buyer = make_person(app, name=f"Offerer {index}")
        with app.app_context():
            placed = offers.make_offer(listing_id, db.session.get(Account, buyer.id), amount)
            made.append((buyer.id, placed.id))
    return made


def test_two_accepts_of_different_buyers_offers_hold_the_pair_once(app, pair):
    made = make_offers(app, pair["listing_id"], [8000, 8500])

    def accept(offer_id: int) -> str:
        return as_account(app, pair["seller_id"], lambda s: offers.accept(offer_id, s).status)

    results = all_at_once(accept, [(offer_id,) for _, offer_id in made])

    assert winners(results) == ["accepted"], results
    [loser] = losers(results)
    assert isinstance(loser, Conflict) and loser.status == 409, repr(loser)
    with app.app_context():
        statuses = sorted(db.session.scalars(select(Offer.status)).all())
    assert statuses == ["accepted", "open"]
    assert pair_stock(app, pair["listing_id"]) == (1, 1, "active")

    # the winner pays its offer; the other buyer cannot take the pair meanwhile
    index = [outcome for outcome, _ in results].index("ok")
    buyer_id, offer_id = made[index]
    order_id = buy_in_own_context(app, pair["listing_id"], buyer_id, offer_id)
    with app.app_context():
        assert db.session.get(Order, order_id).total_cents == [8000, 8500][index]
    assert pair_stock(app, pair["listing_id"]) == (0, 0, "sold")


def test_accepting_an_offer_while_someone_buys_now_sells_the_pair_once(
    app, pair, both_past_the_shop_window
):
    [(_, offer_id)] = make_offers(app, pair["listing_id"], [8000])
    hurried = make_person(app, name="Hurried Buyer").id

    def accept() -> str:
        return as_account(app, pair["seller_id"], lambda s: offers.accept(offer_id, s).status)

    def buy_now() -> int:
        return buy_in_own_context(app, pair["listing_id"], hurried)

    results = all_at_once(lambda work: work(), [(accept,), (buy_now,)])

    assert len(winners(results)) == 1, results
    assert all(isinstance(error, Conflict) for error in losers(results)), results
    stock, reserved, status = pair_stock(app, pair["listing_id"])
    if results[0][0] == "ok":  # the seller accepted: the pair is held for the offerer
        assert (stock, reserved, status, order_count(app)) == (1, 1, "active", 0)
    else:
        assert (stock, reserved, status, order_count(app)) == (0, 0, "sold", 1)
    assert money(app, pair["seller_id"])["balanced"]


def delivered_order(app, pair) -> tuple[int, int]:
    """A pair bought, shipped and delivered: (order id, buyer id)."""
    buyer = make_person(app, name="Bea Buyer")
    order_id = buy_in_own_context(app, pair["listing_id"], buyer.id)
    with app.app_context():
        seller = db.session.get(Account, pair["seller_id"])
        orders.ship(order_id, seller, "UPS", "1Z999")
        orders.deliver(order_id, seller)
    return order_id, buyer.id


def release_postings(app, order_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.order_id == order_id, LedgerTransaction.kind == "release")
        )


def test_confirming_while_auto_confirm_runs_pays_the_seller_once(app, pair):
    order_id, buyer_id = delivered_order(app, pair)
    clock.set_now(clock.now() + timedelta(days=3, minutes=1))

    def confirm() -> str:
        return as_account(app, buyer_id, lambda b: orders.confirm(order_id, b).status)

    def auto() -> int:
        with app.app_context():
            return escrow.auto_confirm()

    results = all_at_once(lambda work: work(), [(confirm,), (auto,)])

    assert all(isinstance(e, IllegalTransition) for e in losers(results)), results
    assert release_postings(app, order_id) == 1
    fee = c2c_fee(PRICE)
    assert money(app, pair["seller_id"]) == {
        "escrow": 0,
        "fees": fee,
        "seller": {"pending_cents": 0, "available_cents": PRICE - fee},
        "balanced": True,
    }


def test_a_dispute_racing_auto_confirm_either_freezes_or_pays_never_both(app, pair):
    order_id, buyer_id = delivered_order(app, pair)
    clock.set_now(clock.now() + timedelta(days=3, minutes=1))

    def open_dispute() -> str:
        return as_account(
            app, buyer_id, lambda b: escrow.open_dispute(order_id, b, "Not my size").status
        )

    def auto() -> int:
        with app.app_context():
            return escrow.auto_confirm()

    results = all_at_once(lambda work: work(), [(open_dispute,), (auto,)])

    assert all(isinstance(e, IllegalTransition) for e in losers(results)), results
    with app.app_context():
        status = db.session.get(Order, order_id).status
    state = money(app, pair["seller_id"])
    assert state["balanced"]
    if status == "disputed":
        assert results[0] == ("ok", "open")
        assert (state["escrow"], state["seller"]["available_cents"]) == (PRICE, 0)
        assert release_postings(app, order_id) == 0
    else:
        assert status == "completed" and release_postings(app, order_id) == 1
        assert state["escrow"] == 0
        assert state["seller"]["available_cents"] == PRICE - c2c_fee(PRICE)


@pytest.mark.parametrize("outcomes", [("refund", "refund"), ("refund", "release")])
def test_two_admins_resolving_one_dispute_at_once_move_the_money_once(app, pair, outcomes):
    order_id, buyer_id = delivered_order(app, pair)
    with app.app_context():
        dispute_id = escrow.open_dispute(
            order_id, db.session.get(Account, buyer_id), "Torn upper"
        ).id
    admins = [make_admin(app).id for _ in outcomes]

    def resolve(admin_id: int, outcome: str) -> str:
        return as_account(app, admin_id, lambda a: escrow.resolve(dispute_id, a, outcome).outcome)

    results = all_at_once(resolve, list(zip(admins, outcomes, strict=True)))

    [outcome] = winners(results)
    [loser] = losers(results)
    assert isinstance(loser, Conflict) and loser.status == 409, repr(loser)
    state = money(app, pair["seller_id"])
    assert state["balanced"] and state["escrow"] == 0
    with app.app_context():
        order = db.session.get(Order, order_id)
        refunds = db.session.scalars(select(Payment).where(Payment.kind == "refund")).all()
    if outcome == "refund":
        assert order.status == "refunded"
        assert [r.amount_cents for r in refunds] == [PRICE]
        assert state["seller"] == {"pending_cents": 0, "available_cents": 0}
    else:
        assert order.status == "completed" and refunds == []
        assert state["seller"]["available_cents"] == PRICE - c2c_fee(PRICE)


def test_one_buyer_offering_twice_at_once_keeps_one_open_offer(app, pair):
    buyer = make_person(app, name="Eager Buyer").id

    def make(amount: int) -> int:
        return as_account(app, buyer, lambda b: offers.make_offer(pair["listing_id"], b, amount).id)

    results = all_at_once(make, [(7000,), (7500,)])

    assert len(winners(results)) == 1, results
    [loser] = losers(results)
    assert isinstance(loser, Conflict) and loser.code == "offer_open", repr(loser)
    with app.app_context():
        assert db.session.scalars(select(Offer.status)).all() == ["open"]


def delivered_retail_pair(app) -> tuple[int, int]:
    """A person bought one retail pair, it was delivered and they confirmed it, so it is
    theirs to resell: (buyer id, order line id)."""
    shop = make_company_member(app, "Aero Shoes")
    retail = make_listing(app, shop.company_id, {"43": 5}, 12999, title="Aero Glide 3")
    buyer = make_person(app, name="Bea Buyer")
    with app.app_context():
        account = db.session.get(Account, buyer.id)
        cart.add(account, retail.variants["43"], 1)
        placed = checkout.place_order(account, shipping_address=ADDRESS, card_number=CARD_OK)
        order_id = placed.orders[0].id
        seller = db.session.get(Account, shop.id)
        orders.ship(order_id, seller, "UPS", "1Z999")
        orders.deliver(order_id, seller)
        orders.confirm(order_id, account)
        line_id = db.session.scalar(select(OrderLine.id).where(OrderLine.order_id == order_id))
    return buyer.id, line_id


def test_a_one_pair_purchase_resold_twice_at_once_is_listed_once(app, monkeypatch):
    buyer_id, line_id = delivered_retail_pair(app)
    gate = threading.Barrier(2)
    real_process = uploads.process_image

    def process_image(data, field="photos"):
        # both requests are past their checks before either stores a listing; a version
        # that serialises resales would keep one waiting, so the gate gives up after 3 s
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait(timeout=3)
        return real_process(data, field)

    monkeypatch.setattr(uploads, "process_image", process_image)
    data = {
        "title": "Aero Glide 3",
        "brand": "Aero",
        "model": "Glide 3",
        "size_eu": "43",
        "gender": "men",
        "condition": "like_new",
        "price_cents": 9500,
    }

    def resell() -> int:
        return as_account(
            app,
            buyer_id,
            lambda b: (
                c2c.create_pair(
                    b, data, [image_bytes("JPEG", size=(64, 64))], resell_line_id=line_id
                ).id
            ),
        )

    results = all_at_once(resell, [(), ()])

    with app.app_context():
        provenances = db.session.scalar(select(func.count()).select_from(Provenance))
    assert provenances == 1
    assert len(winners(results)) == 1, results
    assert all(isinstance(e, Conflict) for e in losers(results)), results


def test_a_pair_withdrawn_while_a_buyer_pays_is_not_sold(app, pair, monkeypatch):
    buyer = make_person(app, name="Slow Buyer").id
    buyer_read_the_pair = threading.Event()
    seller_withdrew = threading.Event()
    real_reserve = inventory.reserve

    def reserve(lines):
        buyer_read_the_pair.set()
        seller_withdrew.wait(timeout=5)  # a locking fix may make the seller wait instead
        return real_reserve(lines)

    monkeypatch.setattr(inventory, "reserve", reserve)
    outcome: list = []

    def buy() -> None:
        try:
            outcome.append(("ok", buy_in_own_context(app, pair["listing_id"], buyer)))
        except Exception as error:  # reported below
            outcome.append(("error", error))

    thread = threading.Thread(target=buy)
    thread.start()
    assert buyer_read_the_pair.wait(timeout=30)
    try:
        withdrawn = as_account(
            app, pair["seller_id"], lambda s: c2c.withdraw(pair["listing_id"], s).status
        )
    except Conflict:
        withdrawn = "refused"
    seller_withdrew.set()
    thread.join(timeout=60)
    assert not thread.is_alive()

    stock, reserved, status = pair_stock(app, pair["listing_id"])
    if withdrawn == "withdrawn":
        assert outcome[0][0] == "error", outcome
        assert (stock, reserved, status, order_count(app)) == (0, 0, "withdrawn", 0)
    else:
        assert outcome[0][0] == "ok" and status == "sold"
    assert money(app, pair["seller_id"])["balanced"]


def test_kept_photos_sent_twice_at_once_go_on_one_listing(app):
    seller_id = make_person(app, name="Sol Seller").id
    with app.app_context():
        seller = db.session.get(Account, seller_id)
        kept = [photo.id for photo in c2c.keep_photos(seller, [image_bytes("JPEG")] * 2)]
    data = {**PAIR_FACTS, "price_cents": PRICE}

    def sell(account: Account) -> int:
        return c2c.create_pair(account, data, [], kept_ids=kept).id

    results = all_at_once(as_account, [(app, seller_id, sell)] * 4)

    assert len(winners(results)) == 1, results
    assert all(isinstance(error, ValidationFailed) for error in losers(results)), results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Listing)) == 1
        assert db.session.scalar(select(func.count()).select_from(Photo)) == 2
        assert db.session.scalar(select(func.count()).select_from(StagedPhoto)) == 0
