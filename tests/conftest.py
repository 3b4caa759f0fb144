import json
from pathlib import Path

import pytest

from assistant.cli import main

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CDNOW = SHARED / "data" / "cdnow"
ROUTER_FIGURES = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def router_figures(request):
    """Where tests/test_router.py records the router's accuracy for the summary printed after every run."""
    return request.config.stash.setdefault(ROUTER_FIGURES, {})


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """router: train X%, cross-val Y%, held-out Z% (en A%, zh B%), whenever tests/test_router.py measured them, and
    held-out-2 Z% (en A%, zh B%) when tests/test_router_heldout2.py did, held-out-3, -4 and -5 likewise
    from tests/test_router_heldout3.py, tests/test_router_heldout4.py and tests/test_router_heldout5.py."""
    figures = config.stash.get(ROUTER_FIGURES, None)
    if not figures:
        return

    def pct(key):
        return f"{figures[key]:.1%}" if key in figures else "n/a"

    terminalreporter.write_sep("-", "intent router")
    terminalreporter.write_line(f"router: train {pct('train')}, cross-val {pct('cross_val')}, held-out {pct('held_out')} "
                                f"(en {pct('held_out_en')}, zh {pct('held_out_zh')})"
                                + "".join(f", held-out-{k} {pct(f'held_out_{k}')} (en {pct(f'held_out_{k}_en')}, "
                                          f"zh {pct(f'held_out_{k}_zh')})" for k in range(2, 10) if f"held_out_{k}" in figures))
    if "cross_val" in figures:
        terminalreporter.write_line(f"  cross-val en {pct('cross_val_en')}, zh {pct('cross_val_zh')} over "
                                    f"{figures['examples']:,} training questions; held-out target 90% in each language")


def pytest_sessionfinish(session, exitstatus):
    """Under pytest-xdist (`make test` runs two workers) a worker hands its router figures to the controller."""
    figures = session.config.stash.get(ROUTER_FIGURES, None)
    if figures and hasattr(session.config, "workeroutput"):
        session.config.workeroutput["router_figures"] = json.dumps(figures)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller side of pytest-xdist: the figures a worker measured join the summary's."""
    figures = getattr(node, "workeroutput", {}).get("router_figures")
    if figures:
        node.config.stash.setdefault(ROUTER_FIGURES, {}).update(json.loads(figures))


@pytest.fixture(scope="session")
def shared_data():
    """../shared beside the repository (CI has it): the CDNOW logs and the question set. Missing, the
    tests that need it fail and say so; they are never skipped."""
    needed = [CDNOW / "CDNOW_master.txt", CDNOW / "CDNOW_sample.txt", SHARED / "evals" / "questions.jsonl"]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        pytest.fail(f"These tests need the shared data beside the repository; missing: {', '.join(missing)}")
    return SHARED


@pytest.fixture
def con(tmp_path):
    """A fresh file-backed DuckDB store for tests that ingest directly."""
    import duckdb

    c = duckdb.connect(str(tmp_path / "store.duckdb"))
    yield c
    c.close()


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Every test gets its own workspace; nothing touches ./.tierwise."""
    home = tmp_path / "home"
    monkeypatch.setenv("TIERWISE_HOME", str(home))
    return home


@pytest.fixture
def cli(capsys):
    """Run `tierwise ARGS`; return (exit code, stdout, stderr)."""

    def run(*args: str):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def cli_json(cli):
    def run(*args: str):
        code, out, err = cli(*args, "--json", "--quiet")
        assert code == 0, err
        return json.loads(out)

    return run


@pytest.fixture
def built_copy(built_home, tmp_path, monkeypatch):
    """A private, writable copy of the built demo world, made the current TIERWISE_HOME (for CLI tests)."""
    import shutil

    copy = tmp_path / "ws"
    shutil.copytree(built_home, copy)
    monkeypatch.setenv("TIERWISE_HOME", str(copy))
    return copy


@pytest.fixture
def ask_json(cli):
    """`tierwise ask ARGS --json` (exit code 0 asserted), parsed."""

    def run(*args: str):
        code, out, err = cli("ask", *args, "--json")
        assert code == 0, err
        return json.loads(out)

    return run


@pytest.fixture(scope="session")
def built_home(tmp_path_factory):
    """The default demo world (seed 42, 5,000 customers) loaded and built once per test session.

    Tests must treat it as read-only; use Workspace(built_home) to reach it.
    """
    from tools.demo import generate_demo
    from tools.loading import load_dataset
    from tools.workspace import Workspace

    root = tmp_path_factory.mktemp("built")
    data = root / "demo"
    generate_demo(data, customers=5000, seed=42)
    home = root / "home"
    load_dataset(Workspace(home), data / "transactions.csv", customers=data / "customers.csv")
    return home


@pytest.fixture(scope="session")
def demo_truth(built_home):
    return built_home.parent / "demo" / "truth"
