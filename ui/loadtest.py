"""A bounded load test: N simulated users ask mixed questions through the web API for S seconds.

The app is served in-process on 127.0.0.1 over the workspace given; each simulated user logs in
with gradio_client and asks questions in a loop. Latency is the client's wall time per answer.
"""

from __future__ import annotations

import random
import secrets
import statistics
import threading
import time
from pathlib import Path
from typing import Any

QUESTIONS = (
    ("marketer", "Who is about to churn?"),
    ("marketer", "Break down our customers by RFM segment"),
    ("marketer", "Top 50 customers by lifetime value"),
    ("marketer", "How much revenue should we expect over the next 90 days?"),
    ("marketer", "Draft a win-back email for customers at high risk of churn"),
    ("marketer", "哪些客户快要流失了？"),
    ("marketer", "What does our monthly cohort retention look like?"),
    ("support", "What tier is customer C000042?"),
    ("support", "客户 C000007 是哪个等级？"),
)


def run_load_test(workspace: str | Path, *, users: int = 20, seconds: float = 60, seed: int = 1) -> dict[str, Any]:
    from gradio_client import Client

    from ui.app import build_app, start

    passwords = {"lt-marketer": ("marketer", secrets.token_hex(8)), "lt-support": ("support", secrets.token_hex(8))}
    app = build_app(workspace, users=passwords)
    url = start(app)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def user(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        clients = {}
        while time.monotonic() < deadline:
            role, question = rng.choice(QUESTIONS)
            name = f"lt-{role}"
            try:
                if name not in clients:
                    clients[name] = Client(url, auth=(name, passwords[name][1]), verbose=False)
                started = time.perf_counter()
                answer, _ = clients[name].predict(question, api_name="/ask")
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if not answer:
                        errors.append(f"empty answer to {question!r}")
            except Exception as exc:  # every failure is counted, none stops the test
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    wall = time.monotonic() - started
    app.close()
    latencies.sort()
    return {
        "users": users, "seconds": round(wall, 1), "answers": len(latencies), "errors": len(errors),
        "error_examples": errors[:5],
        "throughput_per_s": round(len(latencies) / wall, 2) if wall else None,
        "p50_ms": round(statistics.median(latencies) * 1000) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000) if latencies else None,
        "max_ms": round(latencies[-1] * 1000) if latencies else None,
    }
