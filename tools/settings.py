"""Workspace settings a shop sets once, kept in $TIERWISE_HOME/settings.json: the currency of money
in answers, the brand that signs campaign copy, the economics campaign forecasts run on
(gross margin, what a message costs to send per channel, what free shipping costs per order),
and how old the models may grow before `tierwise append` refits them.

Defaults are data (DEFAULTS) and every answer that uses one says which value it used.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from tools.errors import TierwiseError

SETTINGS_FILE = "settings.json"
DEFAULTS: dict[str, Any] = {
    "currency": None,
    "brand": None,            # None: copy is signed neutrally until the shop sets its name
    "margin": 0.4,            # gross margin as a share of revenue
    "send_cost_email": 0.002,  # per message, in the shop's currency
    "send_cost_sms": 0.05,
    "send_cost_push": 0.0,
    "shipping_cost": None,    # per order; unset, free shipping is what the data's orders paid for shipping, else:
    "shipping_cost_share": 0.1,  # free shipping as this share of the average order value, an assumption answers state
    "models_max_age_days": 30,  # `tierwise append` refits every model once they are older than this (days of data)
}
MONEY_SETTINGS = ("send_cost_email", "send_cost_sms", "send_cost_push", "shipping_cost")
CURRENCY = re.compile(r"^[A-Za-z]{3}$|^[$€£¥￥₩₹]$|^(元|円|人民币)$")
MAX_BRAND = 60


def _stored(home: str | Path) -> dict[str, Any]:
    """The settings the shop set itself (defaults are not written, so a better default reaches everyone)."""
    path = Path(home) / SETTINGS_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise TierwiseError(f"The settings file {path} could not be read ({exc}); fix or delete it.") from exc
    return {k: v for k, v in stored.items() if k in DEFAULTS and v is not None} if isinstance(stored, dict) else {}


def read_settings(home: str | Path) -> dict[str, Any]:
    return {**DEFAULTS, **_stored(home)}


def is_default(home: str | Path, key: str) -> bool:
    """Whether `key` holds its default because the shop never set it (answers say so)."""
    return key not in _stored(home)


def share(value: Any, name: str = "margin") -> float:
    """A share from 0.4, '0.4', 40 or '40%' (a number above 1 is read as a percentage)."""
    text = str(value).strip().rstrip("%").strip()
    try:
        number = float(text)
    except ValueError:
        raise TierwiseError(f"{name} '{str(value)[:20]}' is not a number; give a share like 0.4 or 40%.") from None
    if str(value).strip().endswith("%") or number > 1:
        number /= 100
    if not 0 < number <= 1:
        raise TierwiseError(f"{name} must be above 0% and at most 100%; got {value}.")
    return round(number, 6)


def _amount(value: Any, name: str) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise TierwiseError(f"{name} '{str(value)[:20]}' is not an amount; give a number like 0.05.") from None
    if number < 0 or number != number or number == float("inf"):
        raise TierwiseError(f"{name} must be 0 or more; got {value}.")
    return number


def _validate(key: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if key == "currency":
        value = str(value).strip()
        if not CURRENCY.match(value):
            raise TierwiseError(f"Currency '{value[:20]}' is not a 3-letter code (USD, EUR, CNY) or a sign ($, €, ¥).")
        return value.upper() if len(value) == 3 and value.isascii() else value
    if key == "brand":
        value = " ".join(str(value).split())
        if len(value) > MAX_BRAND:
            raise TierwiseError(f"The brand name has {len(value)} characters; keep it within {MAX_BRAND}.")
        return value
    if key in ("margin", "shipping_cost_share"):
        return share(value, key)
    if key == "models_max_age_days":
        text = str(value).strip()
        if not text.isdigit() or int(text) < 1:
            raise TierwiseError(f"models_max_age_days must be a whole number of days, 1 or more; got {text[:20]}.")
        return int(text)
    return _amount(value, key)


def write_settings(home: str | Path, **changes: Any) -> dict[str, Any]:
    """Validate and store changed settings (None or '' restores the default); return them all."""
    stored = _stored(home)
    for key, value in changes.items():
        if key not in DEFAULTS:
            raise TierwiseError(f"Unknown setting '{key}'. Settings: {', '.join(DEFAULTS)}.")
        value = _validate(key, value)
        if value is None:
            stored.pop(key, None)
        else:
            stored[key] = value
    path = Path(home) / SETTINGS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stored, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return {**DEFAULTS, **stored}
