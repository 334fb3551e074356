"""Managers: applying (with or without a referral), approval, and the referral network.

Joining costs nothing. A person applies with a shop name, optionally through another
manager's referral code, who becomes their upline. An admin approves, which gives the
shop its slug and the manager a referral code of their own. Nobody is their own upline,
directly or through a cycle.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace import clock, mail
from marketplace.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from models import Account, Manager

MAX_DEPTH_HARD = 3


def by_code(code: str | None) -> Manager | None:
    """The approved manager owning a referral code."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return db.session.scalar(
        select(Manager).where(Manager.referral_code == code, Manager.status == "approved")
    )


def remember_referral(account: Account, code: str | None) -> None:
    """Note who referred a newly registered person (ignored when the code is unknown); the
    caller commits."""
    manager = by_code(code)
    if manager is not None and manager.account_id != account.id:
        account.referred_by_id = manager.id


def chain(manager: Manager, depth: int = MAX_DEPTH_HARD) -> list[Manager]:
    """The manager's uplines, nearest first, at most `depth` of them."""
    found, seen = [], {manager.id}
    current = manager.upline
    while current is not None and len(found) < depth and current.id not in seen:
        found.append(current)
        seen.add(current.id)
        current = current.upline
    return found


def set_upline(manager: Manager, upline: Manager | None) -> None:
    """Place `manager` below `upline` (in the caller's transaction).

    :raise ValidationFailed: the upline is the manager, or below the manager (a cycle).
    """
    if upline is not None:
        current, steps = upline, 0
        while current is not None and steps < 10_000:
            if current.id == manager.id:
                raise ValidationFailed(
                    "A manager cannot be their own upline, directly or through their network.",
                    fields={"referral_code": ["This referral would make a circle in the network."]},
                    code="referral_cycle",
                )
            current, steps = current.upline, steps + 1
    manager.upline = upline


def apply(account: Account, shop_name: str, referral_code: str | None = None) -> Manager:
    """Apply to become a manager (free); commits.

    :raise Forbidden: a business account. :raise ValidationFailed: shop name, or a referral
        code that is unknown or would make a cycle. :raise Conflict: already applied.
    """
    if not account.is_person:
        raise Forbidden("Managers are people; business accounts sell through the seller console.")
    shop_name = (shop_name or "").strip()
    if not 3 <= len(shop_name) <= 60:
        raise ValidationFailed(fields={"shop_name": ["Name your shop in 3 to 60 characters."]})
    if account.manager is not None:
        raise Conflict(
            f"You have already applied (status: {account.manager.status}).", code="already_applied"
        )
    upline = None
    if referral_code:
        upline = by_code(referral_code)
        if upline is None:
            raise ValidationFailed(fields={"referral_code": ["No manager has this referral code."]})
    elif account.referred_by_id is not None:
        upline = db.session.get(Manager, account.referred_by_id)
    if upline is not None and upline.account_id == account.id:
        raise ValidationFailed(
            fields={"referral_code": ["That is your own code."]}, code="referral_cycle"
        )
    manager = Manager(account_id=account.id, shop_name=shop_name, status="pending", upline=upline)
    db.session.add(manager)
    try:  # a second application of the account racing this one fails here, once
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("You have already applied.", code="already_applied") from None
    return manager


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60] or "shop"


# The PostgreSQL advisory lock that approvals and moves take: changes of the network are
# checked again under it against what others committed (SQLite's one writer does the same).
NETWORK_LOCK_KEY = 5_150_001


def _one_network_change_at_a_time() -> None:
    """Write what is pending and wait for other network changes to commit; until this
    transaction ends, others wait here."""
    db.session.flush()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(NETWORK_LOCK_KEY)))


def _in_a_cycle(manager_id: int) -> bool:
    """Whether the committed-or-flushed upline chain above a manager comes back to them."""
    current, steps = manager_id, 0
    while steps < 10_000:
        current = db.session.scalar(select(Manager.upline_id).where(Manager.id == current))
        if current is None:
            return False
        if current == manager_id:
            return True
        steps += 1
    return True


def _slug_taken(slug: str) -> bool:
    return bool(db.session.scalar(select(func.count(Manager.id)).where(Manager.shop_slug == slug)))


def _unique_slug(base: str) -> str:
    slug, number = base, 1
    while db.session.scalar(select(func.count(Manager.id)).where(Manager.shop_slug == slug)):
        number += 1
        slug = f"{base}-{number}"
    return slug


def _new_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(8))
        if not db.session.scalar(
            select(func.count(Manager.id)).where(Manager.referral_code == code)
        ):
            return code


def manager_for(account_id: int) -> Manager:
    manager = db.session.scalar(select(Manager).where(Manager.account_id == account_id))
    if manager is None:
        raise NotFound("No manager application for that account.")
    return manager


def approve(account_id: int) -> Manager:
    """Approve a manager: shop slug and referral code are theirs from now on; commits.

    Approving an approved manager changes nothing. :raise NotFound: no application.
    """
    manager = manager_for(account_id)
    if manager.status != "approved":
        manager.status = "approved"
        manager.approved_at = clock.now()
        if manager.shop_slug is None:
            base = slugify(manager.shop_name)
            slug = _unique_slug(base)
            _one_network_change_at_a_time()
            if _slug_taken(slug):  # another approval took it meanwhile
                slug = _unique_slug(base)
            manager.shop_slug = slug
        manager.referral_code = manager.referral_code or _new_code()
        db.session.commit()
        mail.send(
            manager.account.email,
            "Your shop is open",
            f"Welcome! Share your shop at /s/{manager.shop_slug}.",
        )
    return manager


def reject(account_id: int) -> Manager:
    manager = manager_for(account_id)
    manager.status = "rejected"
    db.session.commit()
    return manager


def move(account_id: int, referral_code: str | None) -> Manager:
    """An admin places a manager below the owner of `referral_code` (or at the top); commits.

    :raise ValidationFailed: unknown code, or a cycle.
    """
    manager = manager_for(account_id)
    upline = by_code(referral_code) if referral_code else None
    if referral_code and upline is None:
        raise ValidationFailed(fields={"referral_code": ["No manager has this referral code."]})
    set_upline(manager, upline)
    _one_network_change_at_a_time()
    if _in_a_cycle(manager.id):  # another move made one meanwhile
        db.session.rollback()
        raise ValidationFailed(
            "A manager cannot be their own upline, directly or through their network.",
            fields={"referral_code": ["This referral would make a circle in the network."]},
            code="referral_cycle",
        )
    db.session.commit()
    return manager


def applications(status: str = "pending") -> list[Manager]:
    return list(
        db.session.scalars(
            select(Manager).where(Manager.status == status).order_by(Manager.created_at)
        )
    )


def approved_manager(account: Account) -> Manager:
    """:raise Forbidden: the account is not an approved manager."""
    manager = account.manager
    if manager is None or not manager.is_approved:
        raise Forbidden("This is for approved managers.")
    return manager


def downline(manager: Manager, depth: int = MAX_DEPTH_HARD) -> list[tuple[int, Manager]]:
    """(level, manager) for everyone below `manager`, level 1 first, down to `depth`."""
    found, frontier = [], [manager.id]
    for level in range(1, depth + 1):
        if not frontier:
            break
        below = list(
            db.session.scalars(
                select(Manager).where(Manager.upline_id.in_(frontier)).order_by(Manager.id)
            )
        )
        found += [(level, m) for m in below]
        frontier = [m.id for m in below]
    return found
