"""Tools about customers: find an audience, summarise groups, look one customer up, export."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from tools import charts, verdicts
from tools.audience import RANKED_AMOUNTS, SORT_SQL, AudienceFilters, SortKey, compile_where, describe, resolve_filters
from tools.context import ToolContext
from tools.csv_cells import write_csv
from tools.errors import TierwiseError
from tools.pii import same_name_sql
from tools.results import ToolResult, count, frame_to_table, money

GroupBy = Literal["tier", "segment", "persona", "churn_risk", "country", "channel", "category"]
GROUP_SQL = {"tier": "tier", "segment": "segment", "persona": "persona", "churn_risk": "churn_risk",
             "country": "country", "channel": "top_channel", "category": "top_category"}
PREVIEW_COLUMNS = ("customer_id", "tier", "segment", "persona", "churn_probability", "churn_risk",
                   "clv_12m", "total_spend", "orders", "last_order_date", "country")
# a list about churn shows what is at stake and why, in place of persona and country
CHURN_PREVIEW_COLUMNS = ("customer_id", "tier", "segment", "churn_probability", "churn_risk", "value_at_risk",
                         "retained_value_12m", "total_spend", "orders", "last_order_date", "churn_reasons[1] AS why")
MAX_LIMIT = 1000


def audience_where(ctx: ToolContext, audience: AudienceFilters | None) -> tuple[AudienceFilters, str, list[Any]]:
    snap = ctx.snapshot
    snap.require_models()
    filters = resolve_filters(audience or AudienceFilters(), snap.vocabulary)
    where, params = compile_where(filters, snap.as_of)
    return filters, where, params


def find_customers(ctx: ToolContext, audience: AudienceFilters | None = None, *,
                   sort_by: SortKey | None = None, limit: int = 20) -> ToolResult:
    """Find the customers matching the filters: how many, their value and revenue at risk, and a preview."""
    if not 1 <= limit <= MAX_LIMIT:
        raise TierwiseError(f"limit must be between 1 and {MAX_LIMIT}; got {limit}.")
    filters, where, params = audience_where(ctx, audience)
    snap = ctx.snapshot
    has_view = _has_column(snap, "customer_view", "value_at_risk")  # a dataset built before value at risk existed
    stats = snap.query(f"""
        SELECT count(*) AS customers, sum(clv_12m) AS value_12m,
               sum(churn_probability * clv_12m) AS revenue_at_risk, sum(total_spend) AS total_spend,
               {'sum(value_at_risk)' if has_view else 'NULL'} AS value_at_risk,
               avg(churn_probability) AS avg_churn_probability, avg(recency_days) AS avg_days_since_last_order,
               sum(CASE WHEN email_consent THEN 1 ELSE 0 END) AS with_consent
        FROM customer_view WHERE {where}""", params).iloc[0]
    about_churn = bool(filters.churn_risk or filters.min_churn_probability or sort_by == "churn_probability")
    at_baseline = about_churn and verdicts.at_baseline(snap.meta, "churn")
    sort = sort_by or default_sort(filters, churn_at_baseline=at_baseline)
    if sort == "value_at_risk" and not has_view:
        sort = "churn_probability"
    columns = CHURN_PREVIEW_COLUMNS if about_churn and has_view else PREVIEW_COLUMNS
    preview = snap.query(
        f"SELECT {', '.join(columns)} FROM customer_view WHERE {where} "
        f"ORDER BY {SORT_SQL[sort]}, customer_id LIMIT ?", params + [limit])
    n = int(stats["customers"])
    who = describe(filters)
    notice = verdicts.notice(snap.meta, "churn") if at_baseline else None
    summary = (f"{count(n)} customers match ({who}). Expected 12-month value {money(stats['value_12m'])}, "
               f"of which {money(stats['revenue_at_risk'])} is at risk of churn; they spent "
               f"{money(stats['total_spend'])} so far.") if n else f"No customers match ({who})."
    if n and filters.churn_risk == "high" and pd.notna(stats["value_at_risk"]):
        summary += (f" If nothing is done, about {money(stats['value_at_risk'])} of what they would spend over "
                    f"the next 12 months is expected to be lost.")
    if notice:
        summary = f"{notice} {summary}"
    facts = {"customers": n, "value_12m": _num(stats["value_12m"]), "revenue_at_risk": _num(stats["revenue_at_risk"]),
             "value_at_risk": _num(stats["value_at_risk"]),
             "total_spend": _num(stats["total_spend"]), "avg_churn_probability": _num(stats["avg_churn_probability"]),
             "avg_days_since_last_order": _num(stats["avg_days_since_last_order"]),
             "with_email_consent": int(stats["with_consent"]) if pd.notna(stats["with_consent"]) else 0, "sorted_by": sort}
    column = RANKED_AMOUNTS.get(sort)
    if n and column in preview.columns and pd.notna(preview[column].iloc[0]):
        facts["top_customer"] = str(preview["customer_id"].iloc[0])
        facts["top_value"] = _num(preview[column].iloc[0])
        summary += f" First by {sort.replace('_', ' ')}: {facts['top_customer']} ({facts['top_value']:,.2f})."
    if notice:
        facts["notice"] = notice
    return ToolResult(summary=summary, facts=facts,
                      tables=[frame_to_table(f"Top {min(limit, n)} by {SORT_TITLES.get(sort, sort.replace('_', ' '))}",
                                             preview, total=n)],
                      audience=filters.active())


def _has_column(snap, table: str, column: str) -> bool:
    return bool(snap.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
                            [table, column]))


SORT_TITLES = {"value_at_risk": "value at risk (value if retained × churn probability)",
               "days_since_last_order": "days since the last order"}


def default_sort(filters: AudienceFilters, *, churn_at_baseline: bool = False) -> SortKey:
    """How a list is ranked when the question doesn't say: about to churn by expected value at risk
    (by days since the last order when the churn model is no better than that), lapsed customers by
    what they used to spend, everyone else by expected value."""
    if filters.churn_risk == "lapsed":
        return "total_spend"
    if filters.churn_risk or filters.min_churn_probability:
        return "days_since_last_order" if churn_at_baseline else "value_at_risk"
    return "clv"


# segment_summary groups customers once each: channel and category are each customer's main one
SUMMARY_DIMENSION = {"channel": "main_channel", "category": "main_category"}
SUMMARY_METRICS = {"customers": "customers", "value_12m": "expected_value_12m", "total_spend": "revenue", "aov": "aov",
                   "avg_days_since_last_order": "avg_days_since_last_order",
                   "avg_churn_probability": "churn_probability", "revenue_at_risk": "revenue_at_risk"}


def segment_summary(ctx: ToolContext, audience: AudienceFilters | None = None, *, by: GroupBy = "segment") -> ToolResult:
    """One row per group (tier, segment, persona, churn_risk, country, channel or category): size, share, value, AOV, recency, churn."""
    from tools.metrics import audience_conditions, run_metrics  # a preset over the semantic layer

    if by not in GROUP_SQL:
        raise TierwiseError(f"Unknown grouping '{by}'. Choose one of {', '.join(GROUP_SQL)}.")
    filters, _, _ = audience_where(ctx, audience)
    frame, q = run_metrics(ctx, metrics=list(SUMMARY_METRICS.values()), by=[SUMMARY_DIMENSION.get(by, by)],
                           audience=audience_conditions(filters.active()), sort="expected_value_12m", limit=1000)
    if frame.empty:
        return ToolResult(summary=f"No customers match ({describe(filters)}).", audience=filters.active())
    frame = frame.rename(columns={SUMMARY_DIMENSION.get(by, by): by, **{v: k for k, v in SUMMARY_METRICS.items()}})
    frame.insert(2, "share", frame["customers"] / frame["customers"].sum())
    top = frame.iloc[0]
    summary = (f"{len(frame)} {by} groups over {count(frame['customers'].sum())} customers ({describe(filters)}). "
               f"'{top[by]}' holds the most expected value: {money(top['value_12m'])} "
               f"({top['share']:.0%} of customers); revenue at risk in total {money(frame['revenue_at_risk'].sum())}.")
    chart = charts.bar(f"Expected 12-month value by {by}", frame[by].astype(str).tolist(),
                       [round(float(v or 0), 2) for v in frame["value_12m"]], y_title="expected value")
    facts = {"groups": len(frame), "by": by,
             "rows": frame[[by, "customers", "share", "value_12m", "revenue_at_risk"]].round(4).to_dict(orient="records")}
    return ToolResult(summary=summary, facts=facts, tables=[frame_to_table(f"Customers by {by}", frame)],
                      chart=chart, audience=filters.active())


def _num(value):
    return None if value is None or pd.isna(value) else round(float(value), 2)


ID_LIKE = re.compile(r"^[A-Za-z]{0,4}\d{1,12}$")
MIN_PARTIAL_NAME = 3  # characters of a name searched as a part; a whole name of any length matches exactly


def like_literal(text: str) -> str:
    """Text for a LIKE pattern that matches itself only (backslash is the escape character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def customer_lookup(ctx: ToolContext, *, query: str) -> ToolResult:
    """Profile of one customer by id, email or name: tier, segment, churn risk and reasons, CLV, last orders, recommendations, next best action."""
    from tools.models import BY_ID_VIEW

    snap = ctx.snapshot
    snap.require_models()
    text = (query or "").strip()
    if not text:
        raise TierwiseError("Tell me which customer: an id like C000042, an email or a name.")
    matches = snap.query("""
        SELECT customer_id, name, email FROM customers
        WHERE lower(customer_id) = lower(?) OR lower(email) = lower(?) OR lower(trim(name)) = lower(?)
        ORDER BY customer_id LIMIT 6""", [text, text, text])
    if matches.empty and not ID_LIKE.match(text):
        # the same name written another way: "Marino, Riccardo", "fernandez marco", "MeganMoore"
        matches = snap.query(f"SELECT customer_id, name, email FROM customers WHERE name IS NOT NULL AND "
                             f"{same_name_sql('name', '$query')} ORDER BY customer_id LIMIT 6", {"query": text})
    if matches.empty and not ID_LIKE.match(text):
        if len(text) < MIN_PARTIAL_NAME:
            raise TierwiseError(f"No customer found for '{text}'. A part of a name needs at least {MIN_PARTIAL_NAME} "
                                "characters; or give the customer id (e.g. C000042) or the full email.")
        # the query is a literal part of a name: % and _ in it match themselves, never "any name"
        matches = snap.query("SELECT customer_id, name, email FROM customers WHERE name ILIKE ? ESCAPE '\\' "
                             "ORDER BY customer_id LIMIT 6", [f"%{like_literal(text)}%"])
    if matches.empty:
        raise TierwiseError(f"No customer found for '{text}'. Try the customer id (e.g. C000042) or the full email.")
    if len(matches) > 1:
        ids = matches["customer_id"].tolist()
        return ToolResult(summary=f"{len(ids)} customers match '{text}': {', '.join(ids[:5])}. Which one?",
                          facts={"candidates": ids},
                          pii={r.customer_id: {"name": r.name, "email": r.email} for r in matches.itertuples()})
    cid = matches.iloc[0]["customer_id"]
    view = BY_ID_VIEW if BY_ID_VIEW in snap.tables else "customer_view"  # the same row, found by id
    row = snap.query(f"SELECT * FROM {view} WHERE customer_id = ?", [cid])
    if row.empty:
        raise TierwiseError(f"Customer {cid} has no orders on or before {snap.as_of}, so there is no profile yet.")
    p = row.iloc[0]
    orders = snap.query("""
        SELECT order_date, coalesce(order_id, '') AS order_id, coalesce(product, '') AS product,
               coalesce(category, '') AS category, amount, coalesce(channel, '') AS channel
        FROM orders WHERE customer_id = ? AND order_date <= ? ORDER BY order_date DESC LIMIT 5""", [cid, snap.as_of])
    recs = recommend_for_customers(snap, [cid], 3)
    reasons = list(p["churn_reasons"]) if p.get("churn_reasons") is not None else []
    action = next_best_action(p, recs)
    facts = {
        "customer_id": cid, "tier": p.get("tier"), "segment": p.get("segment"), "persona": p.get("persona"),
        "churn_probability": _num(p.get("churn_probability")), "churn_risk": p.get("churn_risk"),
        "churn_reasons": reasons, "clv_12m": _num(p.get("clv_12m")), "p_alive": _num(p.get("p_alive")),
        "next_order_date": _date(p.get("next_order_date")), "orders": int(p["orders"]),
        "total_spend": _num(p["total_spend"]), "last_order_date": _date(p["last_order_date"]),
        "days_since_last_order": int(p["recency_days"]), "country": p.get("country"),
        "recommendations": recs["product"].tolist() if not recs.empty else [], "next_best_action": action,
    }
    risk = f"{facts['churn_risk']} churn risk ({facts['churn_probability']:.0%})" if facts["churn_probability"] is not None else "churn risk unknown"
    summary = (f"Customer {cid}: {facts['tier'] or '?'} tier, {str(facts['segment'] or '?').replace('_', ' ')} segment, "
               f"{risk}. {facts['orders']} orders, {money(facts['total_spend'])} spent, last order "
               f"{facts['days_since_last_order']} days ago. Expected 12-month value {money(facts['clv_12m'])}. "
               f"Next best action: {action}")
    return ToolResult(summary=summary, facts=facts, customer_id=cid,
                      tables=[frame_to_table("Last orders", orders)] + ([frame_to_table("Recommended", recs[["product", "reason"]])] if not recs.empty else []),
                      pii={cid: {"name": matches.iloc[0]["name"], "email": matches.iloc[0]["email"]}})


def _date(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def next_best_action(p, recs: pd.DataFrame) -> str:
    """A rule of thumb from the profile; rules are ordered from most to least urgent."""
    product = recs.iloc[0]["product"] if not recs.empty else None
    risk, tier, segment = p.get("churn_risk"), p.get("tier"), p.get("segment")
    if risk == "lapsed":
        return "already lapsed by their own buying rhythm: only a win-back offer sized to what they used to spend is worth sending."
    if risk == "high" and tier == "high":
        return "personal win-back: a call or a tailored offer from the account team."
    if risk == "high":
        return "send a win-back email with an incentive."
    if segment in ("new_customers", "promising"):
        return f"nudge a second purchase{f' with {product}' if product else ''}."
    if segment in ("champions", "loyal") or tier == "high":
        return "invite to the loyalty programme or VIP early access."
    return f"cross-sell {product}." if product else "keep in the regular newsletter."


def recommend_for_customers(snap, customer_ids: list[str], k: int) -> pd.DataFrame:
    """Top-k new products per customer from item_similarity, falling back to segment popularity."""
    if "item_similarity" not in snap.tables:
        return pd.DataFrame(columns=["customer_id", "product", "score", "reason"])
    if verdicts.at_baseline(snap.meta, "recommendations"):
        return snap.query("""
            WITH ids AS (SELECT unnest(?::VARCHAR[]) AS customer_id),
            bought AS (SELECT DISTINCT o.customer_id, o.product FROM orders o JOIN ids USING (customer_id)
                       WHERE o.product IS NOT NULL AND o.order_date <= ?),
            fresh AS (SELECT i.customer_id, p.product, p.buyers AS score, 'popular with all customers' AS reason
                      FROM ids i CROSS JOIN product_popularity p WHERE p.segment = '__all__'
                      AND NOT EXISTS (SELECT 1 FROM bought b WHERE b.customer_id = i.customer_id AND b.product = p.product))
            SELECT customer_id, product, score, reason FROM fresh
            QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY score DESC, product) <= ?
            ORDER BY customer_id, score DESC, product""", [customer_ids, snap.as_of, k])
    return snap.query("""
        WITH ids AS (SELECT unnest(?::VARCHAR[]) AS customer_id),
        bought AS (SELECT DISTINCT o.customer_id, o.product FROM orders o JOIN ids USING (customer_id)
                   WHERE o.product IS NOT NULL AND o.order_date <= ?),
        co AS (SELECT b.customer_id, s.product_b AS product, sum(s.similarity) AS score,
                      arg_max(b.product, s.similarity) AS because
               FROM bought b JOIN item_similarity s ON s.product_a = b.product
               GROUP BY 1, 2),
        seg AS (SELECT i.customer_id, p.product, p.buyers / 1e9 AS score, v.segment
                FROM ids i LEFT JOIN customer_view v USING (customer_id)
                JOIN product_popularity p ON p.segment = coalesce(v.segment, '__all__')),
        candidates AS (
            SELECT customer_id, product, score, 'often bought together with ' || because AS reason FROM co
            UNION ALL
            SELECT customer_id, product, score, 'popular with ' || replace(coalesce(segment, 'all'), '_', ' ') || ' customers' FROM seg),
        fresh AS (SELECT c.* FROM candidates c ANTI JOIN bought b USING (customer_id, product)),
        ranked AS (SELECT *, row_number() OVER (PARTITION BY customer_id, product ORDER BY score DESC) AS dup FROM fresh)
        SELECT customer_id, product, score, reason FROM ranked WHERE dup = 1
        QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY score DESC, product) <= ?
        ORDER BY customer_id, score DESC, product""", [customer_ids, snap.as_of, k])


def recommend_products(ctx: ToolContext, audience: AudienceFilters | None = None, *,
                       customer_id: str | None = None, k: int = 5) -> ToolResult:
    """Products to recommend to one customer (customer_id) or to an audience (filters), with reasons."""
    snap = ctx.snapshot
    snap.require_models()
    if not 1 <= k <= 50:
        raise TierwiseError(f"k must be between 1 and 50; got {k}.")
    if "item_similarity" not in snap.tables:
        raise TierwiseError("Recommendations are not available: this dataset has no product column.")
    if customer_id:
        cid = snap.scalar("SELECT customer_id FROM customer_view WHERE lower(customer_id) = lower(?)", [customer_id])
        if cid is None:
            raise TierwiseError(f"No customer with id '{customer_id}' has orders in this dataset.")
        recs = recommend_for_customers(snap, [cid], k)
        summary = (f"For {cid}: " + "; ".join(f"{r.product} ({r.reason})" for r in recs.itertuples())) if not recs.empty \
            else f"No new products to recommend to {cid}."
        notice = verdicts.notice(snap.meta, "recommendations")
        summary = f"{notice} {summary}" if notice else summary
        return ToolResult(summary=summary, customer_id=cid,
                          facts={"customer_id": cid, "products": recs["product"].tolist()},
                          tables=[frame_to_table(f"Recommended for {cid}", recs[["product", "reason", "score"]])])
    filters, where, params = audience_where(ctx, audience)
    ids = snap.query(f"SELECT customer_id FROM customer_view WHERE {where} ORDER BY clv_12m DESC NULLS LAST LIMIT 5000",
                     params)["customer_id"].tolist()
    if not ids:
        return ToolResult(summary=f"No customers match ({describe(filters)}).", audience=filters.active())
    per = recommend_for_customers(snap, ids, 5)
    top = (per.groupby("product").agg(customers=("customer_id", "nunique"), score=("score", "sum"))
           .sort_values(["customers", "score"], ascending=False).head(k).reset_index())
    summary = (f"For {count(len(ids))} customers ({describe(filters)}), the most recommended products are: "
               + ", ".join(f"{r.product} ({r.customers} customers)" for r in top.itertuples()) + ".")
    notice = verdicts.notice(snap.meta, "recommendations")
    summary = f"{notice} {summary}" if notice else summary
    return ToolResult(summary=summary, audience=filters.active(),
                      facts={"customers": len(ids), "products": top["product"].tolist()},
                      tables=[frame_to_table("Recommended for the audience", top)])


LOAD_CONSENT = ("add a customers file with an email_consent column (true/false): "
                "`tierwise load orders.csv --customers customers.csv`")


def export_audience(ctx: ToolContext, audience: AudienceFilters | None = None, *,
                    format: Literal["csv"] = "csv") -> ToolResult:
    """Export the audience as a CSV file with a consent column (yes / unknown); customers who said no to email are left out and counted."""
    if format != "csv":
        raise TierwiseError(f"Unknown export format '{format}'; only csv is supported.")
    filters, where, params = audience_where(ctx, audience)
    snap = ctx.snapshot
    frame = snap.query(f"""
        SELECT v.customer_id, c.name, c.email, v.country, v.tier, v.segment, v.persona, v.churn_risk,
               round(v.churn_probability, 4) AS churn_probability, round(v.clv_12m, 2) AS clv_12m,
               v.last_order_date, c.email_consent AS _consent
        FROM (SELECT * FROM customer_view WHERE {where}) v LEFT JOIN customers c USING (customer_id)
        ORDER BY v.customer_id""", params)
    # consent is data only where the shop recorded it: an explicit no is always left out; no record is "unknown"
    consent_data = bool(snap.scalar("SELECT count(email_consent) FROM customers"))
    said_no = frame["_consent"].eq(False).fillna(False).astype(bool)
    kept = frame[~said_no].copy()
    kept["consent"] = kept["_consent"].eq(True).fillna(False).astype(bool).map({True: "yes", False: "unknown"})
    kept = kept.drop(columns=["_consent"])
    unknown = int((kept["consent"] == "unknown").sum())
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    slug = re.sub(r"[^a-z0-9]+", "-", describe(filters).lower()).strip("-")[:60] or "all"
    path = ctx.exports_dir / f"audience-{slug}-{stamp}.csv"
    write_csv(kept, path)  # a name like '=HYPERLINK(…)' is text, not a formula, in a spreadsheet
    summary = f"Exported {count(len(kept))} customers ({describe(filters)}) to {path.name}"
    if not consent_data:
        summary += (f". This data has no consent information, so every customer is marked consent=unknown: check "
                    f"consent before emailing them. To load it, {LOAD_CONSENT}.")
    else:
        summary += f"; {count(int(said_no.sum()))} left out because they said no to email"
        summary += (f"; {count(unknown)} have no consent recorded and are marked consent=unknown." if unknown else ".")
    return ToolResult(summary=summary, files=[str(path)], audience=filters.active(),
                      facts={"exported": len(kept), "excluded_no_consent": int(said_no.sum()),
                             "consent_unknown": unknown, "consent_data": consent_data, "file": path.name})
