"""A shop's file loaded into a fresh workspace (no models) with a tool context on it, for tests that call the tools
directly and check their figures against pandas on the same file."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tools.context import ToolContext
from tools.dataset import Dataset
from tools.loading import load_dataset
from tools.workspace import Workspace


@contextmanager
def loaded(transactions: Path, home: Path, **load_args) -> Iterator[tuple[dict, ToolContext]]:
    """(load report, tool context) of `transactions` loaded into workspace `home`; the snapshot is closed after."""
    report = load_dataset(Workspace(home), transactions, build_models=False, **load_args)
    ds = Dataset(Workspace(home))
    ctx = ToolContext(snapshot=ds.snapshot(), exports_dir=ds.exports_dir)
    try:
        yield report, ctx
    finally:
        ctx.snapshot.close()
