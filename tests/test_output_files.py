"""Finding 14 of issue 12: --out never writes through a link nor over a file without --force; kb add says
when it replaces a document."""

import os

import pytest

from tools.errors import TierwiseError
from tools.output_files import check_output, output_file


def test_out_refuses_a_symlink_even_with_force(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "out.csv"
    os.symlink(victim, link)
    for force in (False, True):
        with pytest.raises(TierwiseError, match="symbolic link"):
            with output_file(link, force=force) as part:
                part.write_text("overwritten")
    assert victim.read_text() == "precious" and link.is_symlink()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_out_asks_for_force_to_overwrite_and_then_replaces(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("earlier")
    with pytest.raises(TierwiseError, match="already exists; add --force to overwrite it"):
        check_output(target)
    with output_file(target, force=True) as part:
        part.write_text("new")
    assert target.read_text() == "new"


def test_a_link_put_in_place_while_writing_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "scores.csv"
    with output_file(target, force=True) as part:
        part.write_text("scores")
        os.symlink(victim, target)  # a race: the link appears after the first check
        with pytest.raises(TierwiseError, match="symbolic link"):
            check_output(target, force=True)
        target.unlink()
    assert victim.read_text() == "precious" and target.read_text() == "scores"


def test_cli_scores_and_report_refuse_a_symlink_and_need_force_to_overwrite(built_home, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("TIERWISE_HOME", str(built_home))
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for command, name in (("scores", "scores.csv"), ("report", "report.html")):
        link = tmp_path / f"link-{name}"
        os.symlink(victim, link)
        code, _, err = cli(command, "--out", link, "--force", "--quiet")
        assert code != 0 and "symbolic link" in err and victim.read_text() == "precious"
        out = tmp_path / name
        assert cli(command, "--out", out, "--quiet")[0] == 0
        code, _, err = cli(command, "--out", out, "--quiet")
        assert code != 0 and "add --force to overwrite it" in err and "Traceback" not in err
        assert cli(command, "--out", out, "--force", "--quiet")[0] == 0


def test_cli_demo_into_a_named_folder_needs_force_to_replace_its_files(cli, tmp_path):
    out = tmp_path / "shop"
    assert cli("demo", "--customers", "50", "--out", out, "--quiet")[0] == 0
    code, _, err = cli("demo", "--customers", "50", "--out", out, "--quiet")
    assert code != 0 and "transactions.csv already exists; add --force" in err
    assert cli("demo", "--customers", "50", "--out", out, "--force", "--quiet")[0] == 0
    linked = tmp_path / "linked"
    os.symlink(out, linked)
    code, _, err = cli("demo", "--customers", "50", "--out", linked, "--force", "--quiet")
    assert code != 0 and "symbolic link" in err


def test_cli_load_refuses_to_overwrite_a_rejects_file_without_force(cli, tmp_path):
    assert cli("demo", "--customers", "250", "--out", tmp_path / "shop", "--quiet")[0] == 0
    rejects = tmp_path / "rejected.csv"
    rejects.write_text("mine")
    code, _, err = cli("load", tmp_path / "shop" / "transactions.csv", "--rejects", rejects, "--skip-models", "--quiet")
    assert code != 0 and "add --force to overwrite it" in err and rejects.read_text() == "mine"


def test_kb_add_says_when_it_replaces_a_document(cli, tmp_path):
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide\n\nVoice: warm and plain.\n\nWrite short sentences.\n")
    code, out, _ = cli("kb", "add", guide)
    assert code == 0 and out.startswith("Added")
    guide.write_text("# Guide, second edition\n\nVoice: crisp.\n")
    code, out, _ = cli("kb", "add", guide)
    assert code == 0 and out.startswith("Replaced the earlier guide.md") and "chunks" in out
    code, out, _ = cli("kb", "add", guide, "--json")
    import json
    assert json.loads(out)["replaced_chunks"] >= 1
