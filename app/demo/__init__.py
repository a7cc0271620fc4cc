"""Demo data for `fengshou demo` and `fengshou seed-demo`: sign-in accounts, a catalog and
buying organisations."""

from app.demo.accounts import DEMO_LOGINS, DemoLogin, seed_demo_accounts
from app.demo.catalog import SUPPLIER_LOGIN, DemoCatalogReport, seed_demo_catalog
from app.demo.organizations import DEMO_ORGANIZATIONS, seed_demo_organizations
from app.demo.plan import DEFAULT_PRODUCTS, DemoSeedError

__all__ = [
    "DEFAULT_PRODUCTS",
    "DEMO_LOGINS",
    "DEMO_ORGANIZATIONS",
    "SUPPLIER_LOGIN",
    "DemoCatalogReport",
    "DemoLogin",
    "DemoSeedError",
    "seed_demo_accounts",
    "seed_demo_catalog",
    "seed_demo_organizations",
]
