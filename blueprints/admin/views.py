"""Admin pages."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.admin import bp
from blueprints.admin.forms import ActionForm, VerifyCompanyForm
from blueprints.common import error_messages, page_arg, require_capability
from marketplace.exceptions import DomainError, Forbidden, NotFound
from marketplace.services import accounts, c2c, escrow, ledger, managers, payouts

STATUSES = ("pending", "verified", "rejected")


@bp.route("/")
@require_capability("admin")
def index():
    return redirect(url_for("admin.companies"))


@bp.route("/companies")
@require_capability("admin")
def companies():
    status = request.args.get("status", "pending")
    if status not in STATUSES:
        status = "pending"
    return render_template(
        "admin/companies.html",
        companies=accounts.companies(status),
        status=status,
        statuses=STATUSES,
        verify_form=VerifyCompanyForm(),
        action_form=ActionForm(),
    )


@bp.route("/companies/<int:company_id>/verify", methods=["POST"])
@require_capability("admin")
def verify_company(company_id: int):
    form = VerifyCompanyForm()
    if form.validate_on_submit():
        company = accounts.verify_company(company_id, form.credit_limit.data)
        flash(f"{company.name} is verified.", "success")
    else:
        for message in form.credit_limit.errors:
            flash(f"Credit limit: {message}", "error")
    return redirect(url_for("admin.companies"))


@bp.route("/companies/<int:company_id>/reject", methods=["POST"])
@require_capability("admin")
def reject_company(company_id: int):
    if ActionForm().validate_on_submit():
        company = accounts.reject_company(company_id)
        flash(f"{company.name} was refused verification.", "info")
    return redirect(url_for("admin.companies"))


@bp.route("/ledger")
@require_capability("admin")
def ledger_page():
    return render_template(
        "admin/ledger.html", trial=ledger.trial_balance(), accounts=ledger.account_balances()
    )


@bp.route("/disputes")
@require_capability("admin")
def disputes_page():
    return render_template("admin/disputes.html", disputes=escrow.open_disputes())


@bp.route("/disputes/<int:dispute_id>", methods=["GET", "POST"])
@require_capability("admin")
def dispute_page(dispute_id: int):
    dispute = escrow.visible_dispute(dispute_id, current_user)
    if request.method == "POST" and ActionForm().validate_on_submit():
        outcome = request.form.get("outcome", "")
        try:
            escrow.resolve(
                dispute.id, current_user, outcome, relist=bool(request.form.get("relist"))
            )
        except NotFound:
            raise
        except DomainError as error:
            flash(" ".join(error_messages(error)), "error")
        else:
            flash(f"Dispute #{dispute.id} resolved: {outcome}.", "success")
            return redirect(url_for("admin.disputes_page"))
    order = dispute.order
    conversation = c2c.messages(
        order.lines[0].listing_id, order.seller_account, buyer_id=order.buyer_id
    )
    return render_template(
        "admin/dispute.html",
        dispute=dispute,
        order=order,
        conversation=conversation,
        to_seller_cents=escrow.seller_share_cents(order),
        action_form=ActionForm(),
    )


@bp.route("/managers")
@require_capability("admin")
def managers_page():
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "rejected"):
        status = "pending"
    return render_template(
        "admin/managers.html",
        managers=managers.applications(status),
        status=status,
        action_form=ActionForm(),
    )


@bp.route("/managers/<int:account_id>/<any(approve, reject):decision>", methods=["POST"])
@require_capability("admin")
def decide_manager(account_id: int, decision: str):
    if ActionForm().validate_on_submit():
        manager = getattr(managers, decision)(account_id)
        flash(f"{manager.shop_name}: {manager.status}.", "success")
    return redirect(url_for("admin.managers_page"))


@bp.route("/payouts")
@require_capability("admin")
def payouts_page():
    return render_template(
        "admin/payouts.html", payouts=payouts.waiting(), action_form=ActionForm()
    )


@bp.route("/payouts/<int:payout_id>/<any(approve, reject):decision>", methods=["POST"])
@require_capability("admin")
def decide_payout(payout_id: int, decision: str):
    if ActionForm().validate_on_submit():
        try:
            getattr(payouts, decision)(payout_id, current_user)
        except NotFound:
            raise
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"Payout #{payout_id} {decision}d.", "success")
    return redirect(url_for("admin.payouts_page"))


@bp.route("/accounts")
@require_capability("admin")
def accounts_page():
    q = request.args.get("q", "")[:100]
    page = page_arg()
    return render_template(
        "admin/accounts.html",
        found=accounts.search_accounts(q, page),
        q=q,
        action_form=ActionForm(),
    )


@bp.route("/accounts/<int:account_id>/<any(disable, enable):decision>", methods=["POST"])
@require_capability("admin")
def decide_account(account_id: int, decision: str):
    if ActionForm().validate_on_submit():
        try:
            account = accounts.set_active(account_id, decision == "enable", current_user)
        except Forbidden as error:
            flash(error.message, "error")
        else:
            if account.active:
                flash(f"{account.email} can sign in again.", "success")
            else:
                flash(f"{account.email} is disabled and signed out everywhere.", "success")
    return redirect(url_for("admin.accounts_page", q=request.args.get("q", "")))
