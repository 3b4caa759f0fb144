"""The shop's own brand: a workspace loaded from a shop's file has none and never the demo's; `tierwise
brand set` names it in every copy, in English and Chinese; the demo brand comes and goes with the demo."""

import json
import shutil

import pytest

from assistant.answer import ToolCallRecord
from assistant.planning_compose import compose_record
from tools.catalog import call_tool
from tools.context import ToolContext
from tools.dataset import Dataset
from tools.demo import generate_demo
from tools.knowledge import DEMO_BRAND
from tools.loading import load_dataset
from tools.workspace import Workspace

AUDIENCE = {"churn_risk": "high"}


@pytest.fixture(scope="module")
def shop_files(tmp_path_factory):
    """A shop's own export: orders and customers files (made by the demo generator, loaded as any user file)."""
    out = tmp_path_factory.mktemp("shop-files")
    generate_demo(out, customers=400, seed=11)
    return out


@pytest.fixture(scope="module")
def shop_home(shop_files, tmp_path_factory):
    """A new workspace loaded from the shop's files, read-only for the tests (they copy it)."""
    home = tmp_path_factory.mktemp("shop") / "home"
    load_dataset(Workspace(home), shop_files / "transactions.csv", customers=shop_files / "customers.csv")
    return home


@pytest.fixture
def shop(shop_home, isolated_home):
    """The shop's workspace as TIERWISE_HOME, so the CLI and the tools see the same one."""
    shutil.copytree(shop_home, isolated_home, dirs_exist_ok=True)
    return isolated_home


def draft(home, **args):
    dataset = Dataset(Workspace(home))
    ctx = ToolContext(snapshot=dataset.snapshot(), exports_dir=dataset.exports_dir, home=home)
    args = {**AUDIENCE, "goal": "winback", **args}
    result = call_tool(ctx, "draft_campaign", args)
    text = "\n".join(v for variant in result.variants for v in variant.values())
    answer = compose_record(args.get("language", "en"), ToolCallRecord("draft_campaign", args, "ok", result=result))
    return result, text, answer


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_workspace_loaded_from_a_shops_file_never_shows_the_demo_brand(shop, language):
    for channel in ("email", "sms", "push"):
        result, text, answer = draft(shop, language=language, channel=channel)
        assert result.facts["brand"] is None
        assert DEMO_BRAND not in text and DEMO_BRAND not in answer
        assert not [c for c, check in result.checks.items() if not check["passed"]], result.checks
        assert "tierwise brand set" in answer
    result, text, _ = draft(shop, language=language, channel="email")
    body = result.variants[0]["body"]
    if language == "en":
        assert "Warm wishes\n\n" in body and "news from us." in body and "team" not in body
    else:
        assert "祝好\n\n" in body and "订阅了我们的消息" in body and "团队" not in body


@pytest.mark.parametrize("language, signed, sms_prefix", [
    ("en", "Warm wishes,\nThe Harbour Goods team", "Harbour Goods:"),
    ("zh", "祝好，\nHarbour Goods 团队", "【Harbour Goods】"),
])
def test_after_brand_set_the_copy_carries_the_shops_name(shop, cli, language, signed, sms_prefix):
    code, out, err = cli("brand", "set", "--name", "Harbour Goods")
    assert code == 0, err
    assert "brand: Harbour Goods" in out
    result, text, answer = draft(shop, language=language)
    assert result.facts["brand"] == "Harbour Goods"
    assert all(signed in v["body"] for v in result.variants)
    assert "tierwise brand set" not in answer
    sms, _, _ = draft(shop, language=language, channel="sms")
    assert sms.variants[0]["text"].startswith(sms_prefix)


def test_a_voice_file_brings_its_voice_and_banned_words(shop, cli, tmp_path):
    guide = tmp_path / "harbour-voice.md"
    guide.write_text("# Harbour Goods voice\n\nVoice: calm, plain and kind.\nBanned words: hurry, exclusive\n",
                     encoding="utf-8")
    code, out, err = cli("brand", "set", "--name", "Harbour Goods", "--voice", guide)
    assert code == 0, err
    shown = json.loads(cli("brand", "show", "--json")[1])
    assert shown["brand"] == "Harbour Goods" and shown["voice"] == "calm, plain and kind."
    assert {"hurry", "exclusive"} <= set(shown["banned_words"]) and not shown["demo"]
    result, text, _ = draft(shop, goal="loyalty")
    assert {"hurry", "exclusive"} <= set(result.facts["banned_words"])
    assert "exclusive" not in text.lower()


def test_a_brand_needs_a_name_or_a_voice(shop, cli):
    code, _, err = cli("brand", "set")
    assert code == 2 and "--name" in err
    code, _, err = cli("brand", "set", "--name", " ")
    assert code == 2 and "empty" in err


def test_the_demo_brand_comes_with_the_demo_and_leaves_with_the_shops_own_data(cli, shop_files, isolated_home):
    code, _, err = cli("demo", "--customers", "300", "--load", "--quiet")
    assert code == 0, err
    shown = json.loads(cli("brand", "show", "--json")[1])
    assert shown["brand"] == DEMO_BRAND and shown["demo"] and "cheap" in shown["banned_words"]
    code, _, err = cli("load", shop_files / "transactions.csv", "--customers", shop_files / "customers.csv",
                       "--quiet", "--skip-models")
    assert code == 0, err
    shown = json.loads(cli("brand", "show", "--json")[1])
    assert shown == {"brand": None, "voice": None, "banned_words": [], "documents": [], "demo": False}
