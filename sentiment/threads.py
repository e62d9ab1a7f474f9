"""How many CPU threads torch uses per worker, so that workers x threads fit the cores this process may use."""

from __future__ import annotations

import os

import torch

ENV = "SENTIMENT_THREADS"


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system reports one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def set_threads(workers: int = 1, requested: int | None = None) -> int:
    """Set torch's threads per worker and return the number: `requested` (a flag), else $SENTIMENT_THREADS, else
    the cores divided among `workers` (at least one). More threads than cores only makes workers wait for each
    other, the more so when other processes share the machine."""
    n = requested or int(os.environ.get(ENV) or 0) or max(1, cores() // max(workers, 1))
    torch.set_num_threads(n)
    return n
