"""The shop's own brand: the name that signs campaign copy and the voice it is written in.

A new workspace has no brand: copy signs off neutrally and answers say how to set one. The demo
shop's brand (its guide and past campaigns in `prompts/kb/`) belongs to the demo workspace only:
`tierwise demo --load` adds it, and loading a shop's own data takes it away again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.errors import TierwiseError
from tools.settings import read_settings, write_settings

SET_BRAND_HINT = {
    "en": 'set yours with `tierwise brand set --name "Your Shop"` (or in the Settings tab)',
    "zh": '可用 `tierwise brand set --name "你的店名"` 设置（或在设置页中设置）',
}


def _kb(home: Path):
    from tools.knowledge import KnowledgeBase

    return KnowledgeBase(home)


def brand_name(home: str | Path, kb=None) -> str | None:
    """The name copy is signed with: the one set for the workspace, else one a brand document names, else None."""
    name = read_settings(home).get("brand")
    if name:
        return name
    kb = kb if kb is not None else (_kb(Path(home)) if (Path(home) / "kb").is_dir() else None)
    return kb.brand_rules()["brand"] if kb is not None else None


def set_brand(home: str | Path, *, name: str | None = None, voice: str | Path | None = None) -> dict[str, Any]:
    """Set the brand name and/or add a voice document (a brand guide: voice, banned words, examples)."""
    if name is None and voice is None:
        raise TierwiseError('Give the brand a name (--name "Your Shop") or a voice document (--voice guide.md).')
    home = Path(home)
    if name is not None and not name.strip():
        raise TierwiseError('The brand name is empty; give one like --name "Harbour Goods".')
    chunks = None
    if voice is not None:
        chunks = _kb(home).add_file(voice)
    if name is not None:
        write_settings(home, brand=name)
    return {**brand_status(home), **({"voice_added": Path(voice).name, "chunks": chunks} if voice is not None else {})}


def brand_status(home: str | Path) -> dict[str, Any]:
    home = Path(home)
    kb = _kb(home) if (home / "kb").is_dir() else None
    rules = kb.brand_rules() if kb is not None else {"voice": "", "banned_words": [], "sources": []}
    return {"brand": brand_name(home, kb), "voice": rules["voice"] or None, "banned_words": rules["banned_words"],
            "documents": rules["sources"], "demo": bool(kb is not None and kb.has_demo_documents())}


def adopt_loaded_data(home: str | Path, *, demo: bool) -> None:
    """After a successful load: the demo brings its brand; a shop's own data leaves no trace of it."""
    from tools.knowledge import DEMO_BRAND

    home = Path(home)
    if demo:
        _kb(home).add_demo_documents()
        return
    if (home / "kb").is_dir():
        kb = _kb(home)
        if kb.has_demo_documents():
            kb.remove_demo_documents()
    if read_settings(home).get("brand") == DEMO_BRAND:
        write_settings(home, brand=None)
