"""The `tierwise` command line: every command can print JSON for scripts (`--json`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any, Callable

from tools.errors import TierwiseError
from tools.output_files import check_output, check_output_dir
from tools.progress import silent, to_stderr
from tools.workspace import Workspace


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; use YYYY-MM-DD, e.g. 2025-12-31")


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _progress(args):
    return silent if getattr(args, "quiet", False) else to_stderr()


def _emit(args, payload: dict[str, Any], human: Callable[[dict[str, Any]], str]) -> None:
    if args.json:
        print(json.dumps(payload, indent=2, default=str, ensure_ascii=False))
    else:
        print(human(payload))


# --- commands ---------------------------------------------------------------------------

DEMO_FILES = ("transactions.csv", "customers.csv", "truth/future_orders.csv", "truth/customers_latent.csv")


def cmd_demo(args) -> int:
    from tools.demo import generate_demo

    out = Path(args.out) if args.out else Workspace().home / "demo"
    # a folder the user names is theirs: its files are replaced only with --force; the default one is Tierwise's
    check_output_dir(out, list(DEMO_FILES), force=args.force or not args.out)
    summary = generate_demo(out, customers=args.customers, seed=args.seed, progress=_progress(args))
    result: dict[str, Any] = {"demo": summary}
    if args.load:
        from tools.loading import load_dataset

        result["load"] = load_dataset(
            Workspace(), out / "transactions.csv", customers=out / "customers.csv",
            progress=_progress(args), demo=True,
        )
    _emit(args, result, _format_demo)
    return 0


def cmd_load(args) -> int:
    from tools.ingest import parse_map_args
    from tools.loading import load_dataset

    mapping = parse_map_args(args.map or [], "transactions")
    customer_mapping = parse_map_args(args.customer_map or [], "customers")
    if args.rejects:
        check_output(args.rejects, force=args.force)
    report = load_dataset(
        Workspace(), args.file, customers=args.customers, mapping=mapping,
        customer_mapping=customer_mapping, as_of=args.as_of, rejects_path=args.rejects,
        build_models=not args.skip_models, progress=_progress(args),
    )
    _emit(args, report, format_load_report)
    return 0


def cmd_build(args) -> int:
    from tools.loading import rebuild

    result = rebuild(Workspace(), as_of=args.as_of, seed=args.seed, progress=_progress(args))
    _emit(args, result, _format_build)
    return 0


def cmd_append(args) -> int:
    from tools.refresh import append_orders

    report = append_orders(Workspace(), args.file, customers=args.customers, refit=args.refit, seed=args.seed,
                           progress=_progress(args))
    _emit(args, report, format_append_report)
    return 0


def cmd_changes(args) -> int:
    from tools.changes import what_changed
    from tools.context import ToolContext
    from tools.dataset import Dataset

    dataset = Dataset()
    ctx = ToolContext(snapshot=dataset.snapshot(), exports_dir=dataset.exports_dir, role="admin",
                      home=dataset.workspace.home)
    result = what_changed(ctx, since=args.since.isoformat() if args.since else None)
    _emit(args, {"summary": result.summary, **result.facts}, lambda r: format_changes(result))
    return 0


def cmd_status(args) -> int:
    from tools.store import dataset_status

    _emit(args, dataset_status(Workspace()), _format_status)
    return 0


def cmd_settings(args) -> int:
    from tools.settings import read_settings, write_settings

    home = Workspace().home
    changes = {key: getattr(args, key) for key in SETTING_OPTIONS if getattr(args, key) is not None}
    result = write_settings(home, **changes) if changes else read_settings(home)
    _emit(args, result, lambda r: "\n".join(f"{k}: {v if v is not None else '(not set)'}" for k, v in r.items()))
    return 0


SETTING_OPTIONS = {
    "currency": "a 3-letter code (USD, EUR, CNY) or a sign ($, €, ¥); '' clears it",
    "margin": "gross margin campaign ROI is computed on: 0.4 or 40%% (default 40%%); '' restores the default",
    "send_cost_email": "cost of sending one email, in your currency (default 0.002)",
    "send_cost_sms": "cost of sending one SMS (default 0.05)",
    "send_cost_push": "cost of sending one push notification (default 0)",
    "shipping_cost": "what one shipment costs you; free-shipping offers are costed at it",
    "shipping_cost_share": "unset shipping cost and no shipping amounts in the data: free shipping is costed as this "
                           "share of the average order value (default 10%%)",
    "models_max_age_days": "days of data after which `tierwise append` refits every model (default 30)",
}


def cmd_bench(args) -> int:
    from tools.bench import run_benchmark, run_clv_benchmark

    if args.clv:
        result = run_clv_benchmark(args.clv, as_of=args.as_of, record=args.record, progress=_progress(args))
        _emit(args, result, lambda r: f"CLV fit on {r['file']} ({r['customers']:,} customers, as of {r['as_of']}): "
                                      f"BG/NBD {r['bgnbd_seconds']:.3f} s, Gamma-Gamma {r['gamma_gamma_seconds']:.3f} s"
                                      + (f"\n  recorded in {r['recorded']}" if r.get("recorded") else ""))
        return 0
    if args.clv_stage:
        from tools.bench import run_clv_stage_benchmark

        result = run_clv_stage_benchmark(customers=args.customers, seed=args.seed, record=args.record,
                                         progress=_progress(args))
        _emit(args, result, lambda r: f"CLV stage on a synthetic shop of {r['customers']:,} customers / {r['orders']:,} "
                                      f"orders: {r['stage_seconds']:.1f} s, {r['stage_cpu_seconds']:.1f} s of CPU (backtest "
                                      f"{r['backtest_seconds']:.1f} s, fits and scoring {r['fit_and_score_seconds']:.1f} s)"
                                      + (f"; lifetimes on the same data: {r['lifetimes_seconds']} s" if r["lifetimes_seconds"] else "")
                                      + ("" if r["converged"] else "; a fit did not converge")
                                      + (f"\n  recorded in {r['recorded']}" if r.get("recorded") else ""))
        return 0
    if args.engine == "spark":
        from tools.bench import run_spark_benchmark

        result = run_spark_benchmark(customers=args.customers, seed=args.seed, record=args.record,
                                     progress=_progress(args))
        _emit(args, result, lambda r: f"Features of {r['customers']:,} customers / {r['order_lines']:,} lines: DuckDB "
                                      f"{r['duckdb_features_seconds']:.1f} s; local Spark ({r['master']}) "
                                      f"{r['spark_features_seconds']:.1f} s (start {r['spark_start_seconds']:.1f} s, Parquet "
                                      f"export {r['export_seconds']:.1f} s), peak {r['peak_rss_mb']:,} MB with the JVM"
                                      + (f"\n  recorded in {r['recorded']}" if r.get("recorded") else ""))
        return 0
    if args.append:
        from tools.bench_append import run_append_benchmark

        result = run_append_benchmark(customers=args.customers, orders=args.append, seed=args.seed, record=args.record,
                                      workdir=args.workdir, progress=_progress(args))
        _emit(args, result, lambda r: f"Appended {r['orders_appended']:,} orders ({r['appended_dates']}) to {r['customers']:,} "
                                      f"customers / {r['order_lines']:,} lines: {r['append_seconds']:.1f} s for the whole "
                                      f"`tierwise append` process, {r['refresh_seconds']:.1f} s inside it; "
                                      f"{r['customers_recomputed'] or 0:,} customers' features recomputed, peak RSS "
                                      f"{r['peak_rss_mb']:,} MB\n  " + ", ".join(f"{k.removesuffix('_seconds')} {v:.2f}"
                                                                           for k, v in r["timings"].items())
                                      + (f"\n  recorded in {r['recorded']}" if r.get("recorded") else ""))
        return 0
    if args.metrics:
        from tools.bench import run_metrics_benchmark

        result = run_metrics_benchmark(customers=args.customers, seed=args.seed, record=args.record,
                                       progress=_progress(args))
        _emit(args, result, lambda r: f"query_metrics at {r['customers']:,} customers / {r['order_lines']:,} lines:\n"
                                      + _format_latency(r) + (f"\n  recorded in {r['recorded']}" if r.get("recorded") else ""))
        return 0
    result = run_benchmark(customers=args.customers, seed=args.seed, record=args.record,
                           progress=_progress(args))
    _emit(args, result, _format_bench)
    return 0


def _snapshot():
    from tools.dataset import Dataset

    return Dataset(Workspace()).snapshot()


def cmd_report(args) -> int:
    from tools.report import model_report, write_html_report

    snap = _snapshot()
    if args.json:
        print(json.dumps(model_report(snap), indent=2, default=str, ensure_ascii=False))
        return 0
    out = write_html_report(snap, args.out, force=args.force)
    print(f"Wrote the model report to {out}")
    return 0


def cmd_scores(args) -> int:
    from tools.report import export_scores

    result = export_scores(_snapshot(), args.out, force=args.force)
    _emit(args, result, lambda r: f"Wrote {r['rows']:,} customer scores to {r['file']}")
    return 0


def _llm_settings(args):
    if not getattr(args, "llm", False):
        return None
    from assistant.llm import LLMSettings

    settings = LLMSettings.from_env()
    if settings is None:
        raise TierwiseError("--llm needs an endpoint: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL "
                            "(any OpenAI-compatible server such as Ollama or vLLM), and optionally TIERWISE_MODEL.")
    return settings


def cmd_ask(args) -> int:
    from assistant.core import Assistant

    from assistant.sessions import load_session, save_session

    assistant = Assistant(Workspace(), llm=_llm_settings(args))
    home = assistant.dataset.workspace.home
    conversation = (load_session(home, args.session, args.role) if args.session
                    else assistant.conversation(role=args.role))
    explanation = None
    if args.explain:  # read before asking: the reading is of the conversation as it stood
        from assistant.explain import explain

        explanation = explain(assistant.planner, args.question, conversation.state, assistant.vocabulary(), role=args.role)
    answer = assistant.ask(args.question, conversation, use_llm=bool(args.llm))
    if args.session:
        save_session(home, args.session, conversation)
    if args.json:
        data = answer.to_json()
        if explanation is not None:
            data["explain"] = explanation
        print(json.dumps(data, indent=2, default=str, ensure_ascii=False))
    else:
        if explanation is not None:
            print(format_explanation(explanation) + "\n")
        print(format_answer(answer, role=args.role))
    return 0


def cmd_chat(args) -> int:
    """An interactive conversation: follow-ups refer to earlier answers; `exit` or Ctrl-D ends it."""
    from assistant.core import Assistant
    from assistant.sessions import load_session, save_session

    assistant = Assistant(Workspace(), llm=_llm_settings(args))
    home = assistant.dataset.workspace.home
    conversation = (load_session(home, args.session, args.role) if args.session
                    else assistant.conversation(role=args.role))
    print(f"Tierwise chat as {args.role}. Ask a question; follow-ups refer to the last answer. "
          "`exit` ends the session.", flush=True)
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            print()
            break
        if question.lower() in ("exit", "quit", "bye", "退出"):
            break
        if not question:
            continue
        answer = assistant.ask(question, conversation, use_llm=bool(args.llm))
        print(format_answer(answer, role=args.role), flush=True)
        if args.session:
            save_session(home, args.session, conversation)
    return 0


def cmd_eval(args) -> int:
    from assistant.core import Assistant
    from assistant.evaluation import run_eval

    result = run_eval(Assistant(Workspace()), args.file)
    if args.json:
        for turn in result["turns"]:
            print(json.dumps(turn, default=str, ensure_ascii=False))
        print(json.dumps({"accuracy": result["accuracy"], "correct": result["correct"], "total": result["total"]}))
    else:
        for turn in result["turns"]:
            if not turn["ok"]:
                calls = ", ".join(f"{c['name']}({c['status']})" for c in turn["tool_calls"]) or "no tool"
                print(f"FAIL {turn['id']}#{turn['turn']}: {calls}")
        print(f"accuracy {result['accuracy']:.1%} ({result['correct']}/{result['total']} turns)")
    return 0


def cmd_latency(args) -> int:
    from assistant.core import Assistant
    from assistant.latency import measure

    from tools.bench import measure_query_metrics

    assistant = Assistant(Workspace())
    result = {} if args.metrics_only else measure(assistant, rounds=args.rounds)
    result["query_metrics"] = measure_query_metrics(assistant.dataset)
    _emit(args, result, _format_latency)
    return 0


def _format_latency(r: dict[str, Any]) -> str:
    lines = []
    if "answers" in r:
        lines.append(f"{r['answers']} offline answers: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
                     f"max {r['max_ms']} ms, {r['errors']} with tool errors")
    lines += [f"query_metrics {name}: p50 {t['p50_ms']} ms, p95 {t['p95_ms']} ms" for name, t in r["query_metrics"].items()]
    return "\n".join(lines)


def cmd_loadtest(args) -> int:
    from ui.loadtest import run_load_test

    Workspace().require_current()
    result = run_load_test(Workspace().home, users=args.users, seconds=args.seconds)
    _emit(args, result, lambda r: f"{r['users']} users for {r['seconds']} s: {r['answers']} answers, "
                                  f"{r['errors']} errors, p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms")
    return 0 if result["errors"] == 0 else 1


def cmd_kb(args) -> int:
    from tools.knowledge import kb_add, kb_list, kb_replaces

    if args.action == "add":
        if not args.file:
            raise TierwiseError("Name the file to add: `tierwise kb add guide.md`.")
        replaced = kb_replaces(args.file)
        result = {"added": str(args.file), "chunks": kb_add(args.file), "replaced_chunks": replaced}
        _emit(args, result, lambda r: (f"Replaced the earlier {Path(r['added']).name} ({r['replaced_chunks']} chunks) "
                                       f"in the knowledge base with {r['added']} ({r['chunks']} chunks)."
                                       if r["replaced_chunks"] else
                                       f"Added {r['added']} to the knowledge base ({r['chunks']} chunks)."))
    else:
        docs = kb_list()
        _emit(args, {"documents": docs}, lambda r: "\n".join(f"{d['source']}  ({d['chunks']} chunks)" for d in r["documents"])
              or "The knowledge base is empty.")
    return 0


def cmd_brand(args) -> int:
    from tools.brand import SET_BRAND_HINT, brand_status, set_brand

    home = Workspace().home
    if args.action == "set":
        result = set_brand(home, name=args.name, voice=args.voice)
    else:
        result = brand_status(home)

    def human(r: dict[str, Any]) -> str:
        lines = [f"brand: {r['brand']}" if r["brand"] else f"brand: (not set; copy signs off neutrally) — {SET_BRAND_HINT['en']}"]
        if r.get("voice_added"):
            lines.append(f"voice: added {r['voice_added']} to the knowledge base ({r['chunks']} chunks)")
        if r.get("voice"):
            lines.append(f"voice: {r['voice']}")
        if r.get("banned_words"):
            lines.append("banned words: " + ", ".join(r["banned_words"]))
        return "\n".join(lines)

    _emit(args, result, human)
    return 0


def cmd_users(args) -> int:
    from ui.auth import UserStore, add_user, remove_user, users_path

    path = Path(args.file).expanduser() if args.file else users_path()
    if args.action == "list":
        store = UserStore.from_file(path) if path.is_file() else UserStore(source=str(path))
        result = {"file": str(path), "users": [{"username": n, "role": store.role(n)} for n in store.names()]}
        _emit(args, result, lambda r: "\n".join(f"{u['username']:<20} {u['role']}" for u in r["users"])
              or f"No users in {r['file']}.")
        return 0
    if not args.name:
        raise TierwiseError(f"Name the user: `tierwise users {args.action} NAME`.")
    if args.action == "remove":
        remove_user(path, args.name)
        _emit(args, {"removed": args.name, "file": str(path)}, lambda r: f"Removed {r['removed']} from {r['file']}.")
        return 0
    if not args.role:
        raise TierwiseError("Give the user a role: --role marketer, support or admin.")
    add_user(path, args.name, args.role, _read_password(args))
    _emit(args, {"added": args.name, "role": args.role, "file": str(path)},
          lambda r: f"Added {r['added']} ({r['role']}) to {r['file']}.")
    return 0


def _read_password(args) -> str:
    """From stdin with --password-stdin (scripts), else asked twice without echo."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise TierwiseError("No terminal to ask for a password: pipe it in with --password-stdin.")
    import getpass

    first = getpass.getpass(f"Password for {args.name}: ")
    if getpass.getpass("Again: ") != first:
        raise TierwiseError("The two passwords differ; nothing was changed.")
    return first


def cmd_serve(args) -> int:
    from assistant.llm import LLMSettings
    from ui.app import serve

    serve(host=args.host, port=args.port, workspace=Workspace(), llm=LLMSettings.from_env())
    return 0


# --- human-readable output --------------------------------------------------------------

def format_load_report(r: dict[str, Any]) -> str:
    reasons = r.get("rejected_by_reason") or {}
    lines = [
        f"Loaded {r.get('file')} ({r.get('format')}, {r.get('encoding')}, "
        f"delimiter {r.get('delimiter')!r}, {'header' if r.get('header') else 'no header'})",
        f"  rows read       {r.get('rows_read', 0):>12,}",
        f"  rows kept       {r.get('rows_kept', 0):>12,}",
        f"  rows rejected   {r.get('rows_rejected', 0):>12,}",
    ]
    lines += [f"    {reason:<22}{n:>10,}" for reason, n in reasons.items()]
    lines += [
        f"  cancelled       {r.get('cancelled', 0):>12,}  (excluded from value)",
        *([f"  anonymous sales {r['anonymous_sales']['lines']:>12,}  (no customer; revenue "
           f"{r['anonymous_sales']['revenue']:,.2f} counted in sales totals, not in customers or models)"]
          if r.get("anonymous_sales") else []),
        f"  duplicate rows  {r.get('duplicate_rows', 0):>12,}  (kept)",
        f"  customers       {r.get('customers', 0):>12,}",
        f"  only cancelled  {r.get('customers_all_cancelled', 0):>12,}  (customers whose every order was cancelled: "
        f"counted here, not among the customers)",
        f"  date range      {r.get('date_min')} .. {r.get('date_max')}, as of {r.get('as_of')}"
        + (f" ({r['orders_after_as_of']:,} orders after it are ignored)"
           if r.get("orders_after_as_of") else ""),
        "  mapping         " + ", ".join(f"{f} <- {c}" for f, c in (r.get("mapping") or {}).items()),
    ]
    for fld, groups in (r.get("merged") or {}).items():
        lines.append(f"  merged {fld:<9}{_merged_text(groups)}")
    sub = r.get("customers_file")
    if sub:
        lines.append(f"  customers file  {sub.get('file')}: {sub.get('rows_kept', 0):,} kept, "
                     f"{sub.get('rows_rejected', 0):,} rejected")
    lines += _format_attributes(r.get("attributes") or [])
    empty = list(r.get("unmapped_columns") or []) + list((sub or {}).get("unmapped_columns") or [])
    if empty:
        lines.append("  not used        " + ", ".join(map(str, empty)) + "  (no values)")
    lines += [f"  note: {w}" for w in r.get("warnings") or []]
    if r.get("models"):
        lines.append("  models")
        lines += _format_models(r["models"])
    if r.get("rejects_file"):
        lines.append(f"  rejected rows written to {r['rejects_file']}")
    return "\n".join(lines)


def _format_attributes(attrs: list[dict[str, Any]]) -> list[str]:
    """One line per kept column: stored name, type, grain, a few values, what was merged."""
    if not attrs:
        return []
    lines = ["  attributes      (the file's other columns, kept)"]
    for a in attrs:
        values = list(a.get("values") or [])
        shown = ", ".join(values[:4]) + (", …" if len(values) > 4 or a.get("distinct", 0) > 4 else "")
        source = f" <- {a['label']}" if a.get("label") != a.get("name") else ""
        if a.get("source_file") == "customers":
            source += " (customers file)"
        line = (f"    {a.get('name')}{source}: {a.get('type')}, per {a.get('grain')}, "
                f"{a.get('distinct', 0):,} distinct: {shown}")
        merged = a.get("merged") or []
        if merged:
            line += "; merged " + _merged_text(merged)
        lines.append(line)
    return lines


def _merged_text(merged: list[dict[str, Any]]) -> str:
    """'Paypal, paypal into PayPal; … and 2 more': spellings merged into the most frequent one."""
    text = "; ".join(f"{', '.join(map(str, m['from']))} into {m['into']}" for m in merged[:3])
    return text + (f" and {len(merged) - 3} more" if len(merged) > 3 else "")


def format_explanation(e: dict[str, Any]) -> str:
    """`ask --explain`: how the offline planner read the question, piece by piece."""
    def show(value: Any) -> str:
        if value is None or value == [] or value == {}:
            return "-"
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)

    pieces, slots = e["pieces"], e["slots"]
    lines = ["How the offline planner read the question:",
             f"  normalised: {e['normalised']}  ({e['language']})",
             "  query pieces: " + "  ".join(f"{k}={show(pieces[k])}" for k in
                                              ("metrics", "by", "filters", "audience", "since", "until", "grain",
                                               "compare", "sort", "limit")),
             "  slots: " + "  ".join(f"{label}={show(slots[k])}" for k, label in
                                     (("filters", "filters"), ("horizon_days", "horizon"), ("offer", "offer"),
                                      ("offer_cost", "offer cost"), ("offer_percent", "offer %"),
                                      ("save_rate", "save rate"), ("channel", "channel"), ("customer", "customer"))),
             "  intents (router probability, cue score):"]
    for row in e["intents"]:
        cue = "-" if row["cue_score"] is None else f"{row['cue_score']:g}"
        lines.append(f"    {row['intent']:<20} {row['probability']:6.1%}   cues {cue}")
    for call in e["calls"]:
        lines.append(f"  call: {call['name']} {json.dumps(call['args'], ensure_ascii=False, default=str)}")
    if not e["calls"]:
        lines.append(f"  no call ({e['planned_intent']}): {e['reply'] or ''}".rstrip())
    return "\n".join(lines)


def format_answer(answer, role: str = "marketer") -> str:
    lines = []
    if answer.notice:
        lines.append(f"({answer.notice})")
    lines.append(answer.text)
    if getattr(answer, "choices", None) and not all(f"{n}. {c}" in answer.text for n, c in enumerate(answer.choices, 1)):
        lines += [f"  {n}. {c}" for n, c in enumerate(answer.choices, 1)]
    for call in answer.tool_calls:
        lines.append(f"  · {call.name} {json.dumps(call.args, ensure_ascii=False)} → {call.status}")
        result = call.result
        if result is None:
            continue
        for table in result.tables[:2]:
            lines.append(f"    {table.title} ({table.total_rows or len(table.rows)} rows)")
            lines.append("    " + " | ".join(table.columns))
            for row in table.rows[:10]:
                lines.append("    " + " | ".join("" if v is None else str(v) for v in row))
        for variant in result.variants or []:
            lines.append("    ---")
            lines += ["    " + f"{k}: {v}" for k, v in variant.items()]
        for path in result.files:
            lines.append(f"    file: {path}")
    return "\n".join(lines)


def _format_models(models: dict[str, Any] | None) -> list[str]:
    lines = []
    verdicts = (models or {}).get("verdicts") or {}
    for name, st in ((models or {}).get("status") or {}).items():
        lines.append(f"  {name:<16} " + (f"built in {st['seconds']:.1f}s" if st.get("available")
                                          else f"not built: {st.get('reason')}"))
        if name in verdicts:
            lines.append(f"  {'':<16} {verdicts[name]['sentence']}")
    return lines


def format_append_report(r: dict[str, Any]) -> str:
    if not r.get("changed"):
        return "\n".join([f"Appended nothing from {r['file']}."] + [f"  note: {w}" for w in r.get("warnings") or []])
    lines = [f"Appended {r['file']}: {r['order_lines_added']:,} order lines"
             + (f" and {r['cancelled_lines_added']:,} cancelled lines" if r.get("cancelled_lines_added") else "")
             + f", {r['customers_added']:,} new customers; {r['duplicate_lines']:,} lines already loaded were left out.",
             f"  as of {r['as_of_before']} -> {r['as_of']}"]
    if r.get("refit"):
        lines.append(f"  every model was refitted ({r['refit']})")
    else:
        refresh = r.get("refresh") or {}
        lines.append(f"  features computed again for {refresh.get('customers_recomputed', 0):,} customers; "
                     f"{refresh.get('customers_scored', 0):,} customers scored with the models fitted as of "
                     f"{r['models_as_of']} ({r['models_age_days']} of at most {r['models_max_age_days']} days old)")
    if r.get("timings", {}).get("total_seconds") is not None:
        lines.append(f"  took {r['timings']['total_seconds']:.1f} s; snapshot {r.get('snapshot')}")
    lines += [f"  note: {w}" for w in r.get("warnings") or []]
    return "\n".join(lines)


def format_changes(result) -> str:
    lines = [result.summary]
    for table in result.tables:
        if not table.rows:
            continue
        lines.append("")
        lines.append(table.title + (f" ({table.total_rows:,})" if table.total_rows and table.total_rows > len(table.rows) else ""))
        lines.append("  " + " | ".join(table.columns))
        for row in table.rows:
            lines.append("  " + " | ".join(_cell(v) for v in row))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _format_build(r: dict[str, Any]) -> str:
    lines = [f"Built features for {r['features']['customers']:,} customers as of {r['as_of']} "
             f"in {r['timings']['total_seconds']:.1f}s:"]
    return "\n".join(lines + _format_models(r.get("models")))


def _format_demo(r: dict[str, Any]) -> str:
    d = r["demo"]
    text = (f"Demo data (seed {d.get('seed')}): {d.get('customers'):,} customers, "
            f"{d.get('rows'):,} order lines up to {d.get('as_of')} in {d.get('paths', {}).get('transactions', '')}")
    if "load" in r:
        text += "\n" + format_load_report(r["load"])
    return text


def _format_status(s: dict[str, Any]) -> str:
    if not s["loaded"]:
        return (f"No dataset loaded in {s['home']}. Run `tierwise demo --load` or "
                "`tierwise load FILE`.")
    return "\n".join([
        f"Dataset {s['dataset']} from {s['source']} (loaded {s['loaded_at']})",
        f"  customers   {s['customers']:>12,}",
        f"  orders      {s['orders']:>12,}  ({s['order_lines']:,} lines)",
        f"  revenue     {s['revenue']:>15,.2f}",
        f"  dates       {s['date_min']} .. {s['date_max']}, as of {s['as_of']}",
        f"  features    {s['features']['customers']:>12,} customers (built {s['features']['built_at']})",
    ])


def _format_bench(r: dict[str, Any]) -> str:
    lines = [f"Benchmark: {r['customers']:,} customers, {r['order_lines']:,} order lines"]
    for stage in r["stages"]:
        lines.append(f"  {stage['stage']:<10} {stage['seconds']:>8.1f} s   peak RSS {stage['peak_rss_mb']:>7,.0f} MB")
    lines.append(f"  load + features: {r['load_and_features_seconds']:.1f} s")
    if r.get("recorded"):
        lines.append(f"  recorded in {r['recorded']}")
    return "\n".join(lines)


# --- parser -----------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tierwise", description="Tierwise: a marketing assistant over your own transaction data.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="print machine-readable JSON")
        p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
        p.set_defaults(func=func)
        return p

    p = command("demo", cmd_demo, "Write the demo dataset (transactions, customers and the truth files).")
    p.add_argument("--customers", type=_positive_int, default=5000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", help="output folder (default: $TIERWISE_HOME/demo)")
    p.add_argument("--load", action="store_true", help="also load it into the workspace")
    p.add_argument("--force", action="store_true", help="replace the demo files already in --out")

    p = command("load", cmd_load, "Load your transactions (CSV, Parquet, Excel) and optional customers file.")
    p.add_argument("file")
    p.add_argument("--customers", help="customers file (id, name, email, country, consent, ...)")
    p.add_argument("--map", action="append", metavar="FIELD=COLUMN",
                   help="use COLUMN (name, or 1-based position in a headerless file) for FIELD; repeatable")
    p.add_argument("--customer-map", action="append", metavar="FIELD=COLUMN",
                   help="the same for the customers file")
    p.add_argument("--as-of", type=_date, help="last observed day (default: the last order date)")
    p.add_argument("--rejects", help="write rejected rows with their reason to this CSV")
    p.add_argument("--force", action="store_true", help="replace the --rejects file if it exists")
    p.add_argument("--skip-models", action="store_true",
                   help="only compute features; build the models later with `tierwise build`")

    p = command("build", cmd_build, "Rebuild features and every model of the loaded dataset.")
    p.add_argument("--as-of", type=_date, help="rebuild as of this day instead of the loaded one")
    p.add_argument("--seed", type=int, default=42, help="random seed of the models (default 42)")

    p = command("append", cmd_append, "Add new orders (and customers) to the loaded dataset and refresh the scores "
                                      "without refitting the models; a file with any bad row changes nothing.")
    p.add_argument("file")
    p.add_argument("--customers", help="customers file with the new customers' details")
    p.add_argument("--refit", action="store_true", help="refit every model after appending (a full build)")
    p.add_argument("--seed", type=int, default=42, help="random seed when models are refitted (default 42)")

    p = command("changes", cmd_changes, "What changed since an earlier snapshot: customers newly at high churn risk, "
                                        "tier and segment moves, KPIs outside their usual range, new high-value customers.")
    p.add_argument("--since", type=_date, help="compare with the last snapshot on or before this day "
                                               "(default: the one before the data in service)")

    command("status", cmd_status, "Show the loaded dataset's counts and date range.")

    p = command("settings", cmd_settings, "Show or change workspace settings (currency, margin, send and shipping costs).")
    for key, help_text in SETTING_OPTIONS.items():
        p.add_argument(f"--{key.replace('_', '-')}", dest=key, help=help_text)

    p = command("ask", cmd_ask, "Ask the assistant a question.")
    p.add_argument("question")
    p.add_argument("--role", default="marketer", choices=["marketer", "support", "admin"])
    p.add_argument("--llm", action="store_true", help="use the OpenAI-compatible endpoint from the environment")
    p.add_argument("--session", metavar="NAME", help="continue (or start) a saved conversation for follow-ups")
    p.add_argument("--explain", action="store_true", help="first print how the question was read: its pieces, the "
                                                          "intent probabilities and the planned call")

    p = command("chat", cmd_chat, "An interactive conversation with history (follow-ups work).")
    p.add_argument("--role", default="marketer", choices=["marketer", "support", "admin"])
    p.add_argument("--llm", action="store_true", help="use the OpenAI-compatible endpoint from the environment")
    p.add_argument("--session", metavar="NAME", help="keep the conversation under this name between runs")

    p = command("eval", cmd_eval, "Run a question set (JSONL) and report the share answered correctly.")
    p.add_argument("file")

    p = command("latency", cmd_latency, "Time offline answers to representative questions on the loaded data.")
    p.add_argument("--rounds", type=_positive_int, default=3)
    p.add_argument("--metrics-only", action="store_true", help="time only query_metrics (no models needed)")

    p = command("loadtest", cmd_loadtest, "Serve the UI on 127.0.0.1 and let simulated users ask mixed questions.")
    p.add_argument("--users", type=_positive_int, default=20)
    p.add_argument("--seconds", type=float, default=60.0)

    p = command("kb", cmd_kb, "Manage the knowledge base of brand guides and past campaigns.")
    p.add_argument("action", choices=["add", "list"])
    p.add_argument("file", nargs="?")

    p = command("brand", cmd_brand, "Show or set the shop's brand: the name that signs campaign copy and its voice.")
    p.add_argument("action", choices=["show", "set"])
    p.add_argument("--name", help="the shop's name, as copy should sign it")
    p.add_argument("--voice", metavar="FILE", help="a brand guide (.md/.txt: Voice:, Banned words:, examples) for the copy")

    p = command("report", cmd_report, "Write every model card with charts to HTML (or print them as JSON).")
    p.add_argument("--out", default="tierwise-report.html")
    p.add_argument("--force", action="store_true", help="replace the --out file if it exists")

    p = command("scores", cmd_scores, "Export one row of scores per customer (CSV or Parquet by extension).")
    p.add_argument("--out", required=True)
    p.add_argument("--force", action="store_true", help="replace the --out file if it exists")

    p = command("users", cmd_users, "Add, remove or list the people who may sign in to the web app.")
    p.add_argument("action", choices=["add", "remove", "list"])
    p.add_argument("name", nargs="?")
    p.add_argument("--role", choices=["marketer", "support", "admin"])
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--file", help="users file (default: $TIERWISE_USERS or $TIERWISE_HOME/users.json)")

    p = command("serve", cmd_serve, "Serve the chat UI.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)

    p = command("bench", cmd_bench, "Generate, load and build at a given size; print seconds and peak memory.")
    p.add_argument("--customers", type=_positive_int, default=100_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--record", action="store_true", help="add the figures to docs/benchmarks.md")
    p.add_argument("--clv", metavar="FILE", help="instead: time the CLV fits on this transaction file")
    p.add_argument("--as-of", type=_date, help="with --clv: the as-of date (default: the last order date)")
    p.add_argument("--metrics", action="store_true", help="instead: load (no models) and time query_metrics warm")
    p.add_argument("--append", type=_positive_int, metavar="K",
                   help="instead: build the demo world of --customers, then time `tierwise append` of K new orders")
    p.add_argument("--workdir", help="with --append: keep the built world here and reuse it on the next run")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb",
                   help="spark: time the feature build on local Spark (TIERWISE_SPARK_MASTER) against DuckDB's")
    p.add_argument("--clv-stage", action="store_true",
                   help="instead: time the CLV stage of a build on a synthetic lifetimes-style shop (--customers, "
                        "200,000 to compare with lifetimes)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except TierwiseError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted; the dataset in service is unchanged.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`tierwise ask … | head`): nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush doesn't complain
        return 0
    except Exception as exc:  # a bug, not a user mistake: say so plainly
        if os.environ.get("TIERWISE_DEBUG"):
            raise
        print(f"Internal error ({type(exc).__name__}: {exc}). The dataset in service is unchanged. "
              "Set TIERWISE_DEBUG=1 to see the traceback and please report it.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
