"""Home, catalog and listing pages."""

from functools import wraps

from flask import current_app, render_template, request, session
from flask_login import current_user
from marshmallow import ValidationError

from blueprints.b2c import bp
from blueprints.b2c.forms import AddToCartForm
from blueprints.b2c.shopping import SESSION_CART
from marketplace import pagecache, sizes
from marketplace.money import parse_money
from marketplace.schemas.listings import CatalogArgs
from marketplace.services import c2c, catalog, reviews

CATALOG_SIZES = [f"{n / 2:g}" for n in range(70, 97)]  # EU 35 to 48, half sizes included
# what the filter form calls the arguments it sends
ARG_LABELS = {"q": "search", "size_eu": "size", "per_page": "pairs per page"}


def catalog_query(args) -> tuple[catalog.CatalogQuery, list[str]]:
    """The catalog query of a page's arguments; bad ones are dropped and explained."""
    raw = {key: value for key, value in args.items() if value.strip()}
    problems = []
    for key in ("min_price", "max_price"):
        if key in raw:
            try:
                raw[f"{key}_cents"] = parse_money(raw.pop(key))
            except ValueError as exc:
                problems.append(f"{key.replace('_', ' ').capitalize()}: {exc}")
    if raw.get("min_price_cents", 0) > raw.get("max_price_cents", float("inf")):
        problems.append("The min price is above the max price, so no pair can match.")
    raw.setdefault("per_page", str(current_app.config["PER_PAGE"]))
    try:
        return CatalogArgs().load(raw), problems
    except ValidationError as error:
        for key, messages in error.messages.items():
            raw.pop(key, None)
            label = ARG_LABELS.get(key, key.replace("_", " "))
            problems.append(f"Ignored {label}: {' '.join(map(str, messages))}")
        return CatalogArgs().load(raw), problems


def remember_size_system() -> str:
    system = request.args.get("system")
    if system in sizes.SYSTEMS:
        session["size_system"] = system
    return session.get("size_system", "eu")


def viewer():
    return current_user if current_user.is_authenticated else None


def shared_with_visitors(view):
    """Serve the page to anonymous visitors from the shared cache (marketplace.pagecache),
    unless this visitor has something of their own on it (a cart, a message to show)."""

    @wraps(view)
    def page(*args, **kwargs):
        system = remember_size_system()
        if current_user.is_authenticated or session.get(SESSION_CART) or "_flashes" in session:
            return view(*args, **kwargs)
        key = (request.endpoint, request.view_args, sorted(request.args.items(multi=True)), system)
        html = pagecache.for_visitors(
            key, lambda: pagecache.render_for_everyone(lambda: view(*args, **kwargs))
        )
        return pagecache.for_this_visitor(html)

    return page


@bp.route("/")
@shared_with_visitors
def home():
    return render_template("b2c/home.html", newest=catalog.newest(8), brands=catalog.brands()[:12])


@bp.route("/catalog")
@shared_with_visitors
def catalog_page():
    query, problems = catalog_query(request.args)
    result = catalog.search_cards(query)
    sellers = [listing.account_id for listing in result.items if listing.kind == "c2c"]
    return render_template(
        "b2c/catalog.html",
        page=result,
        seller_ratings=c2c.rating_summary(sellers),
        query=query,
        problems=problems,
        brands=catalog.brands(),
        catalog_sizes=CATALOG_SIZES,
        min_price=request.args.get("min_price", ""),
        max_price=request.args.get("max_price", ""),
    )


@bp.route("/listings/<int:listing_id>")
@shared_with_visitors
def listing_page(listing_id: int):
    system = remember_size_system()
    listing = catalog.visible_listing(listing_id, viewer())
    return render_template(
        "b2c/listing.html",
        listing=listing,
        system=system,
        size_options=catalog.size_options(listing, system),
        can_manage=catalog.can_manage(listing, viewer()),
        cart_form=AddToCartForm(),
        reviews=reviews.listing_reviews(listing.id) if listing.kind != "c2c" else None,
        seller_rating=c2c.rating_summary([listing.account_id]).get(listing.account_id)
        if listing.kind == "c2c"
        else None,
    )
