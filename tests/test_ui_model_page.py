"""The Models tab reads like a report: each model's verdict in words first, then its figures in their units,
never a number in e-notation, never a column's code name."""

import html
import re

from ui.formatting import Style
from ui.model_page import card_html, churn_table, plain_number, verdict_line

VERDICT = {"verdict": "good", "sentence": "Good: accuracy 0.477 against 0.449 …", "metric": "accuracy",
           "model": 0.47699, "baseline": 0.44875, "baseline_name": "always guessing 'low'", "difference": 0.02825,
           "ci_low": 0.007, "ci_high": 0.049, "margin": 0.02, "n": 1239, "fallback": "the most common tier"}
TIERS = {"model": "tiers", "definition": "high = top 20%, by predicted 12-month value (clv_12m)",
         "sizes": {"low": 2468, "mid": 1483, "high": 984}, "value_share": {"high": 0.6648, "low": 0.0882, "mid": 0.2469},
         "thresholds": {"high": 360.91391790045265, "low": 6.6957924279621446e-12, "mid": 113.66381865323018},
         "cutoff_ratio": 3.175, "verdict": VERDICT, "young_customer_classifier": {"verdict": VERDICT}}


def shown(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def test_numbers_are_never_in_e_notation():
    assert plain_number(6.6957924279621446e-12) == "≈ 0"
    assert plain_number(0.000123456) == "0.000123"
    assert plain_number(23.818630878025257) == "23.8" and plain_number(1281975.97) == "1,281,976"
    assert plain_number(-0.1007) == "-0.101"


def test_a_verdict_reads_in_words_with_its_figures_in_their_units():
    word, sentence = verdict_line(VERDICT, Style())
    assert word == "Good"
    assert sentence == ("accuracy 47.7% against 44.9% for always guessing 'low' (+2.8 points, 95% CI +0.7 points to "
                        "+4.9 points, 1,239 customers).")
    mae = {**VERDICT, "metric": "MAE of revenue in 180 days", "model": 153.66, "baseline": 200.26,
           "difference": 46.6, "ci_low": 39.5, "ci_high": 53.7, "verdict": "weak"}
    word, sentence = verdict_line(mae, Style(currency="EUR"))
    assert word == "Weak" and "€153.66 against €200.26" in sentence and "only by +€46.60" in sentence


def test_a_card_opens_with_its_verdict_then_its_figures_in_words():
    text = shown(card_html("tiers", TIERS, None, Style(currency="USD")))
    assert text.strip().startswith("Value tiers Good : predicting a young customer's tier")
    assert "High 984 · Mid 1,483 · Low 2,468" in text and "High 66.5% · Mid 24.7% · Low 8.8%" in text
    assert "High from $360.91 · Mid from $113.66 · Low the rest" in text
    assert "expected 12-month value" in text and "clv_12m" not in text
    assert not re.search(r"\de-\d", text) and "0.6648" not in text
    assert text.count("always guessing") == 1  # the tiers' verdict is its young-customer classifier's: once


def test_segments_and_personas_get_a_verdict_in_words_too():
    segments = shown(card_html("segments", {"sizes": {"cannot_lose": 171, "champions": 1199}}, None))
    assert "Rules, not a prediction :" in segments and "Champions 1,199 · Can't lose 171" in segments
    personas = shown(card_html("personas", {"k": 7, "silhouette": 0.2574}, None))
    assert "Weak structure : 7 personas with a silhouette of 0.26" in personas


def test_the_churn_table_names_models_and_metrics_in_words():
    table = churn_table({"churn": {"auc": 0.85105, "pr_auc": 0.93378, "brier": 0.13249, "top_decile_lift": 1.3607,
                                   "baselines": {"recency_only": {"auc": 0.8053}}}})
    assert list(table.columns) == ["Model", "ROC-AUC", "PR-AUC", "Brier score", "Top-decile lift"]
    assert table.iloc[0].tolist() == ["Churn model", "0.851", "0.934", "0.132", "1.36×"]
    assert table.iloc[1, 0] == "Days since the last order alone"
