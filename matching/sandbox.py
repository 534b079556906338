"""Decoding a review image in a subprocess with a memory and a CPU-time bound, so a hostile
file costs one failed decode, never a dead worker. Pure: no Django (the caller passes the
limits from settings).

The image reaches the child through a pipe and its result comes back the same way: the
plaintext is never written to disk (the child may not write files or dump core)."""

import base64
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from matching.decoding import ContentHashes, Derivative, ProcessedImage

ROOT = Path(__file__).resolve().parents[1]
# One thread per numeric library: their thread pools would reserve address space for nothing.
CHILD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_TIME_SIGNALS = {-signal.SIGXCPU, -signal.SIGKILL}


@dataclass(frozen=True)
class DecodeLimits:
    memory_bytes: int
    cpu_seconds: int
    wall_seconds: float
    max_pixels: int


@dataclass(frozen=True)
class Refusal:
    """Why a review image was not decoded: a code and a sentence, kept on the report."""

    code: str
    detail: str


def sandbox_decode(data: bytes, *, limits: DecodeLimits) -> ProcessedImage | Refusal:
    """Decode and hash ``data`` in a fresh, bounded subprocess. Raises OSError only when no
    subprocess could be started (a fault of this host, worth a retry)."""
    args = [str(limits.memory_bytes), str(limits.cpu_seconds), str(limits.max_pixels)]
    try:
        child = subprocess.run(  # noqa: S603 (our own module, fixed arguments)
            [sys.executable, "-m", "matching.decode_child", *args],
            input=data,
            capture_output=True,
            timeout=limits.wall_seconds,
            cwd=ROOT,
            env={**os.environ, **CHILD_ENV},
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Refusal("decode_time_limit", f"Decoding took longer than {limits.wall_seconds:g} s.")
    return _read(child.returncode, child.stdout, limits)


def _read(returncode: int, stdout: bytes, limits: DecodeLimits) -> ProcessedImage | Refusal:
    if returncode in _TIME_SIGNALS:
        return Refusal("decode_time_limit", f"Decoding needed more than {limits.cpu_seconds} s of CPU time.")
    try:
        answer = json.loads(stdout) if returncode == 0 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        what = f"signal {-returncode}" if returncode < 0 else f"status {returncode}"
        return Refusal("decode_failed", f"The decoder stopped ({what}); the image may need more memory than allowed.")
    if not answer.get("ok"):
        return Refusal(str(answer.get("code")), str(answer.get("detail")))
    hashes = ContentHashes(pdq=answer["pdq"], quality=answer["quality"], phash=answer["phash"])
    derivative = Derivative(base64.b64decode(answer["jpeg"]), answer["width"], answer["height"])
    return ProcessedImage(derivative, hashes)
