"""Schemathesis against the JSON API, over the app's own OpenAPI document, served on 127.0.0.1:
anonymous and as a consumer, a supplier and an operator. Every answer must be no server error
and must conform to the document (status code, content type, headers, body schema); a header
the document requires must be required, an anonymous call to a route that needs a token must be
refused, a method a path does not take must be a 405 whose Allow lists the methods it does.

Bounded for CI (2 cores): a few examples per operation besides the coverage phase's boundary
cases, each sent once, as one of the identities; the seed is fixed so that a run can be repeated.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis import Case

from tests.contract.conftest import IDENTITIES, FuzzTarget, openapi_document

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 10
SEED = 20261207
NAMES = list(IDENTITIES)

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        # As the suite's other property tests: no example database to replay from between runs
        # (the seed repeats a run), and a busy machine is no failure.
        "suppress-health-check": ["too_slow"],
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "database": "none",
            # The bearer token is the identity's (sent by the test), never one the run makes up.
            "with-security-parameters": False,
        },
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            # A request that fits the document's schema can still break a business rule the
            # schema cannot state (a county code that names no county, a credit code's check
            # character, a webhook host that does not resolve, a Stripe signature, too many
            # logins): that is the contract's 400, 422 or 429, not a wrong refusal.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429"]
            },
        },
    }
)

# Read when the module is collected, so that each operation is a test of its own (spread over
# the xdist workers); the requests go to each backend's served app (`fuzz_target`).
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


def identity_of(case: Case[Any]) -> str:
    """Who sends this case: spread over the identities by the case's content, so that each gets
    its share of every operation's cases and a failing case is replayed as the same caller."""
    content = repr((case.path_parameters, case.query, case.headers, case.cookies, case.body))
    return NAMES[zlib.crc32(content.encode()) % len(NAMES)]


@contextlib.contextmanager
def _as(identity: str) -> Iterator[None]:
    """Name the identity in a failure's report."""
    try:
        yield
    except Exception as failure:
        failure.add_note(f"(sent as {identity})")
        raise


@schema.parametrize()
def test_the_api_keeps_to_its_openapi_document(case: Case[Any], fuzz_target: FuzzTarget) -> None:
    identity = identity_of(case)
    with _as(identity):
        case.call_and_validate(base_url=fuzz_target.base_url, headers=fuzz_target.headers[identity])
