"""Offline answer latency: representative questions (English and Chinese, every tool) timed end to end."""

from __future__ import annotations

import statistics
import time
from typing import Any

QUESTIONS = (
    ("marketer", "Who is about to churn?"),
    ("marketer", "Which high-value customers are at high risk of churning?"),
    ("marketer", "Break down our customers by RFM segment"),
    ("marketer", "How much revenue is at risk from churn by tier?"),
    ("marketer", "Customers who haven't ordered in 120 days but spent over 500"),
    ("marketer", "Top 50 customers by lifetime value"),
    ("marketer", "Show mid tier customers who bought Electronics"),
    ("marketer", "How much revenue should we expect over the next 90 days?"),
    ("marketer", "What should we recommend to customer {customer}?"),
    ("marketer", "Draft a win-back email for customers at high risk of churn"),
    ("marketer", "If we send a 15 dollar coupon to high churn risk customers, what's the ROI?"),
    ("marketer", "How has monthly revenue developed?"),
    ("marketer", "What does our monthly cohort retention look like?"),
    ("marketer", "How accurate is the churn model?"),
    ("marketer", "哪些客户快要流失了？"),
    ("marketer", "按价值分层统计客户数量"),
    ("support", "What tier is customer {customer}?"),
    ("support", "客户 {customer} 是哪个等级？"),
)


def measure(assistant, *, rounds: int = 3) -> dict[str, Any]:
    """Ask every question `rounds` times in fresh conversations; seconds per answer.

    Questions about one customer name a real one of the loaded data (ids differ between datasets),
    a different one each round."""
    timings, failures = [], 0
    customers = assistant.dataset.snapshot().query(
        "SELECT customer_id FROM customer_view ORDER BY hash(customer_id) LIMIT ?", [rounds])["customer_id"].tolist()
    for round_ in range(rounds):
        for role, question in QUESTIONS:
            question = question.format(customer=customers[round_ % len(customers)])
            started = time.perf_counter()
            answer = assistant.ask(question, assistant.conversation(role=role))
            timings.append(time.perf_counter() - started)
            failures += any(call.status == "error" for call in answer.tool_calls)
    timings.sort()
    return {
        "answers": len(timings),
        "errors": failures,
        "p50_ms": round(statistics.median(timings) * 1000, 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))] * 1000, 1),
        "max_ms": round(timings[-1] * 1000, 1),
    }
