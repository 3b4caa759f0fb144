"""Where Tierwise's Ibis expressions run: the store's own DuckDB (the default) or Spark.

`TIERWISE_ENGINE` picks it (`duckdb` or `spark`). The feature build, the order-level model inputs (churn
features and labels, the CLV backtest's purchase summary) and the semantic layer ask this module for their
tables and run their expressions through it; nothing else branches on the engine. Everything else of a
dataset -- its meta, the per-customer model fits, scores -- stays in the DuckDB store, which holds one row
per customer and fits one machine up to tens of millions of customers.

Spark (`TIERWISE_ENGINE=spark`)
    TIERWISE_SPARK_MASTER      master URL (default local[2])
    TIERWISE_SPARK_SOURCE      an orders Parquet file or folder in the store's columns (customer_id, order_date,
                               amount, and any of order_id, product, category, quantity, channel, status) that
                               Spark reads instead of the workspace's own orders
    TIERWISE_SPARK_OUTPUT      a folder features and scores are also written to, as Parquet, for the lake
    TIERWISE_SPARK_PARTITIONS  shuffle partitions (default 4, right for local mode; raise it on a cluster)
    TIERWISE_SPARK_MEMORY      driver memory (default 2g)
    TIERWISE_SPARK_CONF        any other Spark settings, `key=value` pairs separated by `;`

A workspace's tables reach Spark as Parquet files exported beside its store (`spark/in/<table>.parquet`),
once per content: an export is reused while the table's fingerprint (its columns, row count and a hash of
every row) is unchanged, so a rebuild or a restart reads the files already there. Features computed on Spark
are written as Parquet (`spark/out/features.parquet`) and land in the store from that file, where the model
fits read them; scores are written back as `spark/out/scores.parquet`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
import uuid
import warnings
from pathlib import Path
from typing import Any, Callable, Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from tools.errors import TierwiseError

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")
DEFAULT_MASTER = "local[2]"
DEFAULT_PARTITIONS = 4  # local mode on a couple of cores: Spark's 200 would be 200 tiny tasks per shuffle
DEFAULT_MEMORY = "2g"
SPARK_FOLDER = "spark"  # beside store.duckdb: in/ holds exports for Spark, out/ what Spark and the build wrote
LANDED_TABLES = ("features", "scores")  # what a Spark build writes out for the lake

_lock = threading.RLock()
_session = None
_backend = None
_views: set[str] = set()
_memory_dirs: dict[int, Path] = {}


def configured() -> EngineName:
    """The engine TIERWISE_ENGINE names (duckdb when unset)."""
    name = os.environ.get("TIERWISE_ENGINE", "").strip().lower() or "duckdb"
    if name not in ENGINES:
        raise TierwiseError(f"TIERWISE_ENGINE is '{name}'; use one of: {', '.join(ENGINES)}.")
    return name  # type: ignore[return-value]


class Engine:
    """Tables of one DuckDB store as Ibis tables of the engine, and how to run expressions on them."""

    name: EngineName

    def __init__(self, con, *, cursor: Callable[[], Any] | None = None):
        self.con = con
        # a cursor per statement: a snapshot is read by many conversations at once
        self._cursor = cursor or con.cursor

    def sql(self, statement: str, params: list[Any] | None = None) -> pd.DataFrame:
        """A DuckDB statement on the store (meta reads, imports, exports)."""
        cur = self.cursor()
        try:
            return cur.execute(statement, params or []).df()
        finally:
            cur.close()

    def cursor(self):
        """A cursor of the store that prints nothing: DuckDB's progress bar would land in a command's JSON."""
        cur = self._cursor()
        cur.execute("SET enable_progress_bar = false")
        return cur

    @property
    def reads_store_orders(self) -> bool:
        """Whether `orders` is the store's own table (not a lake source read instead)."""
        return True

    def columns(self, name: str) -> set[str] | None:
        """The columns the engine's `name` has when they may differ from the store's (a lake source), else None."""
        return None

    def has(self, name: str) -> bool:
        return bool(self.sql("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = "
                             "current_schema() AND table_name = ?", [name])["n"].iloc[0])

    def table(self, name: str) -> ir.Table | None:
        """The table as an Ibis table bound to the engine; None when the store has no such table."""
        raise NotImplementedError

    def relation(self, name: str) -> str:
        """The name an unbound `ibis.table(schema, name=...)` needs for `run` to find this table."""
        raise NotImplementedError

    def run(self, expr: ir.Expr) -> pd.DataFrame:
        raise NotImplementedError

    def store_table(self, expr: ir.Table, name: str) -> None:
        """Compute `expr` and keep it as table `name` of the store (replacing it)."""
        raise NotImplementedError

    def publish(self, name: str) -> Path | None:
        """Write a store table out as Parquet for the lake (Spark); the path written, or None."""
        return None


class DuckDBEngine(Engine):
    name: EngineName = "duckdb"

    def table(self, name: str) -> ir.Table | None:
        return ibis.duckdb.from_connection(self.con).table(name) if self.has(name) else None

    def relation(self, name: str) -> str:
        return name

    def run(self, expr: ir.Expr) -> pd.DataFrame:
        # compiled to SQL and run by DuckDB itself: Ibis's own DDL is unreliable on DuckDB 2
        return self.sql(ibis.to_sql(expr, dialect="duckdb"))

    def store_table(self, expr: ir.Table, name: str) -> None:
        self.sql(f"CREATE OR REPLACE TABLE {quote(name)} AS {ibis.to_sql(expr, dialect='duckdb')}")


class SparkEngine(Engine):
    name: EngineName = "spark"

    def __init__(self, con, *, cursor: Callable[[], Any] | None = None):
        super().__init__(con, cursor=cursor)
        self.backend = spark_backend()
        self.session = self.backend._session
        self.folder = _store_folder(self)
        self.source = os.environ.get("TIERWISE_SPARK_SOURCE", "").strip() or None

    @property
    def reads_store_orders(self) -> bool:
        return self.source is None

    def columns(self, name: str) -> set[str] | None:
        if name == "orders" and self.source:
            return set(self.session.table(self._source_view()).columns)
        return None

    def table(self, name: str) -> ir.Table | None:
        view = self._view(name)
        return None if view is None else self.backend.table(view)

    def relation(self, name: str) -> str:
        view = self._view(name)
        if view is None:
            raise TierwiseError(f"The store has no `{name}` table for Spark to read.")
        return view

    def run(self, expr: ir.Expr) -> pd.DataFrame:
        return self.backend.execute(expr.as_table())

    def store_table(self, expr: ir.Table, name: str) -> None:
        out = self.folder / "out" / f"{quote(name).strip(chr(34))}.parquet"
        staged = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}")
        out.parent.mkdir(parents=True, exist_ok=True)
        self.backend.to_parquet(expr, staged, mode="overwrite")
        _replace(staged, out)
        # cast to the types the expression declares: Spark's own (int for a day difference) would differ
        # from what a DuckDB build stores
        schema = expr.schema()
        select = ", ".join(f"CAST({_column(c)} AS {duckdb_type(t)}) AS {_column(c)}" for c, t in schema.items())
        order = " ORDER BY customer_id" if "customer_id" in schema else ""
        self.sql(f"CREATE OR REPLACE TABLE {quote(name)} AS SELECT {select} "
                 f"FROM read_parquet({_literal(str(out / '*.parquet'))}){order}")
        _copy_to_output(out)

    def publish(self, name: str) -> Path | None:
        return _publish(self, self.folder, name)

    def _view(self, name: str) -> str | None:
        """A Spark temporary view of the table, registered once per file and content."""
        if name == "orders" and self.source:
            return self._source_view()
        if not self.has(name):
            return None
        key = fingerprint(self, name)
        path = self.folder / "in" / f"{quote(name).strip(chr(34))}.parquet"
        view = f"tw_{re.sub(r'[^A-Za-z0-9_]', '_', name)}_{_digest(f'{path}|{key}')[:16]}"
        with _lock:
            if view in _views:
                return view
            stamp = path.with_suffix(".fingerprint")
            if not (path.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == key):
                _export(self, name, path)
                stamp.write_text(key, encoding="utf-8")
            self.session.read.parquet(str(path)).createOrReplaceTempView(view)
            _views.add(view)
        return view

    def _source_view(self) -> str:
        path = Path(self.source).expanduser()
        if not path.exists():
            raise TierwiseError(f"TIERWISE_SPARK_SOURCE points to {path}, which does not exist; give the orders "
                                "Parquet file or folder Spark should read.")
        frame = self.session.read.parquet(str(path))
        missing = [c for c in ("customer_id", "order_date", "amount") if c not in frame.columns]
        if missing:
            raise TierwiseError(f"The Spark source {path} has no {', '.join(missing)} column; it needs the store's "
                                "columns: customer_id, order_date, amount (and optionally order_id, product, "
                                "category, quantity, channel, status).")
        view = f"tw_source_{_digest(str(path.resolve()))[:16]}"
        # registered again on each use, so files added to the lake since are read
        frame.createOrReplaceTempView(view)
        return view


def publish(con, name: str) -> Path | None:
    """Write store table `name` out as Parquet for the lake when TIERWISE_ENGINE is spark (as a Spark build does:
    spark/out/<name>.parquet beside the store, and TIERWISE_SPARK_OUTPUT's copy); None on DuckDB. DuckDB writes it,
    so no Spark session is started: an append re-publishes the scores it refreshed this way."""
    if configured() != "spark":
        return None
    local = DuckDBEngine(con)
    return _publish(local, _store_folder(local), name)


def _publish(engine: Engine, folder: Path, name: str) -> Path:
    out = folder / "out" / f"{quote(name).strip(chr(34))}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}")
    engine.sql(f"COPY (SELECT * FROM {quote(name)}) TO {_literal(str(staged))} (FORMAT parquet)")
    _replace(staged, out)
    _copy_to_output(out)
    return out


def for_store(con, *, engine: EngineName | None = None) -> Engine:
    """The engine for a store connection (a build's, read-write)."""
    return _ENGINE_CLASSES[engine or configured()](con)


def for_snapshot(snap, *, engine: EngineName | None = None) -> Engine:
    """The engine for a dataset in service (read-only, queried by many conversations at once)."""
    return _ENGINE_CLASSES[engine or configured()](snap.con, cursor=snap.con.cursor)


_ENGINE_CLASSES: dict[str, type[Engine]] = {"duckdb": DuckDBEngine, "spark": SparkEngine}


def spark_session():
    """The process's one SparkSession, started on first use from the TIERWISE_SPARK_* settings."""
    global _session
    with _lock:
        if _session is not None:
            return _session
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise TierwiseError("TIERWISE_ENGINE=spark needs PySpark: install it with "
                                "`pip install 'tierwise[spark]'` (and a Java 17+ runtime).") from None
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise TierwiseError("TIERWISE_ENGINE=spark needs a Java 17+ runtime and none is installed: "
                                "`apt-get install openjdk-17-jre-headless` (or set JAVA_HOME).")
        # PySpark 4 warns on every pandas conversion that pandas 3 is newer than it has been tested with; the
        # conversions Ibis makes (Arrow-backed, typed by Ibis) are checked by the parity tests instead
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
        warnings.filterwarnings("ignore", message="The copy keyword is deprecated", module="pyspark")
        builder = (SparkSession.builder
                   .master(os.environ.get("TIERWISE_SPARK_MASTER", "").strip() or DEFAULT_MASTER)
                   .appName("tierwise")
                   .config("spark.sql.shuffle.partitions",
                           os.environ.get("TIERWISE_SPARK_PARTITIONS", "").strip() or str(DEFAULT_PARTITIONS))
                   .config("spark.driver.memory", os.environ.get("TIERWISE_SPARK_MEMORY", "").strip() or DEFAULT_MEMORY)
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                   .config("spark.sql.session.timeZone", "UTC"))
        for key, value in extra_conf().items():
            builder = builder.config(key, value)
        try:
            _session = builder.getOrCreate()
        except Exception as exc:  # the JVM did not start: say what to fix, not py4j's words
            raise TierwiseError(f"Spark could not start ({str(exc).strip().splitlines()[0][:200]}). It needs a Java "
                                "17+ runtime (`apt-get install openjdk-17-jre-headless`) and a reachable "
                                "TIERWISE_SPARK_MASTER.") from exc
        _session.sparkContext.setLogLevel("ERROR")
        return _session


def extra_conf() -> dict[str, str]:
    """TIERWISE_SPARK_CONF: more Spark settings, `key=value` pairs separated by `;`."""
    text = os.environ.get("TIERWISE_SPARK_CONF", "").strip()
    conf = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip().startswith("spark."):
            raise TierwiseError(f"TIERWISE_SPARK_CONF has '{item}'; write Spark settings as key=value pairs "
                                "separated by ';', e.g. spark.executor.memory=4g;spark.sql.shuffle.partitions=64.")
        conf[key.strip()] = value.strip()
    return conf


def stop_spark() -> None:
    """Stop the process's SparkSession and its JVM (the next use starts a new one)."""
    global _session, _backend
    with _lock:
        if _session is None:
            return
        from pyspark import SparkContext

        _session.stop()
        gateway = SparkContext._gateway
        if gateway is not None:  # the JVM would otherwise live on, idle, until Python exits
            gateway.shutdown()
            proc = getattr(gateway, "proc", None)
            if proc is not None:
                proc.stdin.close() if proc.stdin else None
                proc.wait(timeout=30)
            SparkContext._gateway = None
            SparkContext._jvm = None
        _session = _backend = None
        _views.clear()


def spark_backend():
    """Ibis's PySpark backend on the process's SparkSession."""
    global _backend
    with _lock:
        if _backend is None:
            _backend = ibis.pyspark.connect(spark_session())
        return _backend


def fingerprint(engine: Engine, name: str) -> str:
    """What a table holds, in a few bytes: its columns and types, row count and the sum of its rows' hashes."""
    columns = engine.sql("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                         "AND table_schema = current_schema() ORDER BY ordinal_position", [name])
    cur = engine.cursor()
    try:
        rows, total = cur.execute(f"SELECT count(*), sum(hash(t)) FROM {quote(name)} t").fetchone()
    finally:
        cur.close()
    described = ",".join(f"{c}:{t}" for c, t in zip(columns["column_name"], columns["data_type"]))
    return _digest(f"{name}|{described}|{rows}|{total}")


def duckdb_type(dtype) -> str:
    from ibis.backends.sql.datatypes import DuckDBType

    return DuckDBType.to_string(dtype)


def quote(identifier: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", identifier):
        raise TierwiseError(f"`{identifier}` is not a usable table or column name; use letters, digits and "
                            "underscores.")
    return f'"{identifier}"'


def _export(engine: Engine, name: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    cur = engine.cursor()
    try:
        cur.execute(f"COPY (SELECT * FROM {quote(name)}) TO {_literal(str(staged))} (FORMAT parquet)")
    finally:
        cur.close()
    _replace(staged, path)


def _store_folder(engine: Engine) -> Path:
    """The Spark folder beside the store file (a temporary one for an in-memory store)."""
    path = engine.sql("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")["path"].iloc[0]
    if path and not pd.isna(path) and path != ":memory:":
        return Path(path).resolve().parent / SPARK_FOLDER
    with _lock:
        if id(engine.con) not in _memory_dirs:
            _memory_dirs[id(engine.con)] = Path(tempfile.mkdtemp(prefix="tierwise-spark-"))
        return _memory_dirs[id(engine.con)]


def _copy_to_output(path: Path) -> None:
    """Also write a result to TIERWISE_SPARK_OUTPUT, when set (the lake's copy)."""
    target = os.environ.get("TIERWISE_SPARK_OUTPUT", "").strip()
    if not target:
        return
    folder = Path(target).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / f".{path.name}.{uuid.uuid4().hex[:8]}"
    if path.is_dir():
        shutil.copytree(path, staged)
    else:
        shutil.copy2(path, staged)
    _replace(staged, folder / path.name)


def _replace(staged: Path, final: Path) -> None:
    """Put a finished file or folder in place of the old one."""
    if final.is_dir() and not final.is_symlink():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        final.rename(old)
        staged.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staged, final)


def _column(name: str) -> str:
    """Any column name as a DuckDB identifier (share columns keep a category's own letters: share_cat_美妆)."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
