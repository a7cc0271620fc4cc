"""Settings read from the environment (prefix FENGSHOU_); the only reader of the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRET = "dev-insecure-change-me"  # noqa: S105  (refused outside development)


class Settings(BaseSettings):
    """Every setting of the application, with defaults for the embedded set-up."""

    model_config = SettingsConfigDict(env_prefix="FENGSHOU_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'fengshou.sqlite3'}"
    database_echo: bool = False
    secret_key: str = PLACEHOLDER_SECRET
    public_base_url: str = "http://127.0.0.1:8000"
    var_dir: Path = PROJECT_ROOT / "var"

    meili_url: str | None = None
    meili_api_key: str | None = None

    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None

    # Stripe.js is loaded from here by the pay page; tests point it at the local fake's copy.
    stripe_js_url: str = "https://js.stripe.com/v3/"
    stripe_publishable_key: str | None = None
    # The pay page's form: Stripe's Payment Element (cards and enabled wallets), or the older
    # Card Element for a Stripe.js without the Payment Element (the local fake the tests use).
    stripe_pay_element: Literal["payment", "card"] = "payment"
    # Wallets the Stripe account has enabled, offered beside cards: "alipay", "wechat_pay".
    stripe_wallets: list[Literal["alipay", "wechat_pay"]] = []

    # The platform's account that bank transfers (对公转账) are paid into.
    bank_account_name: str = "丰收消费帮扶平台运营有限公司"
    bank_name: str = "中国农业银行北京分行营业部"
    bank_account_number: str = "11-0000 0000 0000 0000"

    order_payment_timeout_minutes: int = Field(default=30, gt=0)
    bank_transfer_timeout_hours: int = Field(default=120, gt=0)
    order_auto_complete_days: int = Field(default=14, gt=0)

    # Supplier webhooks may go to loopback/private/reserved addresses (tests, closed networks);
    # off, the platform cannot be made to post into its own network.
    supplier_webhook_allow_private: bool = False

    # Suppliers must be registered in a poverty-lifted county (the 832 platform's rule).
    supplier_requires_poverty_county: bool = True

    redis_url: str | None = None

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Fengshou <noreply@fengshou.local>"

    # Large enough for a photo upload (checked again, per image, by the catalog).
    max_body_bytes: int = Field(default=12 * 1024 * 1024, gt=0)
    # Wrong passwords allowed per account (any client) and per client address (any account)
    # in a window; then a delay that doubles up to the maximum. A sign-in that succeeds is
    # never counted, so many people behind one address (an office's NAT) all get in.
    login_attempts_per_window: int = Field(default=10, gt=0)
    login_address_failures_per_window: int = Field(default=100, gt=0)
    login_window_seconds: int = Field(default=900, gt=0)
    login_max_delay_seconds: int = Field(default=3600, gt=0)
    # Sign-ups per client address (each costs an argon2 hash).
    registrations_per_window: int = Field(default=30, gt=0)
    registration_window_seconds: int = Field(default=600, gt=0)
    access_token_ttl_seconds: int = Field(default=7 * 24 * 3600, gt=0)
    # A browser session ends this long after sign-in, or at sign-out (it is kept server-side).
    session_ttl_seconds: int = Field(default=14 * 24 * 3600, gt=0)
    session_cookie_secure: bool = False

    # The font PDFs (purchase certificates, statements) are drawn with: a TrueType file that
    # covers Chinese (.ttf, or face 0 of a .ttc). Unset: the first such font installed.
    pdf_font: Path | None = None

    worker_in_process: bool | None = None  # None: on for SQLite, off for PostgreSQL
    # Web processes `fengshou serve` starts (uvicorn's workers). SQLite takes one.
    web_workers: int = Field(default=1, ge=1, le=64)
    # A line per request from uvicorn. Behind a proxy that logs the requests, turn it off:
    # it cost about 5 % of a web process's CPU in a festival spike.
    access_log: bool = True
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    # How long a worker's claim on a job lasts unless renewed (renewed while the job runs).
    job_lease_seconds: float = Field(default=30.0, ge=1)
    # The niceness a `fengshou worker` process gives itself (0 keeps the system's): jobs run
    # behind the web processes when both want the CPU, as in a festival rush (ADR 0003: at 10
    # the workers still took 0.24-0.33 of two cores while orders were placed).
    worker_nice: int = Field(default=19, ge=0, le=19)

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                "FENGSHOU_SECRET_KEY must be set to a random value outside development"
            )
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("FENGSHOU_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runs_worker_in_process(self) -> bool:
        if self.worker_in_process is None:
            return self.is_sqlite
        return self.worker_in_process

    @property
    def media_dir(self) -> Path:
        return self.var_dir / "media"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
