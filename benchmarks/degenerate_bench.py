"""The figures behind matching.degenerate's defaults: how many PDQ bits real photos set
(scikit-image's bundled sample photographs, each with seven hard variants), how far they sit
from the deny-list of trivial pictures, what the trivial pictures set, and what the check
costs per hash.

    python -m benchmarks.degenerate_bench"""

import io
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from PIL import Image, ImageEnhance, ImageFilter, ImageOps  # noqa: E402
from skimage import data  # noqa: E402

from matching.degenerate import denylist, pdq_degenerate_reason  # noqa: E402
from matching.pdq import pdq_hex  # noqa: E402
from matching.trivial_images import trivial_images  # noqa: E402

PHOTOS = ["astronaut", "camera", "cat", "chelsea", "coffee", "coins", "grass", "gravel", "hubble_deep_field"]
PHOTOS += ["immunohistochemistry", "moon", "page", "retina", "rocket", "text", "brick", "horse", "logo", "clock"]


def _photo(name: str) -> Image.Image:
    pixels = np.asarray(getattr(data, name)())
    if pixels.dtype == bool:
        pixels = pixels.astype(np.uint8) * 255
    if pixels.dtype != np.uint8:
        pixels = (255 * (pixels - pixels.min()) / (pixels.max() - pixels.min())).astype(np.uint8)
    return Image.fromarray(pixels).convert("RGB")


def variants(image: Image.Image) -> dict[str, Image.Image]:
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=5)
    return {
        "original": image,
        "32x32 thumbnail": image.resize((32, 32)),
        "8% brightness": ImageEnhance.Brightness(image).enhance(0.08),
        "5% contrast": ImageEnhance.Contrast(image).enhance(0.05),
        "blur radius 8": image.filter(ImageFilter.GaussianBlur(8)),
        "letterboxed 3:1": ImageOps.pad(image, (image.width * 3, image.height), color=(0, 0, 0)),
        "quarter size on white": ImageOps.expand(image.resize((image.width // 4, image.height // 4)), border=200),
        "JPEG quality 5": Image.open(io.BytesIO(jpeg.getvalue())),
    }


def main() -> None:
    bits, nearest, refused = Counter(), [], 0
    photo_hashes = []
    for name in PHOTOS:
        for image in variants(_photo(name)).values():
            value, _ = pdq_hex(image)
            photo_hashes.append(value)
            bits[int(value, 16).bit_count()] += 1
            nearest.append(denylist().nearest(value)[0])
            refused += pdq_degenerate_reason(value) is not None
    print(f"real photos: {len(photo_hashes)} hashes ({len(PHOTOS)} photos x 8 variants)")
    print(f"  bits set: {dict(sorted(bits.items()))}")
    print(f"  distance to the nearest deny-list hash: min {min(nearest)}, median {int(np.median(nearest))}")
    print(f"  refused by the rules: {refused}")
    trivial = Counter()
    tolerance = settings.NCII_PDQ_BIT_COUNT_TOLERANCE
    for _, image in trivial_images():
        count = int(pdq_hex(image)[0], 16).bit_count()
        trivial["bits rule" if abs(count - 128) > tolerance else "deny-list only"] += 1
    print(f"trivial pictures ({sum(trivial.values())}): caught by {dict(trivial)} (tolerance {tolerance})")
    print(f"deny-list: {len(denylist().labels)} distinct hashes")
    start = time.process_time()
    rounds = 20
    for _ in range(rounds):
        for value in photo_hashes:
            pdq_degenerate_reason(value)
    cpu = time.process_time() - start
    print(f"check cost: {cpu / (rounds * len(photo_hashes)) * 1e6:.1f} us CPU per hash")


if __name__ == "__main__":
    main()
