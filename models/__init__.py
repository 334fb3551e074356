"""Flask-SQLAlchemy models, one module per aggregate; importing this registers every table."""

from models.accounts import Account, ApiToken, Company
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
    "ProviderEvent",
    "Review",
    "Variant",
]
