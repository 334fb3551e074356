"""Flask-SQLAlchemy models, one module per aggregate; importing this registers every table."""

from models.accounts import Account, ApiToken, Company
from models.b2b import Invoice, Prepack, PrepackSize, Quote, Tier, WholesaleCartLine
from models.jobs import Job
from models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction
from models.listings import Listing, Photo, Variant
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
    "Company",
    "IdempotencyKey",
    "Invoice",
    "Job",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Listing",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Payment",
    "Photo",
    "Prepack",
    "PrepackSize",
    "ProviderEvent",
    "Quote",
    "Review",
    "Tier",
    "Variant",
    "WholesaleCartLine",
]
