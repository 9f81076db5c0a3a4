"""Wall time and this process's CPU time of a piece of work, together: on a shared machine the
wall time also counts waiting for a core or the disk, the CPU time only the work itself."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass


@dataclass
class Lap:
    wall: float = 0.0
    cpu: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@contextmanager
def lap() -> Iterator[Lap]:
    found = Lap()
    start, cpu = time.perf_counter(), time.process_time()
    try:
        yield found
    finally:
        found.wall, found.cpu = time.perf_counter() - start, time.process_time() - cpu
