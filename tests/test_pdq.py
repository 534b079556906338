"""matching.pdq: the hub's PDQ hex, the reference the browser hasher is held to."""

import io

import numpy as np
from PIL import Image, ImageOps
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_bytes

from matching.pdq import pdq_hex, pdq_hex_from_bytes
from matching.signal_types import SignalType, hash_normalise


def photo_like(width: int = 320, height: int = 240, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // width, y * 255 // height, (x * y) % 256], axis=2).astype(np.uint8)
    for _ in range(12):  # a few flat shapes, as in a photo
        top, left = rng.integers(0, height - 20), rng.integers(0, width - 20)
        pixels[top : top + rng.integers(10, 80), left : left + rng.integers(10, 80)] = rng.integers(0, 256, 3)
    return pixels


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def test_the_hex_is_what_meta_s_threatexchange_writes():
    data = encoded(Image.fromarray(photo_like()))

    value, quality = pdq_hex(Image.open(io.BytesIO(data)))

    assert (value, quality) == pdq_from_bytes(data)
    assert hash_normalise(SignalType.PDQ, value) == value  # 64 lower-case hex digits
    assert quality >= 50


def test_transparent_pixels_count_as_black_and_opaque_ones_as_they_are():
    pixels = photo_like()
    alpha = np.full(pixels.shape[:2], 255, np.uint8)
    alpha[:, :100] = 0  # hidden pixels keep a colour of their own, which must not count
    alpha[:, 100:160] = 128
    rgba = np.dstack([pixels, alpha])
    expected = (pixels.astype(np.uint32) * alpha[..., None] * 2 + 255) // 510

    assert pdq_hex(Image.fromarray(rgba, "RGBA")) == pdq_hex(Image.fromarray(expected.astype(np.uint8)))
    assert pdq_hex(Image.fromarray(pixels).convert("RGBA")) == pdq_hex(Image.fromarray(pixels))


def test_files_are_hashed_upright_as_browsers_show_them():
    image = Image.fromarray(photo_like(300, 200))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = encoded(image, "JPEG", exif=exif, quality=95)

    upright = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    assert upright.size == (200, 300)
    assert pdq_hex_from_bytes(data) == pdq_hex(upright)
    assert distance(pdq_hex_from_bytes(data)[0], pdq_hex(Image.open(io.BytesIO(data)))[0]) > 40


def test_a_palette_image_is_hashed_by_its_colours_not_its_indices():
    image = Image.fromarray(photo_like()).convert("P", palette=Image.Palette.ADAPTIVE)

    assert pdq_hex(image) == pdq_hex(image.convert("RGB"))


def test_images_too_small_to_hash_have_no_bits_and_no_quality():
    assert pdq_hex(Image.new("RGB", (4, 40), "white")) == ("0" * 64, 0)
