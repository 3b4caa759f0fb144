"""The command line as a user meets it: load, status, build, demo and the failure paths."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CDNOW


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    from tools.demo import generate_demo

    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, customers=400, seed=3)
    return out


@pytest.fixture
def loaded(cli_json, small_demo):
    cli_json("load", small_demo / "transactions.csv", "--customers", small_demo / "customers.csv")
    return cli_json("status")


def test_status_before_any_load_tells_the_user_how_to_load(cli):
    code, out, err = cli("status")
    assert code == 0
    assert "tierwise load" in out and "No dataset" in out


def test_loading_the_demo_gives_status_counts_that_match_the_files(loaded, small_demo):
    import pandas as pd

    tx = pd.read_csv(small_demo / "transactions.csv", dtype=str)
    assert loaded["loaded"] is True
    assert loaded["customers"] == loaded["features"]["customers"]
    # every kept line is a line of the file; dirty and cancelled lines are the only ones missing
    assert 0 < len(tx) - loaded["order_lines"] < 0.1 * len(tx)
    assert loaded["date_max"] <= "2025-12-31"


def test_cdnow_master_loads_with_no_mapping(cli_json):
    report = cli_json("load", CDNOW / "CDNOW_master.txt")
    assert report["rows_kept"] == 69_659
    assert report["customers"] == 23_570
    status = cli_json("status")
    assert (status["customers"], status["order_lines"]) == (23_570, 69_659)
    assert (status["date_min"], status["date_max"]) == ("1997-01-01", "1998-06-30")


def test_cdnow_sample_loads_with_an_explicit_positional_map(cli_json):
    report = cli_json("load", CDNOW / "CDNOW_sample.txt", "--map", "customer_id=1",
                      "--map", "order_date=3", "--map", "quantity=4", "--map", "amount=5")
    assert (report["rows_kept"], report["customers"]) == (6_919, 2_357)


BAD_INPUTS = {
    "empty": b"",
    "garbage": bytes(range(256)) * 40,
    "missing_column": b"customer,when,note\nA1,2024-01-02,hello\nA2,2024-01-03,bye\n",
    "dates_unparseable": b"customer_id,order_date,amount\nA1,someday,10\nA2,never,12\nA3,soon,5\n",
}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_a_failed_load_leaves_the_previous_dataset_in_service(kind, cli, cli_json, loaded, tmp_path):
    bad = tmp_path / f"{kind}.csv"
    bad.write_bytes(BAD_INPUTS[kind])
    code, out, err = cli("load", bad, "--quiet")
    assert code == 2
    assert err.startswith("Error: ") and "Traceback" not in err
    assert cli_json("status") == loaded


def test_an_unknown_map_field_is_named_with_the_valid_ones(cli, cli_json, loaded, small_demo):
    code, _, err = cli("load", small_demo / "transactions.csv", "--map", "amout=amount", "--quiet")
    assert code == 2
    assert "amout" in err and "amount" in err and "customer_id" in err
    assert cli_json("status") == loaded


def test_a_missing_file_is_reported_as_a_sentence(cli):
    code, _, err = cli("load", "no/such/file.csv", "--quiet")
    assert code == 2 and "File not found" in err


def test_build_recomputes_features_as_of_an_earlier_date(cli_json, loaded):
    result = cli_json("build", "--as-of", "2025-06-30")
    assert result["as_of"] == "2025-06-30"
    status = cli_json("status")
    assert status["as_of"] == "2025-06-30"
    # customers who first bought after the new as-of date have no features
    assert 0 < status["features"]["customers"] < loaded["features"]["customers"]


def test_build_before_the_first_order_is_refused_and_changes_nothing(cli, cli_json, loaded):
    code, _, err = cli("build", "--as-of", "1990-01-01", "--quiet")
    assert code == 2 and "before the first order" in err
    assert cli_json("status") == loaded


def test_build_without_data_says_how_to_load(cli):
    code, _, err = cli("build", "--quiet")
    assert code == 2 and "tierwise load" in err


def test_the_console_script_prints_no_traceback_for_a_bad_date(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "assistant.cli", "load", "x.csv", "--as-of", "31/12/2025"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "YYYY-MM-DD" in proc.stderr and "Traceback" not in proc.stderr


def test_load_writes_rejected_rows_with_their_reason(cli_json, small_demo, tmp_path):
    import pandas as pd

    rejects = tmp_path / "rejects.csv"
    report = cli_json("load", small_demo / "transactions.csv", "--rejects", rejects)
    written = pd.read_csv(rejects, dtype=str)
    assert len(written) == report["rows_rejected"] > 0
    assert set(written["reason"]) == set(report["rejected_by_reason"])


def test_a_reader_that_stops_early_gets_no_error_message(built_home):
    import os
    import subprocess
    import sys

    env = {**os.environ, "TIERWISE_HOME": str(built_home)}
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ask", "Top 500 customers by lifetime value", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.read(1)
    proc.stdout.close()  # like `| head -c 1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and "Error" not in err and "Broken pipe" not in err, err
