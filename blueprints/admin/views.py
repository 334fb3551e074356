"""Admin pages."""

from flask import flash, redirect, render_template, request, url_for

from blueprints.admin import bp
from blueprints.admin.forms import ActionForm, VerifyCompanyForm
from blueprints.common import require_capability
from marketplace.services import accounts, ledger

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
