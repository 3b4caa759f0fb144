import shutil

from ui.loadtest import run_load_test


def test_a_short_load_test_answers_every_question_without_errors(built_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    result = run_load_test(home, users=3, seconds=8)
    assert result["errors"] == 0, result["error_examples"]
    assert result["answers"] >= 3 and result["p95_ms"] >= result["p50_ms"] > 0
