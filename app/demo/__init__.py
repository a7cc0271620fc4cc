"""Demo data for `fengshou demo` and `fengshou seed-demo`: sign-in accounts and a catalog."""

from app.demo.accounts import DEMO_LOGINS, DemoLogin, seed_demo_accounts
from app.demo.catalog import SUPPLIER_LOGIN, DemoCatalogReport, seed_demo_catalog
from app.demo.plan import DEFAULT_PRODUCTS, DemoSeedError

__all__ = [
    "DEFAULT_PRODUCTS",
    "DEMO_LOGINS",
    "SUPPLIER_LOGIN",
    "DemoCatalogReport",
    "DemoLogin",
    "DemoSeedError",
    "seed_demo_accounts",
    "seed_demo_catalog",
]
