"""The knowledge base the copywriter grounds itself in: brand guide and past campaigns, in Chroma.

A persistent Chroma collection lives in the workspace (`<TIERWISE_HOME>/kb/chroma`). A new
workspace's knowledge base is empty: the documents in `prompts/kb/` are the demo shop's brand guide
and past campaigns, added only to the demo workspace (`tierwise demo --load`) and removed when a
shop loads its own data. Users add their own `.txt`/`.md` files (`tierwise kb add FILE`, `tierwise
brand set --voice FILE`), which are also copied to `<TIERWISE_HOME>/kb/docs/` so they can be indexed
again when the embedding changes.

Embeddings are offline by default: `LexicalEmbedding` hashes words, word pairs, character
trigrams and CJK bigrams into 512 signed buckets, so nothing is ever downloaded (Chroma's own
default embedding would fetch an ONNX model). With `OPENAI_API_KEY` set and
`TIERWISE_KB_EMBEDDINGS=openai`, Chroma's OpenAI embedding function is used instead. Each
embedding has its own collection, so switching never mixes vectors of different spaces.

Brand rules are read from every document that has a "Banned words:", "Voice:" or "Brand:" line (or
禁用词/语气/品牌): `Brand:` names the brand, `Voice:` describes it, and banned words from all such
documents are combined. The brand name set with `tierwise brand set` (workspace settings) wins
over any document's.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from tools.errors import TierwiseError
from tools.workspace import Workspace

DEMO_DIR = Path(__file__).resolve().parents[1] / "prompts" / "kb"  # the demo shop's guides and campaigns
DOC_SUFFIXES = (".txt", ".md")
DEMO_BRAND = "Tierwise Demo Shop"
MAX_CHUNK_CHARS = 900  # paragraphs are merged up to this size so short headings keep their body
MIN_CHUNK_CHARS = 120
OPENAI_MODEL = "text-embedding-3-small"

# Marketing terms that mean the same thing in English and Chinese share one feature, so a
# Chinese query finds an English campaign about the same goal and the other way round.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "winback": ("winback", "win-back", "win back", "lapsed", "lapse", "come back", "miss you", "挽回", "召回", "回流", "流失", "好久不见"),
    "retention": ("retention", "retain", "churn", "留存", "复购", "挽留"),
    "upsell": ("upsell", "upgrade", "升级", "加购"),
    "cross_sell": ("cross-sell", "cross sell", "cross_sell", "bought together", "交叉销售", "搭配"),
    "welcome": ("welcome", "new customer", "first order", "欢迎", "新客", "新用户", "首单"),
    "loyalty": ("loyalty", "vip", "champions", "loyal", "member", "会员", "忠诚", "老客"),
    "announcement": ("announcement", "launch", "new arrival", "新品", "上新", "公告", "发布"),
    "email": ("email", "e-mail", "newsletter", "subject line", "邮件", "邮箱", "主题"),
    "sms": ("sms", "text message", "短信"),
    "push": ("push", "notification", "app push", "推送", "通知"),
    "brand": ("brand guide", "brand voice", "voice", "tone", "banned words", "品牌", "语气", "禁用词"),
    "results": ("open rate", "click rate", "conversion", "results", "revenue", "打开率", "点击率", "转化", "效果"),
}
STOPWORDS = frozenset("""a an and are as at be but by for from has have i in is it its of on or our so that the
their them then there these they this to was we were what when which who will with you your""".split())
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _bucket(feature: str, dim: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dim, (1.0 if (value >> 63) & 1 else -1.0)


def _stem(word: str) -> str:
    # plural folding only: character trigrams already link the other inflections
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def lexical_features(text: str) -> dict[str, float]:
    """Weighted lexical features of a text: words, word pairs, character trigrams, CJK bigrams, concepts."""
    norm = unicodedata.normalize("NFKC", text).lower()
    features: dict[str, float] = {}

    def add(key: str, weight: float) -> None:
        features[key] = features.get(key, 0.0) + weight

    words = [_stem(w) for w in WORD.findall(norm) if w not in STOPWORDS]
    for word in words:
        add("w:" + word, 1.0)
        padded = f"^{word}$"
        grams = [padded[i:i + 3] for i in range(len(padded) - 2)]
        for gram in grams:
            add("c:" + gram, 0.6 / max(len(grams), 1))
    for left, right in zip(words, words[1:]):
        add(f"b:{left} {right}", 0.5)
    for run in CJK.findall(norm):
        for ch in run:
            add("h:" + ch, 0.4)
        for i in range(len(run) - 1):
            add("hb:" + run[i:i + 2], 1.0)
    for concept, terms in CONCEPTS.items():
        hits = sum(norm.count(term) for term in terms)
        if hits:
            add("k:" + concept, 1.5 * hits)
    return features


@register_embedding_function
class LexicalEmbedding(EmbeddingFunction[Documents]):
    """Deterministic offline embedding: hashed lexical features, log-scaled, L2-normalised."""

    def __init__(self, dim: int = 512):
        self.dim = int(dim)

    def __call__(self, input: Documents) -> Embeddings:
        return [self.embed(text) for text in input]

    def embed(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for feature, weight in lexical_features(text).items():
            index, sign = _bucket(feature, self.dim)
            vector[index] += sign * np.log1p(weight)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector

    @staticmethod
    def name() -> str:
        return "tierwise-lexical"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "LexicalEmbedding":
        return LexicalEmbedding(dim=int(config.get("dim", 512)))

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]


def default_embedding() -> EmbeddingFunction:
    """OpenAI embeddings only when asked for and configured; the lexical embedding otherwise."""
    if os.environ.get("TIERWISE_KB_EMBEDDINGS", "").lower() == "openai" and os.environ.get("OPENAI_API_KEY"):
        from chromadb.utils.embedding_functions import OpenAIEmbeddingFunction

        return OpenAIEmbeddingFunction(api_key_env_var="OPENAI_API_KEY",
                                       model_name=os.environ.get("TIERWISE_KB_EMBEDDING_MODEL", OPENAI_MODEL),
                                       api_base=os.environ.get("OPENAI_BASE_URL") or None)
    return LexicalEmbedding()


@lru_cache(maxsize=1)
def _settings():
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False)  # and no network at run time


def chunk_paragraphs(text: str) -> list[str]:
    """Paragraphs (blank-line separated); short ones are merged with the next so headings keep their body."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    chunks: list[str] = []
    current = ""
    for para in paragraphs:
        if current and (len(current) >= MIN_CHUNK_CHARS or len(current) + len(para) > MAX_CHUNK_CHARS):
            chunks.append(current)
            current = ""
        current = f"{current}\n\n{para}" if current else para
    if current:
        chunks.append(current)
    return chunks


def _language(text: str) -> str:
    cjk = sum(len(run) for run in CJK.findall(text))
    letters = sum(ch.isalpha() for ch in text)
    return "zh" if letters and cjk / letters > 0.3 else "en"


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise TierwiseError(f"Cannot read {path.name}: it is not a text file in a known encoding.")
    return str(best)


class KnowledgeBase:
    """Brand guide and past campaigns in a persistent Chroma collection under `<home>/kb`.

    `home` is the workspace home (default: TIERWISE_HOME); `embedding` defaults to
    `default_embedding()`.
    """

    def __init__(self, home: str | Path | None = None, *, embedding: EmbeddingFunction | None = None):
        import chromadb

        self.dir = (Path(home).expanduser() if home is not None else Workspace().home) / "kb"
        self.docs_dir = self.dir / "docs"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.embedding = embedding or default_embedding()
        client = chromadb.PersistentClient(path=str(self.dir / "chroma"),
                                           settings=_settings())
        name = re.sub(r"[^a-zA-Z0-9_-]+", "-", f"kb-{self.embedding.name()}")[:60]
        self.collection = client.get_or_create_collection(
            name, embedding_function=self.embedding, configuration={"hnsw": {"space": "cosine"}})
        self._restore()

    # -- documents ---------------------------------------------------------------------------

    def _restore(self) -> None:
        """Refresh the demo documents if this is the demo workspace, and index user copies missing here.

        Earlier versions seeded the demo documents into every workspace (kind "seed"); they are dropped,
        so a shop's copy never carries the demo brand."""
        if self.collection.get(where={"kind": "seed"}, include=[], limit=1)["ids"]:
            self.collection.delete(where={"kind": "seed"})
        if self.has_demo_documents():
            self.add_demo_documents()
        if self.docs_dir.is_dir():
            known = {m["source"] for m in self.collection.get(where={"kind": "user"}, include=["metadatas"])["metadatas"]}
            for path in sorted(self.docs_dir.iterdir()):
                if path.suffix in DOC_SUFFIXES and path.name not in known:
                    self._index(path.name, _read_text(path), kind="user")

    def has_demo_documents(self) -> bool:
        return bool(self.collection.get(where={"kind": "demo"}, include=[], limit=1)["ids"])

    def add_demo_documents(self) -> int:
        """Index the demo shop's brand guides and past campaigns (again when they change); returns the documents."""
        paths = sorted(p for p in DEMO_DIR.rglob("*") if p.suffix in DOC_SUFFIXES and p.is_file())
        digest = hashlib.sha256()
        for path in paths:
            digest.update(path.relative_to(DEMO_DIR).as_posix().encode() + b"\0" + path.read_bytes())
        demo_hash = digest.hexdigest()[:16]
        current = self.collection.get(where={"kind": "demo"}, include=["metadatas"], limit=1)
        if not current["ids"] or current["metadatas"][0].get("demo_hash") != demo_hash:
            self.collection.delete(where={"kind": "demo"})
            for path in paths:
                self._index(path.relative_to(DEMO_DIR).as_posix(), _read_text(path), kind="demo",
                            extra={"demo_hash": demo_hash})
        return len(paths)

    def remove_demo_documents(self) -> None:
        self.collection.delete(where={"kind": "demo"})

    def _index(self, source: str, text: str, *, kind: str, extra: dict[str, Any] | None = None) -> int:
        chunks = chunk_paragraphs(text)
        if not chunks:
            raise TierwiseError(f"{source} has no text to add to the knowledge base.")
        self.collection.delete(where={"$and": [{"source": source}, {"kind": kind}]})
        added = datetime.now(timezone.utc).isoformat(timespec="seconds")
        language = _language(text)
        self.collection.upsert(
            ids=[f"{kind}:{source}#{i}" for i in range(len(chunks))],
            documents=chunks,
            metadatas=[{"source": source, "kind": kind, "chunk": i, "lang": language, "added_at": added, **(extra or {})}
                       for i in range(len(chunks))])
        return len(chunks)

    def add_file(self, path: str | Path) -> int:
        """Add (or replace) a .txt/.md document; returns the number of chunks indexed."""
        path = Path(path).expanduser()
        if not path.is_file():
            raise TierwiseError(f"File not found: {path}")
        if path.suffix.lower() not in DOC_SUFFIXES:
            raise TierwiseError(f"{path.name}: the knowledge base takes .txt or .md files; "
                                f"got '{path.suffix or 'no extension'}'.")
        text = _read_text(path)
        count = self._index(path.name, text, kind="user")
        self.docs_dir.mkdir(parents=True, exist_ok=True)
        if path.resolve() != (self.docs_dir / path.name).resolve():
            shutil.copyfile(path, self.docs_dir / path.name)
        return count

    def document_chunks(self, path: str | Path) -> int:
        """How many chunks the user document of this file name already has (0: adding it replaces nothing)."""
        found = self.collection.get(where={"$and": [{"source": Path(path).name}, {"kind": "user"}]}, include=[])
        return len(found["ids"])

    def list(self) -> list[dict[str, Any]]:
        """One row per document: source, kind (demo or user), chunks, language."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for meta in self.collection.get(include=["metadatas"])["metadatas"]:
            key = (meta["kind"], meta["source"])
            row = rows.setdefault(key, {"source": meta["source"], "kind": meta["kind"], "chunks": 0,
                                        "language": meta.get("lang"), "added_at": meta.get("added_at")})
            row["chunks"] += 1
        return sorted(rows.values(), key=lambda r: (r["kind"] != "demo", r["source"]))

    def search(self, query: str, k: int = 4) -> list[dict[str, Any]]:
        """The k chunks closest to the query: source, text, score (cosine similarity), kind."""
        total = self.collection.count()
        if not query.strip() or total == 0:
            return []
        found = self.collection.query(query_texts=[query], n_results=min(k, total),
                                      include=["documents", "metadatas", "distances"])
        return [{"source": meta["source"], "kind": meta["kind"], "chunk": meta["chunk"], "text": doc,
                 "score": round(1.0 - float(dist), 4)}
                for doc, meta, dist in zip(found["documents"][0], found["metadatas"][0], found["distances"][0])]

    # -- brand rules -------------------------------------------------------------------------

    def brand_rules(self, language: str = "en") -> dict[str, Any]:
        """Brand name (None when no document names one), voice and banned words from every document
        with a "Banned words:", "Voice:" or "Brand:" line (or 禁用词/语气/品牌).

        Banned words are combined from all such documents; a user's document overrides the demo's
        brand name and voice, and a voice written in `language` is preferred.
        """
        hits = self.collection.get(
            where_document={"$or": [{"$contains": marker} for marker in ("Banned words:", "禁用词", "Voice:", "语气",
                                                                        "Brand:", "品牌")]},
            include=["metadatas"])
        sources = sorted({(m["kind"], m["source"]) for m in hits["metadatas"]})
        docs = []
        for kind, source in sources:
            got = self.collection.get(where={"$and": [{"source": source}, {"kind": kind}]},
                                      include=["documents", "metadatas"])
            parts = sorted(zip(got["metadatas"], got["documents"]), key=lambda pair: pair[0]["chunk"])
            meta = parts[0][0]
            docs.append({"kind": kind, "source": source, "lang": meta.get("lang"), "added_at": meta.get("added_at", ""),
                         "text": "\n".join(doc for _, doc in parts)})
        # the demo's documents first, then the user's in the order they were added: later ones win
        docs.sort(key=lambda d: (d["kind"] != "demo", d["added_at"], d["source"]))
        brand, voices, banned = None, [], []
        for doc in docs:
            parsed = parse_rules(doc["text"])
            brand = parsed["brand"] or brand
            if parsed["voice"]:
                voices.append((doc["lang"], parsed["voice"]))
            for word in parsed["banned_words"]:
                if word.lower() not in {b.lower() for b in banned}:
                    banned.append(word)
        preferred = [v for lang, v in voices if lang == language]
        voice = (preferred or [v for _, v in voices] or [""])[-1]
        return {"brand": brand, "banned_words": banned, "voice": voice,
                "sources": [d["source"] for d in docs]}


# A line's leading space never runs past its own line break, and the other runs are possessive (`*+`): with `^\s*`
# every line start of a run of blank lines scanned the whole run, and each split of a line's leading spaces was
# tried, so a guide with 2,000 blank lines, or one line of 8,000 leading spaces, took a minute or more to read on
# every campaign draft (brand_rules). Linear now; the same lines match.
RULE_LINE = re.compile(r"^[^\S\n]*+(?:[-*]\s*+)?(?:\*\*)?(brand|voice|banned words|品牌|语气|禁用词)(?:\*\*)?\s*+[:：]\s*+"
                       r"(.*\S)[^\S\n]*$", re.IGNORECASE | re.MULTILINE)


def parse_rules(text: str) -> dict[str, Any]:
    """Brand, voice and banned words from `Brand:` / `Voice:` / `Banned words:` lines (or 品牌/语气/禁用词)."""
    found: dict[str, Any] = {"brand": None, "voice": None, "banned_words": []}
    for label, value in RULE_LINE.findall(text):
        label = label.lower()
        if label in ("brand", "品牌"):
            found["brand"] = value.strip().strip('"“”')
        elif label in ("voice", "语气"):
            found["voice"] = value.strip()
        else:
            for word in re.split(r"[,，、;；]", value):
                word = word.strip().strip('"“”\'‘’。.').strip()
                if word:
                    found["banned_words"].append(word)
    return found


def kb_add(path: str | Path) -> int:
    """CLI hook for `tierwise kb add FILE`: index the file in the workspace's knowledge base; returns its chunks."""
    return KnowledgeBase().add_file(path)


def kb_replaces(path: str | Path) -> int:
    """Chunks of an earlier document of the same file name that `kb add FILE` would replace (0 for none)."""
    return KnowledgeBase().document_chunks(path)


def kb_list() -> list[dict[str, Any]]:
    """CLI hook for `tierwise kb list`: the documents in the workspace's knowledge base."""
    return KnowledgeBase().list()
