"""Test videos, generated (no binary fixtures): pans and zooms over real photographs from
scikit-image, encoded with PyAV as H.264/MP4 or VP9/WebM; and the changes a copy goes through
(re-encoding at a low bitrate, scaling, trimming, a watermark) for the robustness benchmark."""

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

PHOTOS = ("coffee", "chelsea", "rocket", "astronaut", "immunohistochemistry", "hubble_deep_field")
CODECS = {"mp4": ("libx264", "yuv420p"), "webm": ("libvpx-vp9", "yuv420p")}


@dataclass(frozen=True)
class Clip:
    photo: str
    seconds: int = 5
    width: int = 640
    height: int = 360
    fps: int = 30
    container: str = "mp4"
    keyframe_every: int = 0  # frames; 0: the encoder's default (x264: 250, libvpx: 240)

    @property
    def name(self) -> str:
        keyframes = f"-k{self.keyframe_every}" if self.keyframe_every else ""
        return f"{self.photo}-{self.height}p-{self.seconds}s{keyframes}.{self.container}"

    def write(self, folder: Path, *, comment: str = "") -> Path:
        """`comment` goes into the container's metadata (a marker a leaked file would carry)."""
        path = folder / self.name
        frames = pan_and_zoom(photo(self.photo), self.width, self.height, self.seconds * self.fps)
        encode(
            path, frames, fps=self.fps, width=self.width, height=self.height, comment=comment, gop=self.keyframe_every
        )
        return path


def photo(name: str) -> Image.Image:
    from skimage import data

    return Image.fromarray(getattr(data, name)()).convert("RGB")


def pan_and_zoom(image: Image.Image, width: int, height: int, count: int) -> Iterator[np.ndarray]:
    """A window of the output's shape glides from the top left to the bottom right of the photo
    while zooming in from 90 % to 55 % of it: every second shows a different picture."""
    aspect = width / height
    full_w, full_h = (
        (image.width, image.width / aspect)
        if image.width / image.height < aspect
        else (
            image.height * aspect,
            image.height,
        )
    )
    for i in range(count):
        t = i / max(1, count - 1)
        scale = 0.9 - 0.35 * t
        w, h = full_w * scale, full_h * scale
        left, top = (image.width - w) * t, (image.height - h) * t
        crop = image.resize((width, height), Image.Resampling.BILINEAR, box=(left, top, left + w, top + h))
        yield np.asarray(crop)


def encode(  # noqa: PLR0913
    path: Path,
    frames: Iterator[np.ndarray],
    *,
    fps: int,
    width: int,
    height: int,
    bitrate: int = 0,
    comment: str = "",
    gop: int = 0,
) -> None:
    codec, pix_fmt = CODECS[path.suffix.lstrip(".")]
    with av.open(str(path), "w") as out:
        if comment:
            out.metadata["comment"] = comment
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.codec_context.time_base = Fraction(1, fps)
        if gop:
            stream.codec_context.gop_size = gop
        if bitrate:
            stream.bit_rate = bitrate
        elif codec == "libvpx-vp9":
            stream.options = {"crf": "32", "b": "0", "deadline": "realtime", "cpu-used": "8"}
        else:
            stream.options = {"crf": "23", "preset": "veryfast"}
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def decoded(path: Path) -> Iterator[np.ndarray]:
    with av.open(str(path)) as source:
        for frame in source.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def fps_of(path: Path) -> int:
    with av.open(str(path)) as source:
        rate = source.streams.video[0].average_rate
        return round(float(rate)) if rate else 30


def re_encoded(source: Path, target: Path, *, bitrate: int) -> Path:
    """The same frames at a low bitrate (a platform's transcode)."""
    first = next(decoded(source))
    height, width = first.shape[:2]
    encode(target, decoded(source), fps=fps_of(source), width=width, height=height, bitrate=bitrate)
    return target


def scaled(source: Path, target: Path, *, height: int) -> Path:
    first = next(decoded(source))
    width = round(first.shape[1] * height / first.shape[0] / 2) * 2
    frames = (np.asarray(Image.fromarray(f).resize((width, height), Image.Resampling.LANCZOS)) for f in decoded(source))
    encode(target, frames, fps=fps_of(source), width=width, height=height)
    return target


def trimmed(source: Path, target: Path, *, fraction: float = 0.0, frames: int = 0) -> Path:
    """The first `fraction` of the frames (or the first `frames` frames) cut off."""
    decoded_frames = list(decoded(source))
    height, width = decoded_frames[0].shape[:2]
    cut = frames or round(len(decoded_frames) * fraction)
    encode(target, iter(decoded_frames[cut:]), fps=fps_of(source), width=width, height=height)
    return target


BANNER = (0.6, 0.85, 0.97, 0.95)  # left, top, right, bottom as fractions of the frame: 3.7 % of it


def watermark(
    array: np.ndarray, *, box: tuple[float, float, float, float] = BANNER, opacity: int = 110, text: bool = True
) -> np.ndarray:
    """A semi-opaque white box (`opacity` of 255; 0: none) with text in it, as a re-uploader's logo."""
    image = Image.fromarray(array).convert("RGBA")
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    w, h = image.size
    if opacity:
        draw.rectangle((w * box[0], h * box[1], w * box[2], h * box[3]), fill=(255, 255, 255, opacity))
    if text:
        ink = (0, 0, 0, 200) if opacity else (255, 255, 255, 160)
        draw.text((w * (box[0] + 0.02), h * (box[1] + 0.02)), "reuploaded.example", fill=ink)
    return np.asarray(Image.alpha_composite(image, layer).convert("RGB"))


def watermarked(source: Path, target: Path) -> Path:
    """Every frame with the banner in the lower right."""
    first = next(decoded(source))
    height, width = first.shape[:2]
    encode(target, (watermark(f) for f in decoded(source)), fps=fps_of(source), width=width, height=height)
    return target
