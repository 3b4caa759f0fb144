"""`tierwise append`: new orders go into the data in service without a full rebuild; a bad file changes nothing."""

import json
import shutil
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from tools import store
from tools.errors import TierwiseError
from tools.refresh import append_orders
from tools.workspace import Workspace

TABLES = ("orders", "cancelled_orders", "customers", "features", "scores", "customer_view", "order_headers")


@pytest.fixture
def ws(built_home, tmp_path):
    """A private copy of the built demo world (5,000 customers)."""
    copy = tmp_path / "ws"
    shutil.copytree(built_home, copy)
    return Workspace(copy)


def read(ws: Workspace, sql: str, params=None) -> pd.DataFrame:
    con = store.connect(ws.current_store(), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def meta(ws: Workspace) -> dict:
    con = store.connect(ws.current_store(), read_only=True)
    try:
        return store.read_meta(con)
    finally:
        con.close()


def fingerprint(ws: Workspace) -> dict:
    """Row count and an order-independent hash of every row of the tables a refresh writes."""
    con = store.connect(ws.current_store(), read_only=True)
    try:
        out = {}
        for table in TABLES:
            out[table] = con.execute(f"SELECT count(*), sum(hash(t)) FROM (SELECT * FROM {table}) t").fetchall()[0]
        out["meta"] = con.execute("SELECT sum(hash(key || value)) FROM meta").fetchall()[0][0]
        return out
    finally:
        con.close()


def write_orders(path, rows: list[dict]) -> str:
    columns = ["order_id", "customer_id", "order_date", "product", "category", "quantity", "amount", "channel", "status"]
    frame = pd.DataFrame(rows)
    for column in columns:
        if column not in frame:
            frame[column] = {"quantity": 1, "channel": "web", "status": "completed", "product": "Granola",
                             "category": "Grocery"}.get(column)
    frame[columns].to_csv(path, index=False)
    return str(path)


def regulars(ws: Workspace, n: int, *, before: date) -> list[str]:
    """Customers with several orders whose last order is before `before`."""
    frame = read(ws, "SELECT customer_id FROM features WHERE purchase_days >= 3 AND last_order_date < ? "
                     "ORDER BY customer_id LIMIT ?", [before, n])
    return frame["customer_id"].tolist()


def test_a_file_with_bad_rows_is_refused_whole_and_changes_nothing(ws, tmp_path):
    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 4, before=as_of)
    before = fingerprint(ws)
    dataset = ws.current().name
    recorded = sorted((ws.home / "snapshots").iterdir())
    rows = [{"order_id": f"N{i}", "customer_id": c, "order_date": (as_of + timedelta(days=1)).isoformat(), "amount": 20 + i}
            for i, c in enumerate(who)]
    rows.append({"order_id": "N-bad-date", "customer_id": who[0], "order_date": "31/02/2026x", "amount": 10})
    rows.append({"order_id": "N-bad-amount", "customer_id": who[1], "order_date": (as_of + timedelta(days=1)).isoformat(),
                 "amount": -5})
    with pytest.raises(TierwiseError) as refused:
        append_orders(ws, write_orders(tmp_path / "new.csv", rows))
    message = str(refused.value)
    assert "Refused to append 'new.csv'" in message and "2 of 6 rows are bad" in message
    # rows counted as the loader's rejects file counts them: data rows, the header not included
    assert "data row 5 of 'new.csv': unparseable date" in message and "data row 6 of 'new.csv': negative amount" in message
    assert "nothing was added" in message
    assert ws.current().name == dataset
    assert fingerprint(ws) == before
    assert sorted((ws.home / "snapshots").iterdir()) == recorded  # a refused append records no snapshot either
    assert not list(ws.datasets.glob(".staging-*"))


def test_new_lines_of_an_order_already_loaded_refuse_the_file(ws, tmp_path):
    loaded = read(ws, "SELECT order_id, customer_id, order_date FROM orders WHERE order_id IS NOT NULL "
                      "ORDER BY order_id LIMIT 1").iloc[0]
    before = fingerprint(ws)
    path = write_orders(tmp_path / "edit.csv", [{"order_id": loaded.order_id, "customer_id": loaded.customer_id,
                                                  "order_date": loaded.order_date.date().isoformat(), "amount": 999.0,
                                                  "product": "Something else"}])
    with pytest.raises(TierwiseError, match=f"order id .*{loaded.order_id}.* already loaded"):
        append_orders(ws, path)
    assert fingerprint(ws) == before


def test_lines_already_loaded_are_reported_and_not_counted_twice(ws, tmp_path):
    as_of = date.fromisoformat(meta(ws)["as_of"])
    old = read(ws, "SELECT order_id, customer_id, CAST(order_date AS VARCHAR) AS order_date, product, category, quantity, "
                   "amount, channel, coalesce(status, 'completed') AS status FROM orders "
                   "WHERE order_id IS NOT NULL AND status IS NOT NULL ORDER BY order_id LIMIT 30")
    lines, revenue = read(ws, "SELECT count(*) AS n, sum(amount) AS revenue FROM orders").iloc[0]
    who = regulars(ws, 5, before=as_of)
    new = [{"order_id": f"N{i}", "customer_id": c, "order_date": as_of.isoformat(), "amount": 10.0 + i}
           for i, c in enumerate(who)]
    path = write_orders(tmp_path / "again.csv", old.to_dict(orient="records") + new)
    report = append_orders(ws, path)
    assert report["duplicate_lines"] == 30 and report["order_lines_added"] == 5
    after_lines, after_revenue = read(ws, "SELECT count(*) AS n, sum(amount) AS revenue FROM orders").iloc[0]
    assert after_lines == lines + 5
    assert after_revenue == pytest.approx(revenue + sum(10.0 + i for i in range(5)))
    assert any("already loaded" in w for w in report["warnings"])


def test_the_same_file_twice_adds_nothing_the_second_time(ws, tmp_path):
    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 3, before=as_of)
    path = write_orders(tmp_path / "day.csv", [{"order_id": f"N{i}", "customer_id": c,
                                                 "order_date": (as_of + timedelta(days=1)).isoformat(), "amount": 30.0}
                                                for i, c in enumerate(who)])
    append_orders(ws, path)
    dataset, before = ws.current().name, fingerprint(ws)
    again = append_orders(ws, path)
    assert again["changed"] is False and again["duplicate_lines"] == 3 and again["order_lines_added"] == 0
    assert ws.current().name == dataset and fingerprint(ws) == before


def test_appended_orders_change_the_buyers_recency_and_frequency_and_no_one_elses_features(ws, tmp_path):
    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 6, before=as_of - timedelta(days=3))
    before = read(ws, "SELECT * FROM features ORDER BY customer_id").set_index("customer_id")
    # dated on the as-of day, so the date does not move: only the buyers' features may change
    path = write_orders(tmp_path / "today.csv", [{"order_id": f"N{i}", "customer_id": c, "order_date": as_of.isoformat(),
                                                   "amount": 25.0} for i, c in enumerate(who)])
    report = append_orders(ws, path)
    assert report["as_of"] == as_of.isoformat() and report["refit"] is None
    after = read(ws, "SELECT * FROM features ORDER BY customer_id").set_index("customer_id")
    assert list(after.index) == list(before.index)
    assert (after.loc[who, "recency_days"] == 0).all() and (before.loc[who, "recency_days"] >= 3).all()
    assert (after.loc[who, "frequency"] == before.loc[who, "frequency"] + 1).all()
    others = before.index.difference(who)
    pd.testing.assert_frame_equal(after.loc[others], before.loc[others])


def test_when_the_date_moves_everyone_ages_and_features_equal_a_full_rebuild(ws, tmp_path):
    from tools.features import build_features

    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 8, before=as_of)
    later = as_of + timedelta(days=5)
    before = read(ws, "SELECT * FROM features ORDER BY customer_id").set_index("customer_id")
    rows = [{"order_id": f"N{i}", "customer_id": c, "order_date": later.isoformat(), "amount": 40.0}
            for i, c in enumerate(who)]
    rows.append({"order_id": "N-new", "customer_id": "NEW0001", "order_date": later.isoformat(), "amount": 55.0})
    report = append_orders(ws, write_orders(tmp_path / "later.csv", rows))
    assert report["as_of"] == later.isoformat() and report["customers_added"] == 1
    after = read(ws, "SELECT * FROM features ORDER BY customer_id").set_index("customer_id")
    assert "NEW0001" in after.index and after.loc["NEW0001", "orders"] == 1
    quiet = before.index.difference(who)
    assert (after.loc[quiet, "recency_days"] == before.loc[quiet, "recency_days"] + 5).all()
    assert (after.loc[quiet, "last_order_date"] == before.loc[quiet, "last_order_date"]).all()
    # the incremental features are the features a build computes from every order at the new date
    copy = tmp_path / "check.duckdb"
    shutil.copy(ws.current_store(), copy)
    con = duckdb.connect(str(copy))
    try:
        build_features(con, later, table="features_full")
        full = con.execute("SELECT * FROM features_full ORDER BY customer_id").df().set_index("customer_id")
    finally:
        con.close()
    pd.testing.assert_frame_equal(after[full.columns], full, check_dtype=False)


def test_scores_after_an_append_are_what_the_fitted_models_give_on_full_features(ws, tmp_path):
    """The churn trees run again only for customers whose orders changed; everyone's probability still equals the
    fitted model's on features computed from scratch when the trees' inputs did not move, and the CLV columns of
    everyone equal the CLV model's at the new date."""
    from tools.churn import _add_bgnbd, _encoder, churn_features
    from tools.scoring import load_fitted
    import ibis

    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 5, before=as_of)
    path = write_orders(tmp_path / "today.csv", [{"order_id": f"N{i}", "customer_id": c, "order_date": as_of.isoformat(),
                                                   "amount": 35.0} for i, c in enumerate(who)])
    append_orders(ws, path)
    copy = tmp_path / "check.duckdb"
    shutil.copy(ws.current_store(), copy)
    con = duckdb.connect(str(copy))
    try:
        fitted = load_fitted(con, store.read_meta(con))
        backend = ibis.duckdb.from_connection(con)
        # products' usual prices stay as the build measured them until the next build
        frame = con.execute(ibis.to_sql(churn_features(backend.table("orders"), as_of,
                                                       cancelled=backend.table("cancelled_orders"),
                                                       prices=backend.table("product_prices"),
                                                       **fitted.churn["lists"]), dialect="duckdb")).df()
        scores = con.execute("SELECT customer_id, churn_probability FROM scores").df()
    finally:
        con.close()
    frame = frame.sort_values("customer_id", ignore_index=True)
    _add_bgnbd(frame, fitted.churn["bgnbd_now"], fitted.churn["horizon_days"])
    expected = fitted.churn["model"].predict_proba(_encoder(fitted.churn["features"], fitted.churn["lists"])(frame))[:, 1]
    got = scores.set_index("customer_id").reindex(frame["customer_id"])["churn_probability"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_an_append_records_a_snapshot_and_the_report_says_what_happened(ws, tmp_path):
    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 3, before=as_of)
    path = write_orders(tmp_path / "d.csv", [{"order_id": f"N{i}", "customer_id": c,
                                               "order_date": (as_of + timedelta(days=2)).isoformat(), "amount": 12.5}
                                              for i, c in enumerate(who)])
    report = append_orders(ws, path)
    infos = [json.loads(p.read_text()) for p in (ws.home / "snapshots").glob("*.json")]
    kinds = sorted(i["kind"] for i in infos)
    assert kinds == ["append", "load"]
    appended = next(i for i in infos if i["kind"] == "append")
    assert appended["id"] == report["snapshot"] and appended["as_of"] == (as_of + timedelta(days=2)).isoformat()
    assert appended["dataset"] == ws.current().name
    assert appended["kpis"]["customers"] == read(ws, "SELECT count(*) AS n FROM customer_view").iloc[0]["n"]
    assert report["models_age_days"] == 2 and report["refit"] is None
    assert meta(ws)["appends"][-1]["order_lines_added"] == 3


@pytest.mark.slow  # a full build of the demo world
def test_models_older_than_the_setting_are_refitted_by_the_append(ws, tmp_path):
    from tools.settings import write_settings

    write_settings(ws.home, models_max_age_days=3)
    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 3, before=as_of)
    later = as_of + timedelta(days=4)
    path = write_orders(tmp_path / "late.csv", [{"order_id": f"N{i}", "customer_id": c, "order_date": later.isoformat(),
                                                  "amount": 15.0} for i, c in enumerate(who)])
    report = append_orders(ws, path)
    assert report["refit"] and "models_max_age_days = 3" in report["refit"]
    assert meta(ws)["models_as_of"] == later.isoformat()


def test_the_cli_appends_and_reports_as_json(built_copy, tmp_path, cli_json, cli):
    ws = Workspace(built_copy)
    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 2, before=as_of)
    good = write_orders(tmp_path / "good.csv", [{"order_id": f"N{i}", "customer_id": c,
                                                  "order_date": (as_of + timedelta(days=1)).isoformat(), "amount": 18.0}
                                                 for i, c in enumerate(who)])
    report = cli_json("append", good)
    assert report["order_lines_added"] == 2 and report["as_of"] == (as_of + timedelta(days=1)).isoformat()
    code, out, err = cli("status", "--json")
    assert json.loads(out)["as_of"] == report["as_of"]
    bad = write_orders(tmp_path / "bad.csv", [{"order_id": "X1", "customer_id": who[0], "order_date": "not a date",
                                                "amount": 5.0}])
    code, out, err = cli("append", bad)
    assert code == 2 and "Refused to append 'bad.csv'" in err


def test_an_admin_appends_from_the_data_tab_and_a_marketer_cannot(ws, tmp_path):
    import httpx
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    from ui.app import build_app, start

    users = {"ada": ("admin", "ada-pass"), "mary": ("marketer", "mary-pass")}
    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 2, before=as_of)
    good = handle_file(write_orders(tmp_path / "web.csv", [{"order_id": f"W{i}", "customer_id": c,
                                                             "order_date": (as_of + timedelta(days=1)).isoformat(),
                                                             "amount": 22.0} for i, c in enumerate(who)]))
    bad = handle_file(write_orders(tmp_path / "web_bad.csv", [{"order_id": "W9", "customer_id": who[0],
                                                               "order_date": (as_of + timedelta(days=1)).isoformat(),
                                                               "amount": -3.0}, {"order_id": "W10", "customer_id": who[1],
                                                               "order_date": (as_of + timedelta(days=1)).isoformat(),
                                                               "amount": 3.0}]))
    app = build_app(ws.home, users=users)
    url = start(app)
    try:
        marketer = Client(url, auth=("mary", "mary-pass"), verbose=False)
        with pytest.raises(httpx.HTTPStatusError, match="403"):  # not even the upload is taken
            marketer.predict(good, None, api_name="/append_data")
        with pytest.raises(AppError, match="can't load data"):
            marketer.predict(None, None, api_name="/append_data")
        admin = Client(url, auth=("ada", "ada-pass"), verbose=False)
        refused, _ = admin.predict(bad, None, api_name="/append_data")
        assert refused.startswith("Append failed: Refused to append 'web_bad.csv'") and "/tmp" not in refused
        assert meta(ws)["as_of"] == as_of.isoformat()
        report, status = admin.predict(good, None, api_name="/append_data")
        assert report.startswith("Appended web.csv: 2 order lines"), report
        assert meta(ws)["as_of"] == (as_of + timedelta(days=1)).isoformat()
        answer, _ = Client(url, auth=("mary", "mary-pass"), verbose=False).predict("what changed since the last refresh?",
                                                                                    api_name="/ask")
        assert answer["tool_calls"][0]["name"] == "what_changed" and answer["tool_calls"][0]["status"] == "ok"
    finally:
        app.close()


def test_scoring_with_the_kept_models_gives_the_builds_scores(ws):
    """What the build keeps (tools.scoring) scores its own customers at its own date exactly as the build did."""
    from tools.refresh import SCORING_FEATURES
    from tools.scoring import load_fitted, score_customers

    con = store.connect(ws.current_store(), read_only=True)
    try:
        fitted = load_fitted(con, store.read_meta(con))
        frame = con.execute("SELECT f.*, i.tree_probability FROM features f JOIN churn_inputs i USING (customer_id) "
                            "ORDER BY customer_id").df()
        built = con.execute("SELECT * FROM scores ORDER BY customer_id").df()
        scores = score_customers(con, frame, fitted, fitted.as_of, frame["tree_probability"].to_numpy())
    finally:
        con.close()
    assert "customer_id" in SCORING_FEATURES and list(frame["customer_id"]) == list(built["customer_id"])
    for column in ("tier", "segment", "persona", "churn_risk", "r_score", "f_score", "m_score"):
        assert (scores[column].to_numpy() == built[column].to_numpy()).all(), column
    for column in ("churn_probability", "p_alive", "expected_orders_90d", "clv_12m", "retained_value_12m",
                   "value_at_risk", "expected_gap_days"):
        np.testing.assert_allclose(scores[column].to_numpy(dtype=float), built[column].to_numpy(dtype=float),
                                   rtol=1e-9, atol=1e-9, err_msg=column)
    def days(values) -> list[str]:
        return pd.to_datetime(pd.Series(np.asarray(values))).dt.strftime("%Y-%m-%d").fillna("none").tolist()

    assert days(scores["next_order_date"]) == days(built["next_order_date"])


def test_after_an_append_the_customer_view_is_the_view_of_the_new_features_and_scores(ws, tmp_path):
    from tools.models import CUSTOMER_VIEW_SQL

    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 10, before=as_of)
    rows = [{"order_id": f"V{i}", "customer_id": c, "order_date": (as_of + timedelta(days=3)).isoformat(), "amount": 60.0}
            for i, c in enumerate(who)]
    rows.append({"order_id": "V-new", "customer_id": "NEWVIEW1", "order_date": (as_of + timedelta(days=3)).isoformat(),
                 "amount": 80.0})
    append_orders(ws, write_orders(tmp_path / "v.csv", rows))
    view = read(ws, "SELECT * FROM customer_view ORDER BY customer_id")
    expected = read(ws, f"SELECT * FROM ({CUSTOMER_VIEW_SQL}) ORDER BY customer_id")
    assert len(view) == len(expected) and "NEWVIEW1" in set(view["customer_id"])
    pd.testing.assert_frame_equal(view[expected.columns], expected)
    assert read(ws, "SELECT count(*) AS n FROM scores WHERE churn_reasons IS NULL").iloc[0]["n"] == 0


def test_every_customers_scores_after_an_append_are_the_kept_models_scores_of_their_features(ws, tmp_path):
    """The refresh writes its scores into the customer view in place (updates, rows anew for some customers);
    reading them back gives, for every customer, what the kept models say of that customer's features."""
    from tools.scoring import load_fitted, score_customers

    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 12, before=as_of)
    later = as_of + timedelta(days=6)
    append_orders(ws, write_orders(tmp_path / "s.csv", [{"order_id": f"S{i}", "customer_id": c,
                                                         "order_date": later.isoformat(), "amount": 45.0}
                                                        for i, c in enumerate(who)]))
    con = store.connect(ws.current_store(), read_only=True)
    try:
        fitted = load_fitted(con, store.read_meta(con))
        frame = con.execute("SELECT f.*, i.tree_probability FROM features f JOIN churn_inputs i USING (customer_id) "
                            "ORDER BY customer_id").df()
        stored = con.execute("SELECT * FROM customer_view ORDER BY customer_id").df()
        through_view = con.execute("SELECT * FROM scores ORDER BY customer_id").df()
        expected = score_customers(con, frame, fitted, later, frame["tree_probability"].to_numpy())
    finally:
        con.close()
    assert list(stored["customer_id"]) == list(frame["customer_id"]) == list(through_view["customer_id"])
    for column in ("tier", "segment", "persona", "churn_risk"):
        assert (stored[column].to_numpy() == expected[column].to_numpy()).all(), column
        assert (through_view[column].to_numpy() == expected[column].to_numpy()).all(), column
    for column in ("churn_probability", "clv_12m", "p_alive", "value_at_risk", "expected_orders_90d"):
        np.testing.assert_allclose(stored[column].to_numpy(dtype=float), expected[column].to_numpy(dtype=float),
                                   rtol=1e-9, atol=1e-9, err_msg=column)
    assert (stored["recency_days"].to_numpy() == frame["recency_days"].to_numpy()).all()


@pytest.mark.slow  # a full build of the demo world
def test_a_build_after_appends_refits_and_writes_its_scores_again(ws, tmp_path, cli_json, monkeypatch):
    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 3, before=as_of)
    append_orders(ws, write_orders(tmp_path / "b.csv", [{"order_id": f"B{i}", "customer_id": c,
                                                         "order_date": (as_of + timedelta(days=2)).isoformat(),
                                                         "amount": 20.0} for i, c in enumerate(who)]))
    monkeypatch.setenv("TIERWISE_HOME", str(ws.home))
    built = cli_json("build")
    assert built["as_of"] == (as_of + timedelta(days=2)).isoformat() and built["snapshot"]
    assert meta(ws)["models_as_of"] == built["as_of"]
    kinds = read(ws, "SELECT table_type FROM information_schema.tables WHERE table_name = 'scores'")["table_type"]
    assert kinds.tolist() == ["BASE TABLE"]
    assert read(ws, "SELECT count(*) AS n FROM scores").iloc[0]["n"] == read(ws, "SELECT count(*) AS n FROM features").iloc[0]["n"]


def test_new_customers_details_come_with_a_customers_file_and_cancelled_orders_are_kept_apart(ws, tmp_path):
    as_of = date.fromisoformat(meta(ws)["as_of"])
    day = (as_of + timedelta(days=1)).isoformat()
    orders = write_orders(tmp_path / "o.csv", [
        {"order_id": "NC1", "customer_id": "NEWC001", "order_date": day, "amount": 70.0},
        {"order_id": "NC2", "customer_id": "NEWC001", "order_date": day, "amount": 30.0, "status": "cancelled"},
    ])
    people = tmp_path / "c.csv"
    pd.DataFrame([{"customer_id": "NEWC001", "name": "Ada Newcomer", "email": "ada@example.org", "country": "Germany",
                   "city": "Berlin", "signup_date": day, "gender": "F", "age": 31, "email_consent": "true"}]).to_csv(
        people, index=False)
    cancelled_before = read(ws, "SELECT count(*) AS n FROM cancelled_orders").iloc[0]["n"]
    report = append_orders(ws, orders, customers=people)
    assert report["customers_added"] == 1 and report["order_lines_added"] == 1 and report["cancelled_lines_added"] == 1
    person = read(ws, "SELECT name, country, email_consent FROM customers WHERE customer_id = 'NEWC001'").iloc[0]
    assert person["name"] == "Ada Newcomer" and person["country"] == "Germany" and bool(person["email_consent"])
    assert read(ws, "SELECT count(*) AS n FROM cancelled_orders").iloc[0]["n"] == cancelled_before + 1
    view = read(ws, "SELECT country, orders, total_spend FROM customer_view WHERE customer_id = 'NEWC001'").iloc[0]
    assert view["country"] == "Germany" and view["orders"] == 1 and view["total_spend"] == pytest.approx(70.0)


@pytest.mark.parametrize("days_after", [0, 1])
def test_order_headers_and_rollups_after_an_append_are_those_of_every_order(ws, tmp_path, days_after):
    """A day after every loaded order only adds header rows; a day already loaded rewrites its buyers' rows."""
    from tools.semantic.headers import _header_select, _rollup_select

    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 5, before=as_of)
    day = (as_of + timedelta(days=days_after)).isoformat()
    append_orders(ws, write_orders(tmp_path / "h.csv", [{"order_id": f"H{i}", "customer_id": c, "order_date": day,
                                                         "amount": 11.0 + i, "category": "Books"}
                                                        for i, c in enumerate(who)]))
    m = meta(ws)
    constant = m["order_header_columns"]
    order = "ORDER BY customer_id, order_date, order_key"
    assert read(ws, f"SELECT * FROM order_headers {order}").equals(
        read(ws, f"SELECT * FROM ({_header_select(constant)}) {order}"))
    for column, table in m["order_rollups"].items():
        assert read(ws, f"SELECT * FROM {table} {order}, {column}").equals(
            read(ws, f"SELECT * FROM ({_rollup_select(column, constant)}) {order}, {column}"))


def layout(ws: Workspace) -> dict:
    """What the customer view is, and whether its two tables hold the customers of features row for row."""
    con = store.connect(ws.current_store(), read_only=True)
    try:
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables WHERE table_name IN "
                                 "('customer_view', 'customer_base', 'customer_now')").fetchall())
        counts = {t: con.execute(f"SELECT count(*), max(rowid) + 1 FROM {t}").fetchall()[0]
                  for t in ("features", "customer_base", "customer_now")}
        out_of_line = con.execute("SELECT count(*) FROM features f POSITIONAL JOIN customer_base b "
                                  "WHERE f.customer_id IS DISTINCT FROM b.customer_id").fetchall()[0][0]
        return {"kinds": kinds, "counts": counts, "out_of_line": out_of_line}
    finally:
        con.close()


def assert_lined_up(ws: Workspace) -> None:
    found = layout(ws)
    assert found["kinds"] == {"customer_view": "VIEW", "customer_base": "BASE TABLE", "customer_now": "BASE TABLE"}
    assert len({n for pair in found["counts"].values() for n in pair}) == 1, found["counts"]  # no deleted rows
    assert found["out_of_line"] == 0


def test_the_customer_view_reads_a_wide_and_a_narrow_table_that_stay_in_line_over_appends(ws, tmp_path):
    """A build writes the customer view as two tables in the order of features (what changes with time in the narrow
    one); appends update rows in place and add new customers at the end, so row i stays the same customer in all
    three, and the view stays the view of features, scores and customers."""
    from tools.models import CUSTOMER_VIEW_SQL

    assert_lined_up(ws)
    built_reasons = read(ws, "SELECT s.customer_id, s.churn_reasons AS built, v.churn_reasons AS viewed FROM scores s "
                             "JOIN customer_view v USING (customer_id)")
    assert all(list(a) == list(b) for a, b in zip(built_reasons["built"], built_reasons["viewed"]))
    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 20, before=as_of)
    for step, days in enumerate((0, 4)):
        day = (as_of + timedelta(days=days)).isoformat()
        rows = [{"order_id": f"L{step}-{i}", "customer_id": c, "order_date": day, "amount": 30.0 + i}
                for i, c in enumerate(who[step * 10:(step + 1) * 10])]
        rows += [{"order_id": f"L{step}-new{i}", "customer_id": f"LINE{step}{i}", "order_date": day, "amount": 44.0}
                 for i in range(3)]
        append_orders(ws, write_orders(tmp_path / f"line{step}.csv", rows))
        assert_lined_up(ws)
        view = read(ws, "SELECT * FROM customer_view ORDER BY customer_id")
        expected = read(ws, f"SELECT * FROM ({CUSTOMER_VIEW_SQL}) ORDER BY customer_id")
        pd.testing.assert_frame_equal(view[expected.columns], expected)
        assert {f"LINE{step}{i}" for i in range(3)} <= set(view["customer_id"])
        # lookups by id read the same rows through their own view
        pd.testing.assert_frame_equal(read(ws, "SELECT * FROM customer_view_by_id ORDER BY customer_id"), view)
        one = view["customer_id"].iloc[len(view) // 2]
        found = read(ws, "SELECT * FROM customer_view_by_id WHERE customer_id = ?", [one]).astype(view.dtypes.to_dict())
        pd.testing.assert_frame_equal(found, view[view["customer_id"] == one].reset_index(drop=True))


def test_a_store_with_the_customer_view_as_one_table_is_put_in_line_by_its_first_append(ws, tmp_path):
    """Stores written before the two tables kept the customer view as one table (churn reasons as lists): the first
    append splits it and gives what an append to a store built now gives."""
    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 6, before=as_of)
    rows = [{"order_id": f"O{i}", "customer_id": c, "order_date": (as_of + timedelta(days=2)).isoformat(), "amount": 25.0}
            for i, c in enumerate(who)]
    path = write_orders(tmp_path / "o.csv", rows)
    old = Workspace(tmp_path / "old")
    shutil.copytree(ws.home, old.home)
    con = store.connect(old.current_store())
    try:
        con.execute("CREATE TABLE _view_table AS SELECT * FROM customer_view")
        con.execute("DROP VIEW customer_view")
        con.execute("DROP TABLE customer_base")
        con.execute("DROP TABLE customer_now")
        con.execute("ALTER TABLE _view_table RENAME TO customer_view")
    finally:
        con.close()
    kinds = read(old, "SELECT table_name, table_type FROM information_schema.tables "
                      "WHERE table_name IN ('customer_view', 'customer_base', 'customer_now')")
    assert kinds.values.tolist() == [["customer_view", "BASE TABLE"]]
    append_orders(ws, path)
    append_orders(old, path)
    assert_lined_up(old)
    order = "ORDER BY customer_id"
    pd.testing.assert_frame_equal(read(old, f"SELECT * FROM customer_view {order}"),
                                  read(ws, f"SELECT * FROM customer_view {order}"))


def test_on_spark_an_append_writes_its_scores_for_the_lake_without_starting_spark(ws, tmp_path, monkeypatch):
    """A workspace on Spark keeps its scores as Parquet for the lake (a build writes them): an append writes the
    refreshed scores there too, by DuckDB, with no Spark session; on DuckDB it writes none."""
    from tools import engine

    def no_spark():
        raise AssertionError("an append must not start Spark")

    monkeypatch.setattr(engine, "spark_backend", no_spark)
    monkeypatch.setattr(engine, "spark_session", no_spark)
    as_of = date.fromisoformat(meta(ws)["as_of"])
    who = regulars(ws, 4, before=as_of)
    day = (as_of + timedelta(days=3)).isoformat()
    report = append_orders(ws, write_orders(tmp_path / "d.csv", [{"order_id": f"D{i}", "customer_id": c,
                                                                  "order_date": day, "amount": 21.0}
                                                                 for i, c in enumerate(who)]))
    assert "published" not in report and not (ws.current() / "spark").exists()
    lake = tmp_path / "lake"
    monkeypatch.setenv("TIERWISE_ENGINE", "spark")
    monkeypatch.setenv("TIERWISE_SPARK_OUTPUT", str(lake))
    later = (as_of + timedelta(days=5)).isoformat()
    report = append_orders(ws, write_orders(tmp_path / "s.csv", [{"order_id": f"S{i}", "customer_id": c,
                                                                  "order_date": later, "amount": 23.0}
                                                                 for i, c in enumerate(who)]))
    written = ws.current() / "spark" / "out" / "scores.parquet"
    assert report["published"] == str(written)
    order = "ORDER BY customer_id"
    scores = read(ws, f"SELECT customer_id, tier, churn_probability, clv_12m FROM scores {order}")
    for path in (written, lake / "scores.parquet"):
        parquet = duckdb.sql(f"SELECT customer_id, tier, churn_probability, clv_12m FROM read_parquet('{path}') "
                             f"{order}").df()
        pd.testing.assert_frame_equal(parquet, scores, check_dtype=False)
