"""Patterns that read a shop's files, its knowledge base or an LLM's copy finish on any text (issue 12: every regex
that sees user or data text is linear or input-bounded, with a pathological input per pattern family).

Found by running every module-level pattern over runs of one or two characters with a bad ending. Each case runs in
a child process with a time limit far above what the pattern needs now (milliseconds) and far below what the old
pattern took on the same text (minutes to hours), so a backtracking pattern fails the test instead of hanging it.
Speed itself is measured elsewhere (`python -m tools.hostile_bench`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 60  # imports included; the old patterns needed minutes (header guess, brand rules, offer wording)


def run_child(code: str, *args: str) -> dict:
    """Run `code` in a fresh interpreter at the repository root; its last line of output, as JSON."""
    try:
        out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                             timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {LIMIT_S} s: a pattern backtracks on this text")
    assert out.returncode == 0, out.stderr[-2_000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_header_guess_reads_a_cell_of_spaces_between_a_digit_and_a_stray_character_once(tmp_path):
    """tools.reading's data-like test on the first rows: '1' + spaces + '!' in a cell took 4.5 s for a 1.5 KB file
    (each split of the spaces between the pattern's runs was tried: cubic); 20,000 spaces would have taken hours."""
    path = tmp_path / "spaces.csv"
    path.write_text("x,y\n" + "1" + " " * 20_000 + "!,z\n2,w\n", encoding="utf-8")
    result = run_child(
        "import json, sys, duckdb\n"
        "from tools.reading import read_raw, _DATA_LIKE\n"
        "read_raw(duckdb.connect(), sys.argv[1], 'raw')\n"
        "cases = ['1' + ' ' * 50_000 + '!', ' ' * 50_000 + '!', '(' + ' ' * 50_000 + '$' + ' ' * 50_000 + 'x', '1 ' * 50_000 + '!']\n"
        "print(json.dumps({'slow_cases_match': [bool(_DATA_LIKE.match(c)) for c in cases],\n"
        "                  'still_data': [bool(_DATA_LIKE.match(v)) for v in ['12.50', ' (1,234.00) ', '$ 5', '2024-01-31', '10 kg', '2024年1月', '']],\n"
        "                  'still_names': [bool(_DATA_LIKE.match(v)) for v in ['amount', 'order id', 'A1 code']]}))\n",
        str(path))
    assert result == {"slow_cases_match": [False, False, False, False], "still_data": [True] * 7,
                      "still_names": [False] * 3}


def test_brand_rule_lines_are_read_once_however_many_blank_or_indented_lines_a_guide_has():
    """tools.knowledge's Brand:/Voice:/Banned words: lines, read on every campaign draft: 1,000 lines of one space
    took 55 s (every line start scanned the whole blank run), one line of 8,000 leading spaces 2 s (quadratic)."""
    result = run_child(
        "import json\n"
        "from tools.knowledge import parse_rules\n"
        "texts = ['Voice: warm and plain.\\n' + '\\n ' * 50_000 + '\\nBanned words: hurry, cheap\\n',\n"
        "         'Voice: warm and plain.\\n' + ' ' * 200_000 + 'y\\nBrand: Harbour Goods\\n',\n"
        "         '\\n' * 200_000 + '- **Voice**: calm\\n', 'Voice:' + ' ' * 200_000, 'Voice:' + '\\n' * 200_000]\n"
        "print(json.dumps([parse_rules(t) for t in texts]))\n")
    blank, indented, bullet, empty_spaces, empty_lines = result
    assert blank == {"brand": None, "voice": "warm and plain.", "banned_words": ["hurry", "cheap"]}
    assert indented == {"brand": "Harbour Goods", "voice": "warm and plain.", "banned_words": []}
    assert bullet["voice"] == "calm"
    assert not empty_spaces["voice"] and not empty_lines["voice"]


def test_offer_wording_in_llm_copy_is_read_once_along_a_long_run_of_digits():
    """tools.copywriting's offer check over the LLM's copy: 12,000 digits took 8 s (every digit of the run started a
    match that failed at its end: quadratic); a reply of the red team's 400k characters would have taken hours."""
    result = run_child(
        "import json\n"
        "from tools.copywriting import offer_mentions\n"
        "runs = ['1' * 200_000 + 'x', '.' * 200_000 + 'x', '三' * 200_000 + 'x', '1' + ' ' * 200_000 + 'x']\n"
        "print(json.dumps({'runs': [offer_mentions(r, None) for r in runs],\n"
        "                  'found': offer_mentions('Save 20% today, or $5 off, 满100减20, 八折', None),\n"
        "                  'covered': offer_mentions('Take 15% off your next order', '15% off')}))\n")
    assert result["runs"] == [[], [], [], []]
    assert result["found"] == ["Save 20", "$5 off", "满100减20", "八折"]  # as before
    assert result["covered"] == []
