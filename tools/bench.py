"""`tierwise bench`: generate, load and build at a given size, each stage in its own process.

Each stage runs as a child process so its peak resident memory (ru_maxrss from wait4) is its
own, not the maximum of everything the benchmark did before it.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from tools.errors import TierwiseError
from tools.progress import Progress, silent

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
START, END = "<!-- bench:load:start -->", "<!-- bench:load:end -->"
HEADER = ("| date | customers | order lines | generate s | ingest s | features s | load + features s "
          "| peak RSS MB (load) | full build s | peak RSS MB (build) | answer p50 ms | answer p95 ms | machine |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def _run_stage(args: list[str], env: dict[str, str]) -> tuple[dict[str, Any], float, float]:
    """Run one `tierwise` command; return its JSON, wall seconds and its own peak RSS in MB."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", *args, "--json", "--quiet"],
                                stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise TierwiseError(f"Benchmark stage `tierwise {' '.join(args)}` failed: {stderr.strip()[-500:]}")
    return json.loads(stdout), seconds, usage.ru_maxrss / 1024.0


def run_benchmark(*, customers: int, seed: int = 7, record: bool = False,
                  progress: Progress = silent) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tierwise-bench-") as tmp:
        env = {**os.environ, "TIERWISE_HOME": str(Path(tmp) / "home")}
        data = Path(tmp) / "demo"
        stages = []
        progress(f"generating {customers:,} demo customers")
        demo, secs, rss = _run_stage(["demo", "--customers", str(customers), "--seed", str(seed),
                                      "--out", str(data)], env)
        stages.append({"stage": "generate", "seconds": round(secs, 2), "peak_rss_mb": round(rss)})
        progress("loading and computing features")
        report, secs, rss = _run_stage(["load", str(data / "transactions.csv"),
                                        "--customers", str(data / "customers.csv"), "--skip-models"], env)
        stages.append({"stage": "load", "seconds": round(secs, 2), "peak_rss_mb": round(rss)})
        progress("building every model")
        build, secs, rss = _run_stage(["build"], env)
        stages.append({"stage": "build", "seconds": round(secs, 2), "peak_rss_mb": round(rss)})
        progress("timing offline answers")
        latency, secs, rss = _run_stage(["latency"], env)
        stages.append({"stage": "answers", "seconds": round(secs, 2), "peak_rss_mb": round(rss)})
    result = {
        "customers": customers,
        "order_lines": demo["demo"]["rows"],
        "stages": stages,
        "ingest_seconds": report["timings"]["ingest_seconds"],
        "features_seconds": report["timings"]["features_seconds"],
        "load_and_features_seconds": stages[1]["seconds"],
        "build_seconds": stages[2]["seconds"],
        "models_seconds": build["timings"]["models_seconds"],
        "model_status": {k: v.get("available") for k, v in build["models"]["status"].items()},
        "answer_latency": latency,
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "command": f"tierwise bench --customers {customers}",
    }
    if record:
        result["recorded"] = str(record_result(result))
    return result


def record_result(result: dict[str, Any], path: Path = DOCS) -> Path:
    """Replace this size's row in the load table of docs/benchmarks.md (or add it)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if START not in text:
        text += f"\n{START}\n{HEADER}\n{END}\n"
    head, rest = text.split(START, 1)
    table, tail = rest.split(END, 1)
    rows = [r for r in table.strip().splitlines()[2:] if r.strip()]
    stages = {s["stage"]: s for s in result["stages"]}
    row = (f"| {date.today().isoformat()} | {result['customers']:,} | {result['order_lines']:,} "
           f"| {stages['generate']['seconds']:.1f} | {result['ingest_seconds']:.1f} "
           f"| {result['features_seconds']:.1f} | {result['load_and_features_seconds']:.1f} "
           f"| {stages['load']['peak_rss_mb']:,.0f} | {stages['build']['seconds']:.1f} "
           f"| {stages['build']['peak_rss_mb']:,.0f} | {result['answer_latency']['p50_ms']} "
           f"| {result['answer_latency']['p95_ms']} | {result['machine']} |")
    rows = [r for r in rows if f"| {result['customers']:,} |" not in r] + [row]
    rows.sort(key=lambda r: int(r.split("|")[2].strip().replace(",", "")))
    path.write_text(f"{head}{START}\n{HEADER}\n" + "\n".join(rows) + f"\n{END}{tail}", encoding="utf-8")
    return path
