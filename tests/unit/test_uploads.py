"""Uploaded photos: re-encoded, stripped of EXIF (GPS included), refused when not images."""

import io

import pytest
from PIL import Image

from marketplace.exceptions import ValidationFailed
from marketplace.services.uploads import process_image
from tests.helpers import image_bytes


def exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° to display
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 22.0, 1.5)
    return exif.tobytes()


def test_photo_comes_back_re_encoded_without_exif_or_gps(app):
    original = image_bytes("JPEG", size=(640, 480), exif=exif_with_gps())
    assert Image.open(io.BytesIO(original)).getexif()  # the upload did carry metadata
    with app.app_context():
        result = process_image(original)
    cleaned = Image.open(io.BytesIO(result.full))
    assert cleaned.format == "JPEG"
    assert len(cleaned.getexif()) == 0
    assert "exif" not in cleaned.info
    assert result.full != original
    # the orientation tag was applied to the pixels before it was dropped
    assert (cleaned.width, cleaned.height) == (480, 640)
    thumb = Image.open(io.BytesIO(result.thumb))
    assert max(thumb.size) <= 480


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted_and_become_jpeg(app, fmt):
    with app.app_context():
        result = process_image(image_bytes(fmt))
    assert Image.open(io.BytesIO(result.full)).format == "JPEG"


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4 not an image", b"<?php system($_GET['c']); ?>", b"", image_bytes("GIF")],
    ids=["pdf", "script", "empty", "gif"],
)
def test_non_images_are_refused(app, data):
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        process_image(data)
    assert "JPEG, PNG or WebP" in refused.value.fields["photos"][0]


def test_a_truncated_image_is_refused(app):
    with app.app_context(), pytest.raises(ValidationFailed):
        process_image(image_bytes("JPEG")[:200])


def test_files_over_the_size_limit_are_refused(app):
    with app.app_context():
        limit = app.config["MAX_UPLOAD_BYTES"]
        with pytest.raises(ValidationFailed) as refused:
            process_image(b"\xff\xd8" + b"0" * limit)
    assert "8 MB" in refused.value.fields["photos"][0]
