"""Review images: the cheap checks a request makes on an upload, and the moderator's views of
a stored derivative. Pure: Pillow, numpy and the hashers, no Django.

A request only inspects an upload's header (``upload_inspect``); decoding, hashing and the
derivative (``matching.decoding``) run on a worker, in a bounded subprocess
(``matching.sandbox``). What is kept is only the derivative: orientation applied, downscaled to
``DERIVATIVE_SIDE``, re-encoded from raw pixels (so no EXIF, ICC or other metadata survives)."""

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFilter

from matching.decoding import (  # noqa: F401  (re-exported: the decoding half lives there)
    ALLOWED_FORMATS,
    DERIVATIVE_SIDE,
    ContentHashes,
    Derivative,
    ProcessedImage,
    derivative_make,
    hashes_of,
    image_decode,
)
from ncii_site.errors import DomainError

# Hashing version: bump when the hashing of derivatives changes, then run `manage.py rehash`.
HASH_VERSION = 1


class ImageRefused(DomainError, ValueError):
    """An upload that is not a review image the hub takes; its code says why."""

    code = "image_refused"
    status = 422
    STATUS = {"image_too_large": 413, "unsupported_image": 415, "corrupt_image": 422}

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail, code=code, status=self.STATUS.get(code, 422))


def image_open(data: bytes, *, max_pixels: int) -> Image.Image:
    """Identify the image without decoding its pixels; refuse unknown formats and images over
    ``max_pixels`` (including Pillow's 1x-2x band where it would only warn)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageRefused("image_too_large", f"The image has more than {max_pixels} pixels.") from None
    except Exception:  # whatever Pillow raises on a header it cannot read
        raise ImageRefused("unsupported_image", "Not a JPEG, PNG, WebP or GIF image.") from None
    width, height = image.size
    if width * height > max_pixels or width < 1 or height < 1:
        raise ImageRefused("image_too_large", f"The image has more than {max_pixels} pixels.")
    return image


@dataclass(frozen=True)
class UploadInfo:
    format: str
    width: int
    height: int


def upload_inspect(data: bytes, *, max_bytes: int, pixel_caps: dict[str, int]) -> UploadInfo:
    """The cheap checks a web request may make: size, format (from the header) and declared
    dimensions against the format's pixel cap. Nothing is decoded."""
    if len(data) > max_bytes:
        raise ImageRefused("image_too_large", f"The image is larger than {max_bytes} bytes.")
    if not data:
        raise ImageRefused("unsupported_image", "The image is empty.")
    image = image_open(data, max_pixels=max(pixel_caps.values()))
    cap = pixel_caps.get(str(image.format), 0)
    if image.width * image.height > cap:
        raise ImageRefused("image_too_large", f"A {image.format} review image may have at most {cap} pixels.")
    return UploadInfo(str(image.format), image.width, image.height)


def derivative_hashes(derivative_jpeg: bytes) -> ContentHashes:
    """Hashes of a stored derivative (all that is left after intake). At 512 px these
    drift from the full-resolution PDQ (measured: mean 18 bits), so intake hashes the
    decoded upload instead and this serves only re-hashing after an upgrade."""
    with Image.open(io.BytesIO(derivative_jpeg), formats=("JPEG",)) as image:
        return hashes_of(image.convert("RGB"))


REVIEW_LEVELS = ("blurred", "grey", "colour")  # what a moderator may see, least first


def review_view(derivative_jpeg: bytes, *, level: str, radius: int) -> bytes:
    """The derivative at one of the ``REVIEW_LEVELS``: nothing sharper than asked for."""
    if level == "colour":
        return derivative_jpeg
    return greyscale(derivative_jpeg) if level == "grey" else blurred(derivative_jpeg, radius=radius)


def greyscale(derivative_jpeg: bytes) -> bytes:
    """Sharp, but without colour: the first step of a reveal."""
    with Image.open(io.BytesIO(derivative_jpeg), formats=("JPEG",)) as image:
        grey = image.convert("L")
    out = io.BytesIO()
    grey.save(out, "JPEG", quality=85)
    return out.getvalue()


def blurred(derivative_jpeg: bytes, *, radius: int = 14) -> bytes:
    """The view a moderator gets by default: greyscale and heavily blurred, made on the
    server, so nothing clear reaches the browser until they choose to reveal it."""
    with Image.open(io.BytesIO(derivative_jpeg), formats=("JPEG",)) as image:
        grey = image.convert("L").filter(ImageFilter.GaussianBlur(radius))
    out = io.BytesIO()
    grey.save(out, "JPEG", quality=70)
    return out.getvalue()
