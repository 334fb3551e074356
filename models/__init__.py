"""Flask-SQLAlchemy models, one module per aggregate; importing this registers every table."""

from models.accounts import Account, ApiToken, Company, LoginFailure
from models.b2b import Invoice, Prepack, PrepackSize, Quote, Tier, WholesaleCartLine
from models.b2m import Commission, Manager, Payout, ShopItem
from models.c2c import Dispute, Message, Offer, Provenance, Rating
from models.jobs import Job
from models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction
from models.listings import Listing, Photo, StagedPhoto, Variant
from models.orders import (
    Cart,
    CartItem,
    Checkout,
    IdempotencyKey,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    ProviderEvent,
    Review,
)

__all__ = [
    "Account",
    "ApiToken",
    "Cart",
    "CartItem",
    "Checkout",
    "Commission",
    "Company",
    "Dispute",
    "IdempotencyKey",
    "Invoice",
    "Job",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Listing",
    "LoginFailure",
    "Manager",
    "Message",
    "Offer",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Payment",
    "Payout",
    "Photo",
    "StagedPhoto",
    "Prepack",
    "Provenance",
    "PrepackSize",
    "ProviderEvent",
    "Quote",
    "Rating",
    "Review",
    "ShopItem",
    "Tier",
    "Variant",
    "WholesaleCartLine",
]
