"""A local fake Stripe (localstripe) for the test suite: a pytest plugin, and its launcher.

`localstripe` is started once per test session on 127.0.0.1 and a free port, with its state in
memory only (its own command binds every interface and pickles its state to one fixed file in
/tmp, shared by every run on the machine). The suite never talks to the real Stripe.

Two gaps of localstripe 1.15.10 are closed here, in the launcher, so that the application's
code stays what it would be against Stripe:
- its Stripe.js `confirmCardPayment()` skips the confirmation and goes straight to 3-D Secure
  authentication, which fails for every card that needs none (upstream issue
  adrienverge/localstripe#253). The launcher serves its script with a corrected
  `confirmCardPayment()` that confirms with the Card Element's card, as Stripe.js does;
- it ignores the Idempotency-Key header, so a repeated create makes a second object where
  Stripe answers with the first one. The launcher replays the first answer to a key, as Stripe
  does (for 24 hours);
- it predates API version 2026-08, which takes a PaymentIntent's payment method types as
  `allowed_payment_method_types` (the stripe library's pinned version refuses the old name).
  The launcher reads the new name as the old one;
- its `POST /v1/payment_intents/{id}/confirm` refuses `payment_method` / `payment_method_data`
  ("Not implemented"), which both Stripe.js (with the client secret and the publishable key)
  and server-side tests (`payment_method="pm_card_visa"`) send. The launcher accepts them.

Run as `python -m tests.stripe_fixtures --fd N` it is the launcher itself.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.serving import wait_until_up

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STRIPE_SECRET_KEY = "sk_test_fengshou_localstripe"
STRIPE_PUBLISHABLE_KEY = "pk_test_fengshou_localstripe"
STRIPE_WEBHOOK_SECRET = "whsec_test_fengshou_localstripe"
START_TIMEOUT_SECONDS = 20.0
WEBHOOK_ID = "fengshou"
# Card payments set up as far as the site can tell, with Stripe's address on a port nothing
# listens on: for tests that place card orders without paying them (and run no Stripe job).
CARD_PAYMENTS_UNREACHABLE: dict[str, object] = {
    "stripe_secret_key": STRIPE_SECRET_KEY,
    "stripe_publishable_key": STRIPE_PUBLISHABLE_KEY,
    "stripe_webhook_secret": STRIPE_WEBHOOK_SECRET,
    "stripe_api_base": "http://127.0.0.1:9",
}


@dataclass(frozen=True)
class LocalStripe:
    """A running localstripe: its base URL and how the application should be configured."""

    url: str

    @property
    def js_url(self) -> str:
        return f"{self.url}/js.stripe.com/v3/"

    def settings_overrides(self) -> dict[str, object]:
        return {
            "stripe_secret_key": STRIPE_SECRET_KEY,
            "stripe_publishable_key": STRIPE_PUBLISHABLE_KEY,
            "stripe_webhook_secret": STRIPE_WEBHOOK_SECRET,
            "stripe_api_base": self.url,
            "stripe_js_url": self.js_url,
        }

    def reset(self) -> None:
        """Forget every object (intents, charges, refunds, events); webhooks stay registered."""
        response = httpx.delete(f"{self.url}/_config/data", timeout=10)
        response.raise_for_status()

    def register_webhook(self, url: str, secret: str = STRIPE_WEBHOOK_SECRET) -> None:
        """Have localstripe POST its events, signed with `secret`, to `url`."""
        response = httpx.post(
            f"{self.url}/_config/webhooks/{WEBHOOK_ID}",
            json={"url": url, "secret": secret},
            timeout=10,
        )
        response.raise_for_status()

    def unregister_webhook(self) -> None:
        """localstripe cannot delete a webhook: subscribe ours to no event type instead."""
        response = httpx.post(
            f"{self.url}/_config/webhooks/{WEBHOOK_ID}",
            json={"url": "http://127.0.0.1:9/", "secret": STRIPE_WEBHOOK_SECRET, "events": []},
            timeout=10,
        )
        response.raise_for_status()

    def get(self, path: str, **params: Any) -> Any:
        """A GET on localstripe's API (e.g. "/v1/payment_intents/pi_…") as JSON."""
        response = httpx.get(
            f"{self.url}{path}",
            params=params,
            headers={"Authorization": f"Bearer {STRIPE_SECRET_KEY}"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """The events localstripe generated, oldest first."""
        params: dict[str, Any] = {"limit": 100}
        if event_type is not None:
            params["type"] = event_type
        # localstripe lists objects in the order it made them (timestamps are whole seconds).
        items: list[dict[str, Any]] = self.get("/v1/events", **params)["data"]
        return items


def sign_payload(
    payload: str, secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None
) -> str:
    """A Stripe-Signature header for `payload` (what stripe.WebhookSignature computes)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def _start(log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    # The listening socket is made here and handed over, so no other process can take the
    # port between choosing it and binding it.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.stripe_fixtures", "--fd", str(listener.fileno())],
            cwd=PROJECT_ROOT,
            pass_fds=(listener.fileno(),),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    listener.close()
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    """localstripe on 127.0.0.1 for the whole session; a start failure fails loudly."""
    log_path = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    process, url = _start(log_path)
    try:
        wait_until_up(
            process,
            f"{url}/js.stripe.com/v3/",
            within_seconds=START_TIMEOUT_SECONDS,
            output=log_path,
        )
        yield LocalStripe(url)
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def localstripe(localstripe_server: LocalStripe) -> LocalStripe:
    """localstripe, emptied before the test (and not listening for anyone's webhooks)."""
    localstripe_server.unregister_webhook()
    localstripe_server.reset()
    return localstripe_server


@pytest.fixture
def stripe_settings(localstripe: LocalStripe) -> dict[str, object]:
    """Settings overrides that point the application at the empty localstripe."""
    return localstripe.settings_overrides()


# ---------------------------------------------------------------------------------------------
# The launcher (runs in the localstripe subprocess)

# Appended to localstripe's Stripe.js: a confirmCardPayment() that confirms the intent with the
# Card Element's card, then (only if the card asks for it) runs the fake 3-D Secure step.
CONFIRM_CARD_PAYMENT_JS = r"""
;(function () {
  const makeStripe = Stripe;
  const post = async (url, body) => {
    const response = await fetch(url, {method: 'POST', body: JSON.stringify(body)});
    const result = await response.json().catch(() => ({}));
    return {ok: response.status === 200 && !result.error, result};
  };
  Stripe = (apiKey) => {
    const stripe = makeStripe(apiKey);
    stripe.confirmCardPayment = async (clientSecret, data) => {
      const match = /^(pi_\w+)_secret_/.exec(clientSecret || '');
      if (!match) {
        return {error: {type: 'invalid_request_error', message: 'Invalid client secret.'}};
      }
      const base = `${LOCALSTRIPE_BASE_API}/v1/payment_intents/${match[1]}`;
      const body = {key: apiKey, client_secret: clientSecret};
      const method = (data || {}).payment_method;
      if (typeof method === 'string') {
        body.payment_method = method;
      } else if (method && method.card instanceof Element) {
        body.payment_method_data = {type: 'card', card: method.card.value.card};
      }
      let {ok, result} = await post(`${base}/confirm`, body);
      if (!ok) {
        return {error: result.error || {message: 'The payment could not be confirmed.'}};
      }
      if (result.status === 'requires_action') {
        const success = await openModal('3D Secure\nDo you want to confirm or cancel?',
                                        'Complete authentication', 'Fail authentication');
        ({ok, result} = await post(`${base}/_authenticate?success=${success}`,
                                   {key: apiKey, client_secret: clientSecret}));
        if (!ok) {
          return {error: result.error || {message: 'Authentication failed.'}};
        }
        if (result.status !== 'succeeded' && result.status !== 'processing') {
          return {error: {type: 'card_error', message: 'Authentication failed.',
                          payment_intent: result}};
        }
      }
      return {paymentIntent: result};
    };
    return stripe;
  };
})();
"""

_CONFIRM_PATH = re.compile(r"^/v1/payment_intents/(pi_\w+)/confirm$")


def _serve(fd: int) -> None:
    from aiohttp import web
    from localstripe import resources, server  # type: ignore[import-untyped]
    from localstripe.errors import UserError  # type: ignore[import-untyped]

    # State lives in this process's memory only: never read or written to /tmp.
    resources.Store.dump_to_disk = lambda self: None

    script_path = Path(resources.__file__).with_name("localstripe-v3.js")
    script = script_path.read_text() + CONFIRM_CARD_PAYMENT_JS

    async def confirm(request: web.Request, intent_id: str) -> web.StreamResponse | None:
        data = await server.get_post_data(request, remove_auth=False) or {}
        method_id = data.get("payment_method")
        method_data = data.get("payment_method_data")
        client_secret = data.get("client_secret")
        if method_id is None and method_data is None and client_secret is None:
            return None  # localstripe's own confirm handles the rest
        intent = resources.PaymentIntent._api_retrieve(intent_id)
        if client_secret is not None:  # from Stripe.js: publishable key + client secret
            key = data.get("key")
            if not (isinstance(key, str) and key.startswith("pk_")):
                raise UserError(401, "Unauthorized")
            if client_secret != intent.client_secret:
                raise UserError(401, "Unauthorized")
        elif server.get_api_key(request) is None:
            raise UserError(401, "Unauthorized")
        if isinstance(method_data, dict):
            method = resources.PaymentMethod(
                type=method_data.get("type"),
                card=method_data.get("card"),
                billing_details=method_data.get("billing_details"),
            )
            method_id = method.id
        if isinstance(method_id, str):
            method_id = resources.PaymentMethod._api_retrieve(method_id).id
            intent.payment_method = method_id
            # A new card after a declined one is a new attempt, as with Stripe.
            if intent.latest_charge is not None and intent.latest_charge.status == "failed":
                intent.latest_charge = None
        if intent.status != "requires_confirmation":
            raise UserError(400, "Bad request")
        intent._confirm(on_failure_now=intent._report_failure)
        response: web.StreamResponse = server.json_response(intent._export())
        return response

    create_intent = resources.PaymentIntent.__init__

    def init_intent(
        self: Any, *args: Any, allowed_payment_method_types: Any = None, **kwargs: Any
    ) -> None:
        if allowed_payment_method_types is not None:
            kwargs.setdefault("payment_method_types", allowed_payment_method_types)
        create_intent(self, *args, **kwargs)

    resources.PaymentIntent.__init__ = init_intent

    # Idempotency-Key → (status, body) of the first answer; emptied with the store.
    replies: dict[str, tuple[int, bytes]] = {}
    clear_store = resources.Store.clear

    def clear(self: Any) -> None:
        replies.clear()
        clear_store(self)

    resources.Store.clear = clear

    async def answer(request: web.Request, handler: Any) -> web.StreamResponse:
        match = _CONFIRM_PATH.match(request.path)
        if request.method == "POST" and match is not None:
            try:
                response = await confirm(request, match.group(1))
            except UserError as exc:
                return exc.to_response()  # type: ignore[no-any-return]
            if response is not None:
                return response
        return await handler(request)  # type: ignore[no-any-return]

    @web.middleware
    async def harness(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "GET" and request.path == "/js.stripe.com/v3/":
            return web.Response(text=script, content_type="application/javascript")
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await answer(request, handler)
        if key in replies:
            status, body = replies[key]
            return web.Response(body=body, status=status, content_type="application/json")
        response = await answer(request, handler)
        if isinstance(response, web.Response) and response.status < 500:
            assert isinstance(response.body, bytes)
            replies[key] = (response.status, response.body)
        return response

    server.app.middlewares.insert(0, harness)
    listener = socket.socket(fileno=fd)
    web.run_app(server.app, sock=listener, print=None, access_log=None, handle_signals=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="localstripe on an inherited socket")
    parser.add_argument("--fd", type=int, required=True)
    _serve(parser.parse_args().fd)
