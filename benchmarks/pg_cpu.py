"""CPU seconds used by this process and by its PostgreSQL backend (same host, via /proc), so
that a benchmark on a loaded machine can report work per CPU-second next to wall time."""

import os
import time
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def backend_cpu(pid: int) -> float:
    """utime + stime of a process, in seconds (0 when it is not visible from here)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


class CpuClock:
    """Wall, client CPU and server CPU between start() and stop()."""

    def start(self) -> "CpuClock":
        self.pid = backend_pid()
        self.wall, self.client, self.server = time.perf_counter(), time.process_time(), backend_cpu(self.pid)
        return self

    def stop(self) -> tuple[float, float, float]:
        return (
            time.perf_counter() - self.wall,
            time.process_time() - self.client,
            backend_cpu(self.pid) - self.server,
        )
