"""Seller console pages: thin wrappers around the listing, import and job services."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.common import apply_errors, require_capability
from blueprints.seller import bp
from blueprints.seller.forms import ActionForm, ImportForm, ListingForm, PhotoForm
from marketplace import whole_number
from marketplace.exceptions import ValidationFailed
from marketplace.schemas.jobs import JobOut
from marketplace.services import imports, jobs, listings


def _company():
    return listings.seller_company(current_user)


def listing_data(form: ListingForm) -> tuple[dict, dict[str, list[int]]]:
    """The service's listing dict from the form, and which form row each size and each
    prepack came from ({"variants": [...], "prepacks": [...]})."""
    rows, origin = [], []
    for index, entry in enumerate(form.variants.entries):
        row_form = entry.form
        if row_form.is_blank():
            continue
        row = {
            "size_eu": row_form.size_eu.data,
            "sku": (row_form.sku.data or "").strip(),
            "stock": row_form.stock.data or 0,
            "price_cents": row_form.price.data,
        }
        if (row_id := whole_number(row_form.id.data)) is not None:
            row["id"] = row_id
        rows.append(row)
        origin.append(index)
    terms, prepack_rows = wholesale_terms(form)
    data = {
        "b2b": terms,
        "b2m": {
            "enabled": form.b2m_enabled.data,
            "base_price_cents": form.b2m_base.data,
            "min_retail_cents": form.b2m_min.data,
            "max_retail_cents": form.b2m_max.data,
            "suggested_retail_cents": form.b2m_suggested.data,
        },
        "title": form.title.data,
        "brand": form.brand.data,
        "model": form.model.data,
        "colorway": form.colorway.data or "",
        "category": form.category.data,
        "gender": form.gender.data,
        "description": form.description.data or "",
        "b2c": {"enabled": form.b2c_enabled.data},
        "variants": rows,
    }
    return data, {"variants": origin, "prepacks": prepack_rows}


def parse_size_run(text: str) -> dict[str, int]:
    """'40:1, 41:2 42x2' -> {"40": 1, "41": 2, "42": 2}. :raise ValueError: unreadable."""
    run = {}
    for part in text.replace(",", " ").split():
        size, sep, count = part.replace("x", ":").replace("×", ":").partition(":")
        pairs = whole_number(count)
        if not sep or pairs is None:
            raise ValueError(f"Write sizes as size:pairs, e.g. 40:1, 41:2 (not {part[:20]!r}).")
        run[size] = pairs
    return run


def wholesale_terms(form: ListingForm) -> tuple[dict, list[int]]:
    """The listing's wholesale terms from the form's wholesale section, and which form row
    each prepack came from."""
    tiers = []
    for row in form.tiers.entries:
        min_qty, price = row.form.min_qty.data, row.form.price.data
        if min_qty and price is not None:
            tiers.append({"min_qty": min_qty, "unit_price_cents": price})
        # A half-filled tier row is a mistake to show, not a tier to drop without a word.
        elif min_qty:
            row.form.price.errors = ["Give the unit price from this many pairs."]
            form.wholesale_errors.append(f"The tier from {min_qty} pairs has no unit price.")
        elif price is not None:
            row.form.min_qty.errors = ["Give the pairs this price starts from."]
            form.wholesale_errors.append("A tier has a unit price but no number of pairs.")
    prepacks, prepack_rows = [], []
    for index, row in enumerate(form.prepacks.entries):
        if not (row.form.name.data or row.form.sizes.data):
            continue
        try:
            run = parse_size_run(row.form.sizes.data or "")
        except ValueError as exc:
            row.form.sizes.errors = [str(exc)]
            form.wholesale_errors.append(prepack_needs_fixing(row.form.name.data))
            continue
        prepacks.append({"name": row.form.name.data or "", "sizes": run})
        prepack_rows.append(index)
    terms = {
        "enabled": form.b2b_enabled.data,
        "moq": form.moq.data or 1,
        "order_multiple": form.order_multiple.data or 1,
        "tiers": tiers,
        "prepacks": prepacks,
    }
    return terms, prepack_rows


def prepack_needs_fixing(name: str | None) -> str:
    """The wholesale section's pointer to a prepack row whose own message is beside it."""
    name = (name or "").strip()
    which = f"The prepack “{name}”" if name else "A prepack"
    return f"{which} needs fixing: see its row."


def show_errors(form: ListingForm, error: ValidationFailed, origin: dict[str, list[int]]) -> None:
    """Put the service's `variants.<i>` and `b2b.prepacks.<i>` errors on the form row they
    came from, and the other wholesale terms' errors in the wholesale section."""
    renumbered = {}
    for name, messages in error.fields.items():
        parts = name.split(".")
        # A prepack's problem goes beside the row it was typed in (blank rows were skipped).
        if parts[:2] == ["b2b", "prepacks"] and len(parts) == 4 and parts[2].isdigit():
            row = form.prepacks.entries[origin["prepacks"][int(parts[2])]].form
            row[parts[3]].errors = [*row[parts[3]].errors, *messages]
            pointer = prepack_needs_fixing(row.name.data)
            if pointer not in form.wholesale_errors:
                form.wholesale_errors.append(pointer)
            continue
        if name.startswith("b2b"):
            form.wholesale_errors.extend(messages)
            continue
        if name.startswith("b2m."):
            alias = {"base_price_cents": "b2m_base", "min_retail_cents": "b2m_min"}
            alias |= {"max_retail_cents": "b2m_max", "suggested_retail_cents": "b2m_suggested"}
            renumbered[alias[name.split(".", 1)[1]]] = messages
            continue
        if parts[0] == "variants" and len(parts) > 1 and parts[1].isdigit():
            parts[1] = str(origin["variants"][int(parts[1])])
            if parts[-1] == "price_cents":
                parts[-1] = "price"
        renumbered[".".join(parts)] = messages
    apply_errors(form, renumbered)
    if error.message and not error.fields:
        flash(error.message, "error")


def _uploads(field) -> list[bytes]:
    return [upload.read() for upload in (field.data or []) if upload and upload.filename]


@bp.route("/")
@require_capability("seller")
def index():
    company = _company()
    return render_template(
        "seller/index.html",
        company=company,
        listings=listings.company_listings(company.id),
        action_form=ActionForm(),
    )


@bp.route("/listings/new", methods=["GET", "POST"])
@require_capability("seller")
def new_listing():
    form = ListingForm()
    form.wholesale_errors = []
    if form.validate_on_submit():
        data, origin = listing_data(form)
        try:
            if form.wholesale_errors:
                raise ValidationFailed()
            listing = listings.create_listing(_company(), data)
            if photos := _uploads(form.photos):
                listings.add_photos(listing, photos)
        except ValidationFailed as error:
            if "photos" in error.fields:
                flash("The listing was saved, but: " + " ".join(error.fields["photos"]), "error")
                return redirect(url_for("seller.edit_listing", listing_id=listing.id))
            show_errors(form, error, origin)
        else:
            flash(f"“{listing.title}” is listed.", "success")
            return redirect(url_for("seller.edit_listing", listing_id=listing.id))
    return render_template("seller/listing_form.html", form=form, listing=None)


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@require_capability("seller")
def edit_listing(listing_id: int):
    company = _company()
    listing = listings.owned_listing(listing_id, company.id)
    if request.method == "GET":
        form = ListingForm(
            obj=listing,
            b2c_enabled=listing.b2c_enabled,
            b2b_enabled=listing.b2b_enabled,
            moq=listing.b2b_moq,
            order_multiple=listing.b2b_order_multiple,
            b2m_enabled=listing.b2m_enabled,
            b2m_base=listing.b2m_base_price_cents,
            b2m_min=listing.b2m_min_retail_cents,
            b2m_suggested=listing.b2m_suggested_retail_cents,
            b2m_max=listing.b2m_max_retail_cents,
        )
        for field_list in (form.variants, form.tiers, form.prepacks):
            while field_list.entries:
                field_list.pop_entry()
        for tier in listing.tiers:
            form.tiers.append_entry({"min_qty": tier.min_qty, "price": tier.unit_price_cents})
        for prepack in (p for p in listing.prepacks if p.active):
            run = ", ".join(f"{s.variant.size_eu}:{s.quantity}" for s in prepack.sizes)
            form.prepacks.append_entry({"name": prepack.name, "sizes": run})
        for field_list, spare in ((form.tiers, 2), (form.prepacks, 1)):
            for _ in range(spare):
                field_list.append_entry()
        for variant in listing.variants:
            form.variants.append_entry(
                {
                    "id": str(variant.id),
                    "size_eu": variant.size_eu,
                    "sku": variant.sku,
                    "stock": variant.stock,
                    "price": variant.price_cents,
                }
            )
        for _ in range(3):
            form.variants.append_entry()
    else:
        form = ListingForm()
    form.wholesale_errors = []
    if form.validate_on_submit():
        data, origin = listing_data(form)
        try:
            if form.wholesale_errors:
                raise ValidationFailed()
            listings.update_listing(listing.id, company, data)
        except ValidationFailed as error:
            show_errors(form, error, origin)
        else:
            flash("Changes saved.", "success")
            return redirect(url_for("seller.edit_listing", listing_id=listing.id))
    return render_template(
        "seller/listing_form.html",
        form=form,
        listing=listing,
        photo_form=PhotoForm(),
        action_form=ActionForm(),
    )


@bp.route("/listings/<int:listing_id>/photos", methods=["POST"])
@require_capability("seller")
def add_photos(listing_id: int):
    listing = listings.owned_listing(listing_id, _company().id)
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            added = listings.add_photos(listing, _uploads(form.photos))
        except ValidationFailed as error:
            for messages in error.fields.values():
                for message in messages:
                    flash(message, "error")
        else:
            flash(f"{len(added)} photo(s) added.", "success")
    else:
        for message in form.photos.errors:
            flash(message, "error")
    return redirect(url_for("seller.edit_listing", listing_id=listing.id))


@bp.route("/listings/<int:listing_id>/photos/<int:photo_id>/delete", methods=["POST"])
@require_capability("seller")
def delete_photo(listing_id: int, photo_id: int):
    listing = listings.owned_listing(listing_id, _company().id)
    if ActionForm().validate_on_submit():
        listings.remove_photo(listing, photo_id)
        flash("Photo removed.", "info")
    return redirect(url_for("seller.edit_listing", listing_id=listing.id))


@bp.route("/listings/<int:listing_id>/<any(archive, restore):action>", methods=["POST"])
@require_capability("seller")
def change_status(listing_id: int, action: str):
    if ActionForm().validate_on_submit():
        status = "archived" if action == "archive" else "active"
        listing = listings.set_status(listing_id, _company(), status)
        flash(
            f"“{listing.title}” is {'archived' if status == 'archived' else 'back on sale'}.",
            "info",
        )
    return redirect(url_for("seller.index"))


@bp.route("/import", methods=["GET", "POST"])
@require_capability("seller")
def import_catalog():
    company = _company()
    form = ImportForm()
    if form.validate_on_submit():
        try:
            job = imports.start_import(current_user, company, form.file.data.read())
        except ValidationFailed as error:
            form.file.errors = [*form.file.errors, *error.fields.get("file", [error.message])]
        else:
            return redirect(url_for("seller.job_page", job_id=job.id))
    return render_template(
        "seller/import.html",
        form=form,
        columns=imports.REQUIRED,
        recent=jobs.recent_jobs(company.id, imports.KIND),
    )


@bp.route("/jobs/<int:job_id>")
@require_capability("seller")
def job_page(job_id: int):
    return render_template("seller/job.html", job=jobs.job_for(job_id, current_user))


@bp.route("/jobs/<int:job_id>.json")
@require_capability("seller")
def job_status(job_id: int):
    return jsonify(JobOut().dump(jobs.job_for(job_id, current_user)))
