"""The workspace on disk: which dataset is in service, and atomic swaps to a new one.

Layout under TIERWISE_HOME (default ./.tierwise):
    current                 one line: the name of the dataset directory in service
    datasets/<name>/        store.duckdb (orders, customers, features, meta) and model files
    datasets/.staging-*/    a load or build in progress; never read by anyone else

A load writes a complete new dataset into a staging directory and only then replaces the
`current` pointer with os.replace, which is atomic: readers see either the old dataset or the
new one, and a failed load leaves the old one in service.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

from tools.errors import TierwiseError

STORE_FILE = "store.duckdb"
KEEP_PREVIOUS = 1  # datasets kept besides the one in service, for a manual rollback


def default_home() -> Path:
    return Path(os.environ.get("TIERWISE_HOME", ".tierwise")).expanduser()


class Workspace:
    def __init__(self, home: str | Path | None = None):
        self.home = Path(home).expanduser() if home is not None else default_home()
        self.datasets = self.home / "datasets"

    @property
    def pointer(self) -> Path:
        return self.home / "current"

    def current(self) -> Path | None:
        """The dataset directory in service, or None before the first load."""
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        path = self.datasets / name
        return path if (path / STORE_FILE).exists() else None

    def require_current(self) -> Path:
        path = self.current()
        if path is None:
            raise TierwiseError(
                f"No dataset is loaded in {self.home}. Run `tierwise demo` for sample data "
                "or `tierwise load FILE` for your own."
            )
        return path

    def current_store(self) -> Path:
        return self.require_current() / STORE_FILE

    def stage(self, copy_current: bool = False) -> Path:
        """A fresh staging directory; with copy_current, it starts as a copy of the dataset in service."""
        self.datasets.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        staged = self.datasets / f".staging-{stamp}-{uuid.uuid4().hex[:8]}"
        if copy_current:
            shutil.copytree(self.require_current(), staged)
        else:
            staged.mkdir()
        return staged

    def activate(self, staged: Path) -> Path:
        """Put a staged dataset in service atomically and return its final directory."""
        final = self.datasets / staged.name.removeprefix(".staging-")
        staged.rename(final)
        tmp = self.home / f".current.{uuid.uuid4().hex[:8]}"
        tmp.write_text(final.name + "\n", encoding="utf-8")
        os.replace(tmp, self.pointer)
        self._prune(keep=final)
        return final

    def discard(self, staged: Path) -> None:
        shutil.rmtree(staged, ignore_errors=True)

    def _prune(self, keep: Path) -> None:
        done = sorted(
            (p for p in self.datasets.iterdir() if p.is_dir() and not p.name.startswith(".") and p != keep),
            key=lambda p: p.name,
        )
        for old in done[: max(0, len(done) - KEEP_PREVIOUS)]:
            shutil.rmtree(old, ignore_errors=True)
        for stale in self.datasets.glob(".staging-*"):
            # a staging dir older than an hour belongs to a crashed run
            if stale.stat().st_mtime < datetime.now().timestamp() - 3600:
                shutil.rmtree(stale, ignore_errors=True)
