"""Flask-SQLAlchemy models, one module per aggregate; importing this registers every table."""

from models.accounts import Account, ApiToken, Company
from models.jobs import Job
from models.listings import Listing, Photo, Variant

__all__ = ["Account", "ApiToken", "Company", "Job", "Listing", "Photo", "Variant"]
