"""Shared limits for CPU-heavy model fits."""

from __future__ import annotations

import os
from contextlib import contextmanager

from threadpoolctl import threadpool_limits


@contextmanager
def idle_cores():
    """Limit OpenMP threads (scikit-learn's gradient boosting and K-Means) to the idle cores: when
    threads outnumber free cores they spin against each other and a fit gets ten times slower."""
    cpus = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this platform
        busy = 0.0
    with threadpool_limits(limits=max(1, min(cpus, int(cpus - busy + 1))), user_api="openmp"):
        yield
