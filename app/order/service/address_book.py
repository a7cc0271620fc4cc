"""The buyer's address book: saved delivery addresses, checked as orders check theirs, one of
them the default."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.order import repository
from app.order.errors import AddressBookFull, InvalidOrderFields, SavedAddressNotFound
from app.order.models import SavedAddress
from app.order.schemas import SavedAddressOut, ShippingAddressIn
from app.order.service.checks import Problems, check_id
from app.order.service.placing import CheckedAddress, check_address
from app.regions.cache import county_places
from app.regions.listing import place_name

MAX_SAVED_ADDRESSES = 20


async def _views(session: AsyncSession, addresses: Sequence[SavedAddress]) -> list[SavedAddressOut]:
    counties = await county_places(session, {a.county_code for a in addresses})
    views = []
    for address in addresses:
        county = counties.get(address.county_code)
        views.append(
            SavedAddressOut(
                id=address.id,
                name=address.name,
                phone=address.phone,
                county_code=address.county_code,
                county_name=county.name if county else "",
                prefecture_code=county.prefecture_code if county else "",
                prefecture_name=county.prefecture_name if county else "",
                province_code=county.province_code if county else "",
                province_name=county.province_name if county else "",
                place_name=(
                    place_name(county.province_name, county.prefecture_name, county.name)
                    if county
                    else ""
                ),
                detail=address.detail,
                is_default=address.is_default,
                updated_at=address.updated_at,
            )
        )
    return views


async def list_addresses(session: AsyncSession, *, user_id: int) -> list[SavedAddressOut]:
    """The user's addresses: the default first, then the most recently changed."""
    return await _views(session, await repository.saved_addresses(session, user_id))


async def get_address(session: AsyncSession, *, user_id: int, address_id: int) -> SavedAddressOut:
    """One of the user's addresses; anyone else's (or none) is 404 `address_not_found`."""
    return (await _views(session, [await _own(session, user_id, address_id)]))[0]


async def default_address(session: AsyncSession, *, user_id: int) -> SavedAddressOut | None:
    addresses = await list_addresses(session, user_id=user_id)
    return addresses[0] if addresses and addresses[0].is_default else None


async def _checked(session: AsyncSession, address: ShippingAddressIn) -> CheckedAddress:
    """The address as stored, or 422 naming each field (name, phone, county_code, detail)."""
    problems: Problems = {}
    checked = await check_address(session, address, problems, prefix="")
    if problems or checked is None:
        raise InvalidOrderFields(problems)
    return checked


async def _own(
    session: AsyncSession, user_id: int, address_id: int, *, for_update: bool = False
) -> SavedAddress:
    book = (
        await repository.saved_addresses(session, user_id, for_update=for_update)
        if check_id(address_id)
        else []
    )
    for address in book:
        if address.id == address_id:
            return address
    raise SavedAddressNotFound(address_id)


async def _make_default(
    session: AsyncSession, book: Sequence[SavedAddress], chosen: SavedAddress
) -> None:
    """Only `chosen` is the default: the old default is cleared first, so that the partial
    unique index never sees two."""
    for address in book:
        if address.is_default and address is not chosen:
            address.is_default = False
    await session.flush()
    chosen.is_default = True
    await session.flush()


def _same(address: SavedAddress, checked: CheckedAddress) -> bool:
    return (address.name, address.phone, address.county_code, address.detail) == (
        checked.name,
        checked.phone,
        checked.county.code,
        checked.detail,
    )


async def add_address(
    session: AsyncSession, *, user_id: int, address: ShippingAddressIn, is_default: bool = False
) -> SavedAddressOut:
    """Save an address (422 per field when it would not do for an order). The same address
    again is not saved twice: the one saved is answered (and made the default if asked). The
    first address is the default; a full book (20) is 409 `address_book_full`."""
    checked = await _checked(session, address)
    book = list(await repository.saved_addresses(session, user_id, for_update=True))
    saved = next((a for a in book if _same(a, checked)), None)
    if saved is None:
        if len(book) >= MAX_SAVED_ADDRESSES:
            raise AddressBookFull(MAX_SAVED_ADDRESSES)
        now = utcnow()
        saved = SavedAddress(
            user_id=user_id,
            name=checked.name,
            phone=checked.phone,
            county_code=checked.county.code,
            detail=checked.detail,
            is_default=False,
            created_at=now,
            updated_at=now,
        )
        session.add(saved)
        await session.flush()
        book.append(saved)
    if is_default or not any(a.is_default for a in book):
        await _make_default(session, book, saved)
    return (await _views(session, [saved]))[0]


async def update_address(
    session: AsyncSession,
    *,
    user_id: int,
    address_id: int,
    address: ShippingAddressIn,
    is_default: bool = False,
) -> SavedAddressOut:
    """Change a saved address (checked as when added); `is_default` makes it the default (a
    default stays one: choose another to move it)."""
    checked = await _checked(session, address)
    saved = await _own(session, user_id, address_id, for_update=True)
    saved.name = checked.name
    saved.phone = checked.phone
    saved.county_code = checked.county.code
    saved.detail = checked.detail
    saved.updated_at = utcnow()
    await session.flush()
    if is_default and not saved.is_default:
        await _make_default(session, await repository.saved_addresses(session, user_id), saved)
    return (await _views(session, [saved]))[0]


async def set_default_address(
    session: AsyncSession, *, user_id: int, address_id: int
) -> SavedAddressOut:
    """Make one of the user's addresses the default."""
    saved = await _own(session, user_id, address_id, for_update=True)
    await _make_default(session, await repository.saved_addresses(session, user_id), saved)
    return (await _views(session, [saved]))[0]


async def delete_address(session: AsyncSession, *, user_id: int, address_id: int) -> None:
    """Delete a saved address; when it was the default, the most recently changed of the rest
    becomes the default. Orders placed with it keep their own copy of the address."""
    saved = await _own(session, user_id, address_id, for_update=True)
    was_default = saved.is_default
    await session.delete(saved)
    await session.flush()
    if was_default:
        rest = await repository.saved_addresses(session, user_id)
        if rest:
            await _make_default(session, rest, rest[0])
