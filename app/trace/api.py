"""JSON routes of traceability: a supplier's batches and the public trace of a code."""

from __future__ import annotations

from fastapi import APIRouter

from app.account.deps import CurrentUser
from app.core.clock import china_date, utcnow
from app.trace import service
from app.trace.schemas import BatchCreated, BatchIn, BatchList, TraceOut
from app.web.db import DbSession
from app.web.errors import API_ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["traceability"], responses=API_ERROR_RESPONSES)


@router.post(
    "/cooperatives/{cooperative_id}/batches",
    response_model=BatchCreated,
    status_code=201,
    summary="Register a harvest batch",
)
async def register_batch(
    cooperative_id: int, body: BatchIn, user: CurrentUser, session: DbSession
) -> BatchCreated:
    """A harvest of one of the supplier's products, with its certificates; answers its public
    code and trace page (whose QR code is at `{trace_url}.svg`). A product or certificate of
    another supplier, or a harvest date in the future: 422. Members only: else 404."""
    return await service.register_batch(
        session,
        user=user,
        cooperative_id=cooperative_id,
        batch=body,
        today=china_date(utcnow()),
    )


@router.get(
    "/cooperatives/{cooperative_id}/batches",
    response_model=BatchList,
    status_code=200,
    summary="A supplier's harvest batches",
)
async def list_batches(cooperative_id: int, user: CurrentUser, session: DbSession) -> BatchList:
    """Newest harvest first. Members only: else 404."""
    return await service.list_batches(session, user=user, cooperative_id=cooperative_id)


@router.get("/trace/{code}", response_model=TraceOut, status_code=200, summary="Trace a batch")
async def show_trace(code: str, session: DbSession) -> TraceOut:
    """Public: the product, cooperative, origin county, harvest date, the batch's certificates
    valid today and the households the cooperative supports. Unknown code: 404."""
    return await service.trace(session, code, today=china_date(utcnow()))
