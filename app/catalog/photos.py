"""Product photos: checked and re-encoded uploads in media storage, at most ten per product."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.account.models import User
from app.catalog import indexing, repository
from app.catalog.errors import LastPhotoOfListedProduct, PhotoNotFound, TooManyPhotos
from app.catalog.listing import photo_out
from app.catalog.models import ProductPhoto, ProductStatus
from app.catalog.schemas import PhotoOut
from app.catalog.service import owned_product
from app.core.images import process_image_off_loop
from app.core.storage import MediaStorage
from app.jobs.media import discard_after_commit

MAX_PHOTOS = 10
UPLOAD_FIELD = "file"


async def add_photo(
    session: AsyncSession,
    media: MediaStorage,
    *,
    user: User,
    product_id: int,
    data: bytes,
    cooperative_id: int | None = None,
) -> PhotoOut:
    """Store a photo and its thumbnail; 422 for anything but a usable image, 409 past ten.

    The image is checked before anything is stored, so a refused upload leaves no file.
    """
    product = await owned_product(
        session, user=user, product_id=product_id, cooperative_id=cooperative_id
    )
    if await repository.count_photos(session, product.id) >= MAX_PHOTOS:
        raise TooManyPhotos(MAX_PHOTOS)
    # Decoding and re-encoding are CPU work: done in a worker thread, the event loop free.
    image = await process_image_off_loop(data, field=UPLOAD_FIELD)
    name = uuid.uuid4().hex
    photo = ProductPhoto(
        product_id=product.id,
        position=await repository.max_photo_position(session, product.id) + 1,
        image_key=f"products/{product.id}/{name}.jpg",
        thumb_key=f"products/{product.id}/{name}-thumb.jpg",
        width=image.width,
        height=image.height,
    )
    session.add(photo)
    await session.flush()
    # The listing shows the first photo: cached pages go, and the document is rebuilt too.
    await indexing.enqueue_reindex(session, product_ids=[product.id])
    # Files after the row: should the transaction still fail, an unreferenced file is harmless,
    # whereas a row without its file would show a broken image.
    await media.save(photo.image_key, image.image)
    await media.save(photo.thumb_key, image.thumbnail)
    return photo_out(photo, media)


async def delete_photo(
    session: AsyncSession,
    *,
    user: User,
    product_id: int,
    photo_id: int,
    cooperative_id: int | None = None,
) -> None:
    """Remove a photo of the user's product; its files go once this commits (404 for anyone
    else's; 409 photo_required for the only photo of a listed product)."""
    product = await owned_product(
        session, user=user, product_id=product_id, cooperative_id=cooperative_id
    )
    photo = await repository.get_photo(session, product.id, photo_id)
    if photo is None:
        raise PhotoNotFound(photo_id)
    if product.status == ProductStatus.ACTIVE and len(product.photos) <= 1:
        raise LastPhotoOfListedProduct()
    await discard_after_commit(session, [photo.image_key, photo.thumb_key])
    await session.delete(photo)
    await session.flush()
    await indexing.enqueue_reindex(session, product_ids=[product.id])
