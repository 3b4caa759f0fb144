"""Read access to the dataset in service, shared by every tool call.

Datasets are immutable once in service (loads and builds swap in a new directory), so one
read-only DuckDB connection per dataset is safe; each call gets its own cursor so concurrent
conversations don't share cursor state. When the workspace swaps to a new dataset, the next
call opens it.
"""

from __future__ import annotations

import threading
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from tools import store
from tools.errors import TierwiseError
from tools.workspace import STORE_FILE, Workspace


class Snapshot:
    """One dataset in service: its connection, meta and vocabularies (cached, it never changes)."""

    def __init__(self, path: Path):
        self.path = path
        self.con = store.connect(path / STORE_FILE, read_only=True)
        self.meta = store.read_meta(self.con)
        tables = {r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        self.tables = tables

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        cursor = self.con.cursor()
        try:
            return cursor.execute(sql, params or []).df()
        finally:
            cursor.close()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        cursor = self.con.cursor()
        try:
            row = cursor.execute(sql, params or []).fetchone()
            return row[0] if row else None
        finally:
            cursor.close()

    @property
    def as_of(self) -> date:
        return date.fromisoformat(self.meta["as_of"])

    @property
    def models_ready(self) -> bool:
        return "customer_view" in self.tables

    def require_models(self) -> None:
        if not self.models_ready:
            raise TierwiseError("The models for this dataset are not built yet; run `tierwise build`.")

    @cached_property
    def vocabulary(self) -> dict[str, list[str]]:
        """Values filters may use, taken from the data (for validation and the planner)."""
        def distinct(sql: str) -> list[str]:
            return [v for v in self.query(sql).iloc[:, 0].tolist() if v is not None]

        vocab = {
            "countries": distinct("SELECT DISTINCT country FROM customers WHERE country IS NOT NULL ORDER BY 1"),
            "channels": distinct("SELECT DISTINCT channel FROM orders WHERE channel IS NOT NULL ORDER BY 1"),
            "categories": distinct("SELECT DISTINCT category FROM orders WHERE category IS NOT NULL ORDER BY 1"),
            "products": distinct("SELECT DISTINCT product FROM orders WHERE product IS NOT NULL ORDER BY 1"),
            "segments": [], "personas": [],
            "as_of": [self.as_of.isoformat()],
        }
        if self.models_ready:
            vocab["segments"] = distinct("SELECT DISTINCT segment FROM customer_view WHERE segment IS NOT NULL ORDER BY 1")
            vocab["personas"] = distinct("SELECT DISTINCT persona FROM customer_view WHERE persona IS NOT NULL ORDER BY 1")
        return vocab

    def close(self) -> None:
        self.con.close()


class Dataset:
    """The tools' handle on the workspace: always answers from the dataset currently in service."""

    def __init__(self, workspace: Workspace | None = None):
        self.workspace = workspace or Workspace()
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        current = self.workspace.current()
        if current is None:
            raise TierwiseError("No dataset is loaded yet. An admin can load one with `tierwise load FILE` "
                                "or the Data tab; `tierwise demo --load` loads sample data.")
        with self._lock:
            if self._snapshot is None or self._snapshot.path != current:
                self._snapshot = Snapshot(current)
            return self._snapshot

    @property
    def exports_dir(self) -> Path:
        path = self.workspace.home / "exports"
        path.mkdir(parents=True, exist_ok=True)
        return path
