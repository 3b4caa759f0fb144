"""Workspace settings a shop sets once (currency for now), kept in $TIERWISE_HOME/settings.json."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from tools.errors import TierwiseError

SETTINGS_FILE = "settings.json"
DEFAULTS: dict[str, Any] = {"currency": None}
CURRENCY = re.compile(r"^[A-Za-z]{3}$|^[$€£¥￥₩₹]$|^(元|円|人民币)$")


def read_settings(home: str | Path) -> dict[str, Any]:
    path = Path(home) / SETTINGS_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        stored = {}
    except (OSError, ValueError) as exc:
        raise TierwiseError(f"The settings file {path} could not be read ({exc}); fix or delete it.") from exc
    return {**DEFAULTS, **{k: v for k, v in stored.items() if k in DEFAULTS}}


def write_settings(home: str | Path, **changes: Any) -> dict[str, Any]:
    """Validate and store changed settings (None clears one); return them all."""
    current = read_settings(home)
    for key, value in changes.items():
        if key not in DEFAULTS:
            raise TierwiseError(f"Unknown setting '{key}'. Settings: {', '.join(DEFAULTS)}.")
        if key == "currency" and value not in (None, ""):
            value = str(value).strip()
            if not CURRENCY.match(value):
                raise TierwiseError(f"Currency '{value[:20]}' is not a 3-letter code (USD, EUR, CNY) or a sign ($, €, ¥).")
            value = value.upper() if len(value) == 3 and value.isascii() else value
        current[key] = value or None
    path = Path(home) / SETTINGS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(current, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return current
