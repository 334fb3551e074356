"""Used-pair pages: sell, my listings, buy into escrow, offers, messages, profiles, disputes."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints.b2c.shopping import send_order_form
from blueprints.c2c import bp
from blueprints.c2c.forms import (
    ActionForm,
    BuyForm,
    DisputeForm,
    MessageForm,
    OfferForm,
    PairForm,
    RatingForm,
)
from blueprints.common import (
    ShipForm,
    apply_errors,
    flash_error,
    page_arg,
    require_capability,
    typed_id,
)
from marketplace import whole_number
from marketplace.exceptions import DomainError, NotFound, PaymentDeclined, ValidationFailed
from marketplace.services import c2c, catalog, escrow, offers, orders
from marketplace.templating import money

ALIASES = {"price_cents": "price", "shipping_address.name": "name"}


def _pair_data(form: PairForm) -> dict:
    return {
        "title": form.title.data,
        "brand": form.brand.data,
        "model": form.model.data,
        "colorway": form.colorway.data or "",
        "category": form.category.data,
        "gender": form.gender.data,
        "size_eu": form.size_eu.data,
        "condition": form.condition.data,
        "price_cents": form.price.data,
        "description": form.description.data or "",
    }


def _uploads(form: PairForm) -> list[bytes]:
    if not form.is_submitted():
        return []
    return [upload.read() for upload in (form.photos.data or []) if upload and upload.filename]


def _kept_ids() -> list[int]:
    """The photos kept from an earlier try that the form still ticks."""
    return [photo_id for photo_id in map(typed_id, request.form.getlist("kept")) if photo_id]


def _pair_page(form: PairForm, uploads: list[bytes], **context):
    """The sell (or edit) form, again with its errors after a try that failed: the photos
    that came with it are kept, so the seller need not pick them again."""
    kept = c2c.kept_photos(current_user, _kept_ids()) if form.is_submitted() else []
    if uploads and "csrf_token" not in form.errors:
        kept += c2c.keep_photos(current_user, uploads)
    return render_template("c2c/sell.html", form=form, kept=kept, **context)


@bp.route("/sell", methods=["GET", "POST"])
@require_capability("person")
def sell():
    form = PairForm()
    prefill = None
    resell_line = typed_id(request.args.get("resell") or form.resell_line.data)
    if resell_line is not None:
        try:
            prefill = c2c.resell_prefill(resell_line, current_user)
        except DomainError as error:
            flash_error(error)
            return redirect(url_for("b2c.my_orders"))
        if not form.is_submitted():
            for key in ("title", "brand", "model", "colorway", "category", "gender", "size_eu"):
                getattr(form, key).data = prefill[key]
            form.resell_line.data = str(resell_line)
    uploads = _uploads(form)
    if form.validate_on_submit():
        try:
            listing = c2c.create_pair(
                current_user,
                _pair_data(form),
                uploads,
                resell_line_id=resell_line,
                copy_photos=True,
                kept_ids=_kept_ids(),
            )
        except ValidationFailed as error:
            apply_errors(form, error.fields, ALIASES)
        except DomainError as error:
            flash_error(error)
        else:
            flash("Your pair is on sale.", "success")
            return redirect(url_for("b2c.listing_page", listing_id=listing.id))
    return _pair_page(form, uploads, prefill=prefill, listing=None)


@bp.route("/sell/mine")
@require_capability("person")
def my_pairs():
    return render_template(
        "c2c/mine.html", pairs=c2c.my_pairs(current_user), action_form=ActionForm()
    )


@bp.route("/sell/<int:listing_id>/edit", methods=["GET", "POST"])
@require_capability("person")
def edit_pair(listing_id: int):
    listing = c2c.own_pair(listing_id, current_user)
    form = PairForm(obj=listing) if request.method == "GET" else PairForm()
    if request.method == "GET":
        form.size_eu.data = listing.variants[0].size_eu
        form.price.data = listing.variants[0].price_cents
    uploads = _uploads(form)
    if form.validate_on_submit():
        try:
            c2c.update_pair(
                listing.id, current_user, _pair_data(form), uploads, kept_ids=_kept_ids()
            )
        except ValidationFailed as error:
            apply_errors(form, error.fields, ALIASES)
        except DomainError as error:
            flash_error(error)
        else:
            flash("Changes saved.", "success")
            return redirect(url_for("b2c.listing_page", listing_id=listing.id))
    return _pair_page(form, uploads, prefill=None, listing=listing)


@bp.route("/sell/<int:listing_id>/withdraw", methods=["POST"])
@require_capability("person")
def withdraw(listing_id: int):
    if ActionForm().validate_on_submit():
        try:
            c2c.withdraw(listing_id, current_user)
        except NotFound:
            raise
        except DomainError as error:
            flash_error(error)
        else:
            flash("Your pair is off sale.", "info")
    return redirect(url_for("c2c.my_pairs"))


@bp.route("/sell/<int:listing_id>/relist", methods=["POST"])
@require_capability("person")
def relist(listing_id: int):
    if ActionForm().validate_on_submit():
        try:
            c2c.relist(listing_id, current_user)
        except NotFound:
            raise
        except DomainError as error:
            flash_error(error)
        else:
            flash("Your pair is back on sale.", "success")
    return redirect(url_for("c2c.my_pairs"))


@bp.route("/used/<int:listing_id>/buy", methods=["GET", "POST"])
@login_required
def buy(listing_id: int):
    listing = catalog.visible_listing(listing_id, current_user)
    if listing.kind != "c2c":
        abort(404)
    c2c.require_person(current_user, c2c.BUYERS_ARE_PEOPLE)
    form = BuyForm()
    offer = None
    offer_id = typed_id(request.args.get("offer") or form.offer_id.data)
    if offer_id is not None:
        offer = offers.accepted_for(listing.id, current_user.id)
        if offer is None or offer.id != offer_id:
            abort(404)
        form.offer_id.data = str(offer.id)
    if form.validate_on_submit():
        address = {
            key: getattr(form, key).data
            for key in ("name", "line1", "line2", "city", "postal_code", "country")
        }
        try:
            order = escrow.buy(
                listing.id,
                current_user,
                shipping_address=address,
                card_number=form.card_number.data,
                offer_id=offer_id,
            )
        except PaymentDeclined as error:
            form.card_number.errors = [error.message + " Try another card."]
        except ValidationFailed as error:
            apply_errors(form, {key.split(".")[-1]: value for key, value in error.fields.items()})
        except NotFound:
            raise
        except DomainError as error:
            flash_error(error)
            return redirect(url_for("b2c.listing_page", listing_id=listing.id))
        else:
            flash(
                "Paid. The money waits in escrow until you confirm the pair arrived as described.",
                "success",
            )
            return redirect(url_for("b2c.order_page", order_id=order.id))
    elif not form.is_submitted():
        form.name.data = current_user.name
    return render_template("c2c/buy.html", listing=listing, form=form, offer=offer)


@bp.route("/used/<int:listing_id>/offer", methods=["POST"])
@login_required
def make_offer(listing_id: int):
    form = OfferForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(url_for("b2c.listing_page", listing_id=listing_id))
    try:
        offers.make_offer(listing_id, current_user, form.amount.data)
    except NotFound:
        raise
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("b2c.listing_page", listing_id=listing_id))
    flash(
        f"Offer sent. The seller has {current_app.config['OFFER_HOURS']} hours to answer.",
        "success",
    )
    return redirect(url_for("c2c.offers_page"))


@bp.route("/offers")
@login_required
def offers_page():
    return render_template(
        "c2c/offers.html",
        offers=offers.offers_of(current_user),
        offer_form=OfferForm(),
        action_form=ActionForm(),
    )


@bp.route("/offers/<int:offer_id>/<any(accept, decline, counter):action>", methods=["POST"])
@login_required
def answer_offer(offer_id: int, action: str):
    form = OfferForm() if action == "counter" else ActionForm()
    if not form.validate_on_submit():
        flash("Enter an amount to counter with." if action == "counter" else "Try again.", "error")
        return redirect(url_for("c2c.offers_page"))
    try:
        if action == "counter":
            offers.counter(offer_id, current_user, form.amount.data)
        else:
            answered = getattr(offers, action)(offer_id, current_user)
    except NotFound:
        raise
    except DomainError as error:
        flash_error(error)
    else:
        if action == "accept" and answered.buyer_id == current_user.id:
            flash(
                f"The pair is held for you: pay {money(answered.amount_cents)} within"
                f" {current_app.config['OFFER_HOURS']} hours.",
                "success",
            )
            return redirect(url_for("c2c.buy", listing_id=answered.listing_id, offer=answered.id))
        flash(
            {
                "accept": "Offer accepted: the pair is held for the buyer.",
                "decline": "Offer declined.",
                "counter": "Counter-offer sent.",
            }[action],
            "success",
        )
    return redirect(url_for("c2c.offers_page"))


@bp.route("/used/<int:listing_id>/messages", methods=["GET", "POST"])
@login_required
def messages(listing_id: int):
    listing = catalog.visible_listing(listing_id, current_user)
    if listing.kind != "c2c":
        abort(404)
    seller = listing.account_id == current_user.id
    if not seller:
        c2c.require_person(current_user, c2c.BUYERS_ARE_PEOPLE)
    form = MessageForm()
    buyer_id = typed_id(request.args.get("buyer") or form.buyer_id.data)
    if not seller and request.args.get("buyer") and buyer_id != current_user.id:
        abort(404)  # only the seller picks among buyers' conversations
    if form.validate_on_submit():
        try:
            c2c.send_message(listing.id, current_user, form.body.data, buyer_id if seller else None)
        except NotFound:
            raise
        except DomainError as error:
            flash_error(error)
        else:
            return redirect(
                url_for("c2c.messages", listing_id=listing.id, buyer=buyer_id if seller else None)
            )
    if seller:
        conversations = c2c.threads(listing.id, current_user)
        if buyer_id is not None and buyer_id not in conversations:
            abort(404)
        thread = conversations.get(buyer_id, []) if buyer_id else []
    else:
        conversations = {}
        try:
            thread = c2c.messages(listing.id, current_user)
        except NotFound:
            if listing.status != "active":
                raise
            thread = []  # a new conversation about a pair on sale
    form.buyer_id.data = str(buyer_id) if buyer_id else ""
    return render_template(
        "c2c/messages.html",
        listing=listing,
        thread=thread,
        conversations=conversations,
        names=c2c.buyer_names(conversations),
        seller=seller,
        buyer_id=buyer_id,
        form=form,
    )


@bp.route("/people/<int:account_id>")
def profile(account_id: int):
    return render_template("c2c/profile.html", profile=c2c.profile(account_id))


@bp.route("/orders/<int:order_id>/dispute", methods=["POST"])
@login_required
def dispute(order_id: int):
    form = DisputeForm()
    return send_order_form(
        order_id,
        lambda: escrow.open_dispute(order_id, current_user, form.reason.data or ""),
        "Dispute opened: the money stays in escrow until our team decides.",
        category="info",
        dispute_form=form,
    )


@bp.route("/orders/<int:order_id>/rate", methods=["POST"])
@login_required
def rate(order_id: int):
    form = RatingForm()
    return send_order_form(
        order_id,
        lambda: c2c.rate(
            order_id, current_user, whole_number(form.stars.data), form.comment.data or ""
        ),
        "Thanks! Your rating shows once the other side has rated too, or after"
        f" {current_app.config['RATING_REVEAL_DAYS']} days.",
        rating_form=form,
    )


@bp.route("/sell/orders")
@require_capability("person")
def my_sales():
    page = page_arg()
    return render_template(
        "c2c/sales.html",
        page=orders.list_orders(current_user, "seller", page=page),
        seller_share=escrow.seller_share_cents,
    )


@bp.route("/used-orders/<int:order_id>/ship", methods=["POST"])
@login_required
def ship(order_id: int):
    form = ShipForm()
    return send_order_form(
        order_id,
        lambda: orders.ship(
            order_id, current_user, form.carrier.data or "", form.tracking_number.data or ""
        ),
        "Shipped; the buyer has the tracking number.",
        ship_form=form,
    )


@bp.route("/used-orders/<int:order_id>/deliver", methods=["POST"])
@login_required
def deliver(order_id: int):
    if ActionForm().validate_on_submit():
        try:
            orders.deliver(order_id, current_user)
        except NotFound:
            raise
        except DomainError as error:
            flash_error(error)
        else:
            flash(
                "Marked as delivered. The buyer has"
                f" {current_app.config['C2C_AUTO_CONFIRM_DAYS']} days to confirm or dispute.",
                "success",
            )
    return redirect(url_for("b2c.order_page", order_id=order_id))
