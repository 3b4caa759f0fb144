import json
from pathlib import Path

import pytest

from assistant.cli import main

CDNOW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cdnow"


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
