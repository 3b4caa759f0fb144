"""The Chroma knowledge base: offline lexical embedding, seeding, retrieval, brand rules, persistence."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tools.errors import TierwiseError
from tools.knowledge import KnowledgeBase, LexicalEmbedding, chunk_paragraphs, default_embedding, kb_add, kb_list

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def kb(isolated_home):
    """The demo workspace's knowledge base: the demo shop's guides and past campaigns."""
    base = KnowledgeBase()
    base.add_demo_documents()
    return base


def forget_clients():
    """Drop Chroma's in-process client cache so the next client reads only what is on disk."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def test_the_embedding_is_deterministic_unit_length_and_512_wide():
    first = LexicalEmbedding()(["Win back lapsed customers with an email", "挽回流失顾客的短信"])
    again = LexicalEmbedding()(["Win back lapsed customers with an email", "挽回流失顾客的短信"])
    assert [len(v) for v in first] == [512, 512]
    assert all(np.allclose(a, b) for a, b in zip(first, again))
    assert all(np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5) for v in first)
    assert not np.allclose(first[0], first[1])


def test_the_embedding_is_the_same_in_another_process():
    # Python's own hash() is salted per process; the embedding must not depend on it
    code = ("from tools.knowledge import LexicalEmbedding; "
            "print(','.join(f'{x:.6f}' for x in LexicalEmbedding().embed('loyalty sms for VIP customers')[:40]))")
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    here = LexicalEmbedding().embed("loyalty sms for VIP customers")[:40]
    assert np.allclose([float(x) for x in out.stdout.strip().split(",")], here, atol=1e-6)


def test_the_embedding_persists_through_its_config():
    from chromadb.utils.embedding_functions import known_embedding_functions

    built = LexicalEmbedding.build_from_config(LexicalEmbedding(dim=256).get_config())
    assert built.dim == 256 and len(built(["hello"])[0]) == 256
    assert known_embedding_functions[LexicalEmbedding.name()] is LexicalEmbedding
    assert not LexicalEmbedding().is_legacy()


def test_related_texts_are_closer_than_unrelated_ones():
    emb = LexicalEmbedding()
    query, related, unrelated = emb(["win-back email for lapsed customers",
                                     "Our win-back emails to lapsed customers opened well",
                                     "Summer garden furniture and barbecue tips"])
    assert float(np.dot(query, related)) > float(np.dot(query, unrelated)) + 0.2


def test_a_new_knowledge_base_is_empty_and_has_no_brand(isolated_home):
    fresh = KnowledgeBase()
    assert fresh.list() == [] and not fresh.has_demo_documents()
    assert fresh.brand_rules() == {"brand": None, "banned_words": [], "voice": "", "sources": []}


def test_the_demo_adds_its_brand_guides_and_past_campaigns_and_can_take_them_away(kb):
    sources = {row["source"]: row for row in kb.list()}
    assert {"brand_guide.md", "brand_guide_zh.md"} <= set(sources)
    assert sum(s.startswith("campaigns/") for s in sources) >= 4
    assert {row["language"] for row in sources.values()} == {"en", "zh"}
    assert all(row["kind"] == "demo" and row["chunks"] >= 1 for row in sources.values())
    kb.remove_demo_documents()
    assert kb.list() == [] and kb.brand_rules()["brand"] is None


def test_demo_documents_an_older_version_seeded_everywhere_are_dropped(isolated_home):
    old = KnowledgeBase()
    old._index("brand_guide.md", "Brand: Tierwise Demo Shop\nBanned words: cheap\n", kind="seed")
    forget_clients()
    assert KnowledgeBase().brand_rules()["brand"] is None


def test_brand_rules_come_from_the_guides(kb):
    rules = kb.brand_rules()
    assert rules["brand"] == "Tierwise Demo Shop"
    assert {"cheap", "guaranteed", "act now", "最便宜"} <= set(rules["banned_words"])
    assert "warm" in rules["voice"]
    assert "亲切" in kb.brand_rules("zh")["voice"]


@pytest.mark.parametrize("query, expected", [
    ("win back lapsed customers by email", "campaigns/2024-03-winback-email-en.md"),
    ("VIP loyalty text message", "campaigns/2024-06-loyalty-sms-en.md"),
    ("挽回流失顾客的短信", "campaigns/2025-01-winback-sms-zh.md"),
    ("welcome push notification for new customers", "campaigns/2024-11-welcome-push-en.md"),
])
def test_search_ranks_the_relevant_campaign_first(kb, query, expected):
    hits = kb.search(query, k=3)
    assert hits[0]["source"] == expected
    assert hits[0]["score"] > hits[-1]["score"] or len({h["source"] for h in hits}) == 1
    assert {"source", "text", "score", "kind", "chunk"} <= set(hits[0])


def test_an_added_document_is_found_by_search(kb, tmp_path):
    doc = tmp_path / "garden.md"
    doc.write_text("# Garden furniture launch\n\nOur spring garden furniture campaign: teak benches, "
                   "parasols and outdoor cushions for balconies and patios.\n", encoding="utf-8")
    assert kb.add_file(doc) == 1
    assert kb.search("outdoor garden furniture for the patio", k=2)[0]["source"] == "garden.md"


def test_a_users_banned_words_join_those_of_the_demo_guides(kb, tmp_path):
    doc = tmp_path / "house-rules.txt"
    doc.write_text("House rules\n\nBrand: Harbour Goods\nBanned words: exclusive, hurry\n", encoding="utf-8")
    kb.add_file(doc)
    rules = kb.brand_rules()
    assert {"exclusive", "hurry", "cheap", "最便宜"} <= set(rules["banned_words"])
    assert rules["brand"] == "Harbour Goods"


def test_documents_persist_across_instances(isolated_home, tmp_path):
    doc = tmp_path / "notes.md"
    doc.write_text("Autumn newsletter notes\n\nKeep the subject under forty characters.\n", encoding="utf-8")
    KnowledgeBase().add_file(doc)
    forget_clients()
    again = KnowledgeBase()
    assert "notes.md" in {row["source"] for row in again.list()}
    assert again.search("autumn newsletter", k=1)[0]["source"] == "notes.md"
    assert (isolated_home / "kb" / "docs" / "notes.md").is_file()


def test_adding_the_same_file_again_replaces_its_chunks(kb, tmp_path):
    doc = tmp_path / "guide.md"
    doc.write_text("First paragraph about email tone, long enough to stand alone as its own chunk of text here.\n\n"
                   "Second paragraph about SMS length and how to keep it within a single message for readers.\n",
                   encoding="utf-8")
    first = kb.add_file(doc)
    second = kb.add_file(doc)
    assert first == second
    assert [row["chunks"] for row in kb.list() if row["source"] == "guide.md"] == [first]


def test_only_text_and_markdown_files_are_accepted(kb, tmp_path):
    doc = tmp_path / "orders.csv"
    doc.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(TierwiseError, match=r"\.txt or \.md"):
        kb.add_file(doc)
    with pytest.raises(TierwiseError, match="File not found"):
        kb.add_file(tmp_path / "missing.md")


def test_cli_hooks_add_to_and_list_the_workspace_knowledge_base(isolated_home, tmp_path):
    doc = tmp_path / "summer.md"
    doc.write_text("Summer sale rules\n\nBanned words: blowout\n", encoding="utf-8")
    assert kb_add(doc) == 1
    assert (isolated_home / "kb" / "docs" / "summer.md").is_file()
    assert {"source": "summer.md", "chunks": 1}.items() <= next(r for r in kb_list() if r["source"] == "summer.md").items()
    assert "blowout" in KnowledgeBase().brand_rules()["banned_words"]


def test_paragraphs_become_chunks_and_short_headings_stay_with_their_body():
    text = "# Heading\n\n" + "A paragraph long enough to be a chunk on its own. " * 4 + "\n\n" + "Another one. " * 12
    chunks = chunk_paragraphs(text)
    assert len(chunks) == 2 and chunks[0].startswith("# Heading\n\nA paragraph")


def test_openai_embeddings_are_used_only_when_asked_for_and_configured(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("TIERWISE_KB_EMBEDDINGS", "openai")
    assert isinstance(default_embedding(), LexicalEmbedding)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert type(default_embedding()).__name__ == "OpenAIEmbeddingFunction"
    monkeypatch.delenv("TIERWISE_KB_EMBEDDINGS")
    assert isinstance(default_embedding(), LexicalEmbedding)


def test_tierwise_kb_add_and_kb_list_work_from_the_command_line(cli, tmp_path):
    doc = tmp_path / "tone.md"
    doc.write_text("Tone notes\n\nBanned words: unbeatable\n", encoding="utf-8")
    code, out, err = cli("kb", "add", doc)
    assert code == 0, err
    code, out, err = cli("kb", "list")
    assert code == 0, err
    assert "tone.md" in out and "brand_guide.md" not in out  # a shop's own workspace has no demo documents
