"""Progress reporting for long work: a callable that takes a stage name and a fraction."""

from __future__ import annotations

import sys
import time
from typing import Callable, Protocol


class Progress(Protocol):
    def __call__(self, stage: str, fraction: float | None = None) -> None: ...


def silent(stage: str, fraction: float | None = None) -> None:
    return None


def to_stderr(stream=None) -> Callable[[str, float | None], None]:
    """Print one line per stage (and percentage updates) with elapsed seconds."""
    start = time.perf_counter()
    out = stream or sys.stderr

    def report(stage: str, fraction: float | None = None) -> None:
        elapsed = time.perf_counter() - start
        pct = f" {fraction * 100:3.0f}%" if fraction is not None else ""
        print(f"[{elapsed:6.1f}s] {stage}{pct}", file=out, flush=True)

    return report
