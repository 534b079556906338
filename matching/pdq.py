"""PDQ hashes of images as the hub writes them: 64 lower-case hex digits plus a quality.
Pure: no Django. The browser hasher (static/js/pdq.js) must give the same hex for the
same decoded pixels; tests/browser/test_hasher.py holds the two together."""

import io

import numpy as np
import pdqhash
from PIL import Image, ImageOps


def pdq_hex(image: Image.Image) -> tuple[str, int]:
    """The PDQ hash of ``image`` as hex, and its quality (0-100).

    Bit k of Meta's Hash256 (``w[k // 16] >> (k % 16)``, set when DCT coefficient k is above
    the median) is bit k of the hex number: the hex is words 15..0, as Meta's
    ``Hash256::format`` and threatexchange's ``pdq_from_file`` write it.
    """
    bits, quality = pdqhash.compute(_rgb_pixels(image))
    # pdqhash.compute lists the bits from 255 down to 0: most significant first.
    value = int("".join("1" if bit else "0" for bit in bits), 2)
    return format(value, "064x"), int(quality)


def pdq_hex_from_bytes(data: bytes) -> tuple[str, int]:
    """The hash of an encoded image file, upright (EXIF orientation applied, as browsers
    do) and, for an animation, of its first frame."""
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image)
        return pdq_hex(upright)


def _rgb_pixels(image: Image.Image) -> np.ndarray:
    """8-bit RGB pixels. Transparency is composited onto black, which is what a browser
    canvas gives for transparent pixels; an opaque image is unchanged (``convert("RGB")``)."""
    if not _has_alpha(image):
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
    rgba = np.asarray(image.convert("RGBA"), dtype=np.uint32)
    alpha = rgba[:, :, 3:4]
    # round(c * a / 255), exactly; the canvas premultiplies the same way.
    premultiplied = (rgba[:, :, :3] * alpha * 2 + 255) // 510
    return np.ascontiguousarray(premultiplied, dtype=np.uint8)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info
