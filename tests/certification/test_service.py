"""What the catalog calls: a supplier's certificates, and the ownership check of named ones."""

from __future__ import annotations

import re

import pytest

from app.certification import service
from app.certification.errors import UnknownCertificates
from app.certification.models import CertificateKind, CertificateStatus
from app.core.db import Database, unit_of_work
from app.core.errors import ValidationFailed
from tests.certification.factories import create_certificate
from tests.cooperative.factories import create_cooperative


async def test_certificates_for_cooperative_lists_every_status(database: Database) -> None:
    own = await create_cooperative(database)
    other = await create_cooperative(database, name="别家合作社")
    mine = [await create_certificate(database, own, status=status) for status in CertificateStatus]
    await create_certificate(database, other)

    async with unit_of_work(database.reader) as session:
        found = await service.certificates_for_cooperative(session, own)
        empty = await service.certificates_for_cooperative(session, 999_999)

    assert [c.id for c in found] == mine
    assert {c.status for c in found} == set(CertificateStatus)
    assert all(c.cooperative_id == own for c in found)
    assert empty == []


async def test_get_owned_certificates_returns_each_once(database: Database) -> None:
    own = await create_cooperative(database)
    gi = await create_certificate(database, own, kind=CertificateKind.GI)
    organic = await create_certificate(database, own, kind=CertificateKind.ORGANIC)

    async with unit_of_work(database.reader) as session:
        found = await service.get_owned_certificates(
            session, cooperative_id=own, certificate_ids=[organic, gi, organic]
        )
        none = await service.get_owned_certificates(session, cooperative_id=own, certificate_ids=[])

    assert [c.id for c in found] == [gi, organic]
    assert none == []


@pytest.mark.parametrize("which", ["unknown", "other supplier's", "both"])
async def test_get_owned_certificates_refuses_others_and_unknown_ids(
    database: Database, which: str
) -> None:
    own = await create_cooperative(database)
    other = await create_cooperative(database, name="别家合作社")
    mine = await create_certificate(database, own)
    theirs = await create_certificate(database, other)
    wrong = {"unknown": [999_999], "other supplier's": [theirs], "both": [theirs, 999_999]}[which]

    async with unit_of_work(database.reader) as session:
        with pytest.raises(UnknownCertificates) as caught:
            await service.get_owned_certificates(
                session, cooperative_id=own, certificate_ids=[mine, *wrong]
            )

    error = caught.value
    assert isinstance(error, ValidationFailed)
    assert error.status_code == 422
    assert error.code == "unknown_certificates"
    assert set(error.fields) == {"certificate_ids"}
    named = {int(n) for n in re.findall(r"[0-9]+", error.fields["certificate_ids"])}
    assert named == set(wrong)  # only the offending ids, not the supplier's own
