"""How far intake's fast decoding moves PDQ from the full-resolution hash, on real photos
(scikit-image's bundled sample photographs, upscaled to about 12 MP and saved as JPEG, as a
phone would). Also shows why the hub does not hash its 512-px review derivative instead.

    python -m benchmarks.pdq_drift"""

import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncii_site.settings")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from skimage import data  # noqa: E402

from matching.images import derivative_hashes, derivative_make, image_decode, image_open  # noqa: E402
from matching.pdq import pdq_hex  # noqa: E402

PHOTOS = [
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "colorwheel",
    "camera",
    "moon",
    "page",
    "text",
    "horse",
    "brick",
    "grass",
    "gravel",
]


def as_12mp_jpeg(name: str) -> bytes:
    pixels = getattr(data, name)()
    if pixels.dtype != np.uint8:
        pixels = (pixels * 255).astype(np.uint8) if pixels.max() <= 1 else pixels.astype(np.uint8)
    image = Image.fromarray(pixels).convert("RGB")
    big = image.resize((4000, int(4000 * image.height / image.width)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    big.save(out, "JPEG", quality=92)
    return out.getvalue()


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def main() -> None:
    draft, derivative, full_ms, draft_ms = [], [], [], []
    print(f"{'photo':<22}{'draft decode':>14}{'512 px derivative':>20}")
    for name in PHOTOS:
        jpeg = as_12mp_jpeg(name)
        start = time.perf_counter()
        full = pdq_hex(Image.open(io.BytesIO(jpeg)))[0]
        full_ms.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        decoded = image_decode(image_open(jpeg, max_pixels=10**9))
        fast = pdq_hex(decoded)[0]
        draft_ms.append((time.perf_counter() - start) * 1000)
        small = derivative_hashes(derivative_make(decoded).jpeg).pdq
        draft.append(distance(full, fast))
        derivative.append(distance(full, small))
        print(f"{name:<22}{draft[-1]:>14}{derivative[-1]:>20}")
    for label, values in [("draft decode (>= 1024 px)", draft), ("512 px derivative", derivative)]:
        print(
            f"{label}: PDQ distance from full resolution max {max(values)}, mean {statistics.mean(values):.2f}, "
            f"median {statistics.median(values)}"
        )
    print(
        f"hashing a 12 MP JPEG: full decode {statistics.median(full_ms):.0f} ms, "
        f"draft decode {statistics.median(draft_ms):.0f} ms (median, one core)"
    )


if __name__ == "__main__":
    main()
