"""Checking and re-encoding uploaded photos: only real images, no metadata, bounded size."""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.exceptions import ValidationFailed

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_PIXELS = 40_000_000
FULL_SIZE = 1600
THUMB_SIZE = 480


@dataclass(frozen=True)
class ProcessedImage:
    full: bytes
    thumb: bytes
    width: int
    height: int


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # No exif= or icc_profile= argument: the new file carries pixels only.
    image.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def process_image(data: bytes, field: str = "photos") -> ProcessedImage:
    """A JPEG re-encoding of an uploaded image, stripped of EXIF/GPS, plus its thumbnail.

    :raise ValidationFailed: not a JPEG, PNG or WebP image, larger than MAX_UPLOAD_BYTES,
        or more pixels than a photo needs.
    """
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if len(data) > limit:
        size = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
        raise ValidationFailed(fields={field: [f"Each photo must be at most {size}."]})
    refused = ValidationFailed(fields={field: ["Upload a JPEG, PNG or WebP image."]})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise refused
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationFailed(fields={field: ["The image has too many pixels."]})
            probe.verify()
        with Image.open(io.BytesIO(data)) as source:
            source.load()
            image = ImageOps.exif_transpose(source)
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None

    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((FULL_SIZE, FULL_SIZE))
    full = _encode(image)
    thumb_image = image.copy()
    thumb_image.thumbnail((THUMB_SIZE, THUMB_SIZE))
    return ProcessedImage(full, _encode(thumb_image), image.width, image.height)
