"""The decoding subprocess: ``python -m matching.decode_child MEMORY_BYTES CPU_SECONDS MAX_PIXELS``.

Reads one image from stdin, decodes and hashes it under the limits it sets on itself, and
writes one JSON object to stdout. The parent (``matching.sandbox``) reads a dead child as a
refused image. Limits: address space (``RLIMIT_AS``), CPU time (``RLIMIT_CPU``: SIGXCPU, then
SIGKILL a second later), no core dump and no file written (the image is plaintext here); a lower CPU priority."""

import base64
import json
import os
import resource
import signal
import sys

from matching.decoding import DecodeFailed, image_process

NICE = 10


def limits_set(memory_bytes: int, cpu_seconds: int) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(used.ru_utime + used.ru_stime) + 1 + cpu_seconds
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    os.nice(NICE)  # web requests on a shared host win the CPU over hostile decodes


def outcome(data: bytes, max_pixels: int) -> dict[str, object]:
    try:
        processed = image_process(data, max_pixels=max_pixels)
    except DecodeFailed as refused:
        return {"ok": False, "code": refused.code, "detail": refused.detail}
    except MemoryError:
        return {"ok": False, "code": "decode_memory_limit", "detail": "Decoding needs more memory than allowed."}
    hashes, derivative = processed.hashes, processed.derivative
    return {
        "ok": True,
        "pdq": hashes.pdq,
        "quality": hashes.quality,
        "phash": hashes.phash,
        "width": derivative.width,
        "height": derivative.height,
        "jpeg": base64.b64encode(derivative.jpeg).decode(),
    }


def main(argv: list[str]) -> None:
    memory_bytes, cpu_seconds, max_pixels = (int(arg) for arg in argv)
    limits_set(memory_bytes, cpu_seconds)
    data = sys.stdin.buffer.read()
    sys.stdout.write(json.dumps(outcome(data, max_pixels)))


if __name__ == "__main__":
    main(sys.argv[1:])
