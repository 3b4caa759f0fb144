"""Exports that work on a shop's own files: without consent data everyone is exported with
consent=unknown and the answer says so and how to load consent; an explicit no is always left out;
the load report counts the customers whose every order was cancelled. Expected figures come from the
raw files with pandas."""

import pandas as pd
import pytest

from assistant.answer import ToolCallRecord
from assistant.cli import format_load_report
from assistant.planning_compose import compose_record
from tools.catalog import call_tool
from tools.context import ToolContext
from tools.dataset import Dataset
from tools.demo import generate_demo
from tools.loading import load_dataset
from tools.workspace import Workspace


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A shop's orders, three customers whose every order was cancelled, and a customers file whose consent
    column says yes, no or nothing, with a tenth of the customers missing from it."""
    out = tmp_path_factory.mktemp("export-files")
    generate_demo(out, customers=400, seed=5)
    orders = pd.read_csv(out / "transactions.csv", dtype=str)
    ghosts = pd.DataFrame({"order_id": ["X1", "X2", "X3", "X4"], "customer_id": ["G001", "G001", "G002", "G003"],
                           "order_date": ["2025-03-01", "2025-03-05", "2025-04-01", "2025-05-01"],
                           "product": "Scarf", "category": "Fashion", "quantity": "1", "amount": "24.99",
                           "channel": "web", "status": "cancelled"})
    pd.concat([orders, ghosts]).to_csv(out / "orders.csv", index=False)
    customers = pd.read_csv(out / "customers.csv", dtype=str)
    customers = customers.iloc[: int(len(customers) * 0.9)].copy()
    customers.loc[customers.index % 7 == 0, "email_consent"] = ""
    customers.to_csv(out / "customers_partial.csv", index=False)
    return out


def loaded(tmp_path_factory, name, orders, customers=None):
    home = tmp_path_factory.mktemp(name) / "home"
    report = load_dataset(Workspace(home), orders, customers=customers)
    dataset = Dataset(Workspace(home))
    return report, ToolContext(snapshot=dataset.snapshot(), exports_dir=dataset.exports_dir, home=home)


@pytest.fixture(scope="module")
def no_consent(files, tmp_path_factory):
    return loaded(tmp_path_factory, "no-consent", files / "orders.csv")


@pytest.fixture(scope="module")
def partial_consent(files, tmp_path_factory):
    return loaded(tmp_path_factory, "partial-consent", files / "orders.csv", files / "customers_partial.csv")


def completed_buyers(files):
    orders = pd.read_csv(files / "orders.csv", dtype=str)
    return set(orders.loc[~orders["status"].str.lower().isin(["cancelled", "refunded"]), "customer_id"])


def export(ctx, language="en", **args):
    result = call_tool(ctx, "export_audience", args)
    answer = compose_record(language, ToolCallRecord("export_audience", args, "ok", result=result))
    return result, pd.read_csv(result.files[0], dtype=str), answer


def test_without_consent_data_everyone_is_exported_as_unknown_and_the_answer_says_how_to_load_it(no_consent, files):
    _, ctx = no_consent
    result, frame, answer = export(ctx)
    in_view = set(ctx.snapshot.query("SELECT customer_id FROM customer_view")["customer_id"])
    assert set(frame["customer_id"]) == in_view and in_view <= completed_buyers(files)
    assert len(frame) == result.facts["exported"] > 0
    assert frame["consent"].eq("unknown").all()
    assert result.facts["consent_data"] is False and result.facts["excluded_no_consent"] == 0
    assert "consent=unknown" in answer and "email_consent" in answer and "--customers customers.csv" in answer


def test_the_chinese_answer_says_the_same(no_consent):
    _, ctx = no_consent
    _, _, answer = export(ctx, "zh")
    assert "consent=unknown" in answer and "email_consent" in answer and "没有是否同意接收邮件的信息" in answer


def test_an_explicit_no_is_left_out_and_a_missing_consent_is_marked_unknown(partial_consent, files):
    _, ctx = partial_consent
    result, frame, answer = export(ctx)
    given = pd.read_csv(files / "customers_partial.csv", dtype=str).set_index("customer_id")["email_consent"]
    in_view = sorted(set(ctx.snapshot.query("SELECT customer_id FROM customer_view")["customer_id"]))
    recorded = given.reindex(in_view).str.lower()
    said_no = set(recorded[recorded == "false"].index)
    yes = set(recorded[recorded == "true"].index)
    unknown = set(in_view) - said_no - yes
    assert said_no and unknown and yes
    assert set(frame["customer_id"]) == yes | unknown and not said_no & set(frame["customer_id"])
    assert set(frame.loc[frame["consent"] == "yes", "customer_id"]) == yes
    assert set(frame.loc[frame["consent"] == "unknown", "customer_id"]) == unknown
    assert (result.facts["excluded_no_consent"], result.facts["consent_unknown"]) == (len(said_no), len(unknown))
    assert f"{len(said_no):,} were left out because they said no" in answer
    assert f"{len(unknown):,} have no consent recorded" in answer


def test_the_load_report_counts_customers_whose_every_order_was_cancelled(no_consent, files):
    report, _ = no_consent
    orders = pd.read_csv(files / "orders.csv", dtype=str)
    cancelled = orders["status"].str.lower().isin(["cancelled", "refunded"])  # the demo's two statuses that don't count
    only_cancelled = set(orders.loc[cancelled, "customer_id"]) - set(orders.loc[~cancelled, "customer_id"])
    assert {"G001", "G002", "G003"} <= only_cancelled
    assert report["customers_all_cancelled"] == len(only_cancelled)
    assert f"only cancelled  {len(only_cancelled):>12,}" in format_load_report(report)
