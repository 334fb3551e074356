"""Admin routes: company verification (more admin routes join as the modes arrive)."""

from blueprints.api.core import endpoint, page
from marketplace.schemas.accounts import CompanyOut, CompanyPage, CompanyQuery, VerifyCompanyIn
from marketplace.services import accounts


@endpoint(
    "/admin/companies",
    summary="Companies by status (pending by default)",
    tag="admin",
    auth="admin",
    query=CompanyQuery,
    response=CompanyPage,
    errors=(401, 403, 422),
)
def list_companies(args):
    found = accounts.companies(args["status"])
    start = (args["page"] - 1) * args["per_page"]
    items = CompanyOut().dump(found[start : start + args["per_page"]], many=True)
    return page(items, len(found), args)


@endpoint(
    "/admin/companies/<int:company_id>/verify",
    "POST",
    summary="Verify a company, optionally setting its credit limit",
    tag="admin",
    auth="admin",
    body=VerifyCompanyIn,
    response=CompanyOut,
    errors=(400, 401, 403, 404, 422),
)
def verify_company(company_id, data):
    company = accounts.verify_company(company_id, data.get("credit_limit_cents"))
    return CompanyOut().dump(company)
