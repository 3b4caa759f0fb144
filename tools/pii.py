"""Find the dataset's own customer names and phone numbers in a text, however they are written.

A name is matched by its letters, not its spelling: case and accents are folded ("Fernandez" is
"Fernández"), its words may come in any order ("Marino, Riccardo"), and they may be joined or
split ("MeganMoore", "megan_moore", "Mac Kenzie" for "MacKenzie"). Chinese names written without
spaces are found inside a sentence ("客户王芳的等级"). A phone number is matched by its last nine
digits, so the national and international forms of one number are the same number.

The keys of every name and phone are computed once per dataset in the engine (DuckDB's
strip_accents, lower and a Unicode letter pattern) into a small in-memory table; a text's
candidates are folded by the same SQL, so both sides agree on what a letter and an accent are.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Iterable

import duckdb

# A word is a run of letters of one script: "客户Callum" is two words, so the name after it is found.
WORD = re.compile(r"[\u3400-\u9fff]+|[^\W\d_\u3400-\u9fff]+")
CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
MAX_NAME_WORDS = 5          # "Emma van den Berg", "Mary-Kate O'Brien"
MAX_CJK_NAME = 4            # characters of a Chinese name
MIN_JOINED_LETTERS = 6      # one word read as a joined full name ("MeganMoore"), not "Anna"
MAX_GAP = 2                 # characters between the words of a name: " ", ", ", "-", "_", "'"
PHONE_KEY_DIGITS = 9        # a number's last nine digits identify it in national and international form
MIN_PHONE_DIGITS = 7
MAX_REMEMBERED = 200_000    # candidate strings whose answer the index keeps
PHONE_COLUMN = re.compile(r"phone|tel|mobile|cell|fax|whatsapp|电话|手机|联系方式", re.IGNORECASE)

# The same folding on both sides: the words of a text, accents stripped, lower case, and each Chinese
# character a word of its own (Chinese names are written without spaces, or with one: "王芳", "王 芳").
_HAN = r"regexp_matches({}, '\p{{Han}}')"
_TOKENS = r"regexp_extract_all(regexp_replace(strip_accents(lower({})), '(\p{{Han}})', ' \1 ', 'g'), '\pL+')"


def same_name_sql(column: str, param: str = "?") -> str:
    """SQL: the name in `column` is the name in `param`, however each is written (the index's matching rule)."""
    a, b = _TOKENS.format(column), _TOKENS.format(param)
    return (f"(array_to_string(list_sort({a}), ' ') = array_to_string(list_sort({b}), ' ') "
            f"OR (len({a}) >= 2 AND array_to_string({a}, '') = array_to_string({b}, '')))")


def fold(text: str) -> str:
    """NFC form, so a letter and its accent are one character for the word pattern."""
    return unicodedata.normalize("NFC", text)


def name_candidates(text: str) -> dict[str, list[tuple[int, int]]]:
    """Strings that could be a name, lower-cased, and where they occur: runs of 2..5 words written
    with a short gap between them ("Emma van den Berg", "Marino, Riccardo", "megan_moore"), single
    long words (a joined "MeganMoore"), and, in Chinese text written without spaces, every 2..4
    character stretch ("王芳" in "客户王芳的等级"). Linear in the text: at most a few per word."""
    words = [(m.start(), m.end()) for m in WORD.finditer(text)]
    found: dict[str, list[tuple[int, int]]] = {}

    def add(start: int, end: int) -> None:
        found.setdefault(" ".join(text[start:end].lower().split()), []).append((start, end))

    for i, (start, end) in enumerate(words):
        if end - start >= MIN_JOINED_LETTERS and not CJK_RUN.match(text, start):
            add(start, end)
        for j in range(i + 1, min(i + MAX_NAME_WORDS, len(words))):
            gap = text[words[j - 1][1]:words[j][0]]
            if len(gap) > MAX_GAP or "\n" in gap:
                break
            add(start, words[j][1])
    for m in CJK_RUN.finditer(text):
        for start in range(m.start(), m.end()):
            for end in range(start + 2, min(start + MAX_CJK_NAME, m.end()) + 1):
                found.setdefault(text[start:end], []).append((start, end))
    return found


# An email is read outwards from its "@": a local part of at most 64 characters to the left, a domain of
# at most 8 labels and a top-level domain of letters to the right (any script: jürgen@müller.de, 用户@例子.中国).
LOCAL_CHARS = frozenset("._%+-'")
MAX_LOCAL = 64
# A Latin top-level domain ends at the first non-Latin letter: "jane@x.com谢谢" keeps its 谢谢.
DOMAIN = re.compile(r"(?:[\w\-]{1,63}\.){1,8}(?:[a-zA-Z]{2,63}(?![a-zA-Z0-9_\-])|[^\W\d_]{2,63}(?![\w\-]))")
CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")
PLACEHOLDER = re.compile(r"<?\b(customer|email|phone)_(\d{1,6})\b>?")


def find_emails(text: str) -> list[tuple[int, int]]:
    """Where the emails of a text are: one bounded look each side of every "@" (linear in the text)."""
    spans: list[tuple[int, int]] = []
    at = text.find("@")
    while at != -1:
        start, limit = at, max(at - MAX_LOCAL, spans[-1][1] if spans else 0)
        while start > limit and (text[start - 1].isalnum() or text[start - 1] in LOCAL_CHARS):
            start -= 1
        if start < at - 1 and not CJK.match(text, at - 1) and CJK.search(text, start, at):
            # "请发到jane@x.com": the address starts after the Chinese words, though a local part may be any script
            while CJK.match(text, start):
                start += 1
        while start < at and text[start] in ".'":  # "'jane@x.com'" quoted in a sentence
            start += 1
        domain = DOMAIN.match(text, at + 1) if start < at else None
        if domain:
            spans.append((start, domain.end()))
        at = text.find("@", domain.end() if domain else at + 1)
    return spans


def phone_key(text: str) -> str | None:
    """The identifying digits of a phone number (its last nine), or None for too few digits."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits[-PHONE_KEY_DIGITS:] if len(digits) >= MIN_PHONE_DIGITS else None


class PiiIndex:
    """The folded keys of a dataset's customer names and phone numbers, for lookups by text."""

    def __init__(self, snapshot):
        self._lock = threading.Lock()
        self._seen: dict[str, bool] = {}  # candidate -> is a name, across turns (the dataset never changes)
        self._db = duckdb.connect()
        self._db.execute("CREATE TABLE name_keys (words VARCHAR, joined VARCHAR, parts INTEGER)")
        self._db.execute("CREATE TABLE phone_keys (key VARCHAR)")
        self._db.execute("CREATE TABLE email_keys (key VARCHAR)")
        self.has_names = self.has_phones = self.has_emails = False
        try:
            columns = list(snapshot.query("SELECT * FROM customers LIMIT 0").columns)
        except Exception:  # no customers table: nothing to look up
            return
        source = snapshot.con.cursor()
        try:
            if "name" in columns:
                names = source.execute(f"""
                    SELECT DISTINCT array_to_string(list_sort(t), ' ') AS words, array_to_string(t, '') AS joined,
                           len(t) AS parts
                    FROM (SELECT {_TOKENS.format('name')} AS t FROM customers WHERE name IS NOT NULL)
                    WHERE len(t) > 0""").df()
                self._db.register("names_frame", names)
                self._db.execute("INSERT INTO name_keys SELECT * FROM names_frame")
                self._db.unregister("names_frame")
                self.has_names = True
            if "email" in columns:
                emails = source.execute("SELECT DISTINCT lower(trim(email)) AS key FROM customers "
                                        "WHERE email IS NOT NULL").df()
                self._db.register("emails_frame", emails)
                self._db.execute("INSERT INTO email_keys SELECT * FROM emails_frame")
                self._db.unregister("emails_frame")
                self.has_emails = True
            phones = [c for c in columns if PHONE_COLUMN.search(str(c))]
            for column in phones:
                digits = f"""regexp_replace(CAST("{column.replace('"', '""')}" AS VARCHAR), '[^0-9]', '', 'g')"""
                keys = source.execute(f"""
                    SELECT DISTINCT right(d, {PHONE_KEY_DIGITS}) AS key
                    FROM (SELECT {digits} AS d FROM customers) WHERE length(d) >= {MIN_PHONE_DIGITS}""").df()
                self._db.register("keys_frame", keys)
                self._db.execute("INSERT INTO phone_keys SELECT * FROM keys_frame")
                self._db.unregister("keys_frame")
                self.has_phones = True
        finally:
            source.close()

    def names(self, candidates: list[str]) -> set[str]:
        """Which candidate strings are a customer's name (see the module docstring for what matches)."""
        if not candidates or not self.has_names:
            return set()
        # the same texts come back every turn (tool schemas, the catalog, the rules): remember the answers
        with self._lock:
            known = {c: self._seen[c] for c in candidates if c in self._seen}
        missing = [c for c in candidates if c not in known]
        found = self._query_names(missing) if missing else set()
        with self._lock:
            if len(self._seen) + len(missing) > MAX_REMEMBERED:
                self._seen.clear()
            self._seen.update((c, c in found) for c in missing)
        return found | {c for c, is_name in known.items() if is_name}

    def _query_names(self, candidates: list[str]) -> set[str]:
        cursor = self._db.cursor()
        try:
            rows = cursor.execute(f"""
                WITH c AS (SELECT raw, {_TOKENS.format('raw')} AS t, {_HAN.format('raw')} AS cjk
                           FROM (SELECT unnest(?::VARCHAR[]) AS raw))
                SELECT raw FROM c WHERE
                    array_to_string(t, '') IN (SELECT joined FROM name_keys WHERE parts >= 2)
                    OR (NOT cjk AND len(t) > 1 AND array_to_string(list_sort(t), ' ') IN (SELECT words FROM name_keys))""",
                                  [list(candidates)]).fetchall()
        finally:
            cursor.close()
        return {r[0] for r in rows}

    def phones(self, keys: Iterable[str]) -> set[str]:
        """Which phone keys (see phone_key) are a customer's phone number."""
        keys = list(dict.fromkeys(keys))
        if not keys or not self.has_phones:
            return set()
        cursor = self._db.cursor()
        try:
            rows = cursor.execute("SELECT key FROM phone_keys WHERE key IN (SELECT unnest(?::VARCHAR[]))",
                                  [keys]).fetchall()
        finally:
            cursor.close()
        return {r[0] for r in rows}

    def names_in(self, text: str) -> list[str]:
        """The customer names written in a text, as written."""
        text = fold(text or "")
        candidates = name_candidates(text)
        found = self.names(list(candidates))
        return sorted({text[s:e] for c in found for s, e in candidates[c]})

    def personal_data_in(self, text: str) -> list[str]:
        """The customers' names and email addresses written in a text, as written."""
        found = self.names_in(text)
        emails = {text[s:e] for s, e in find_emails(text or "")}
        if emails and self.has_emails:
            cursor = self._db.cursor()
            try:
                known = {r[0] for r in cursor.execute("SELECT key FROM email_keys WHERE key IN (SELECT unnest(?::VARCHAR[]))",
                                                      [[e.lower() for e in emails]]).fetchall()}
            finally:
                cursor.close()
            found += sorted(e for e in emails if e.lower() in known)
        return found


_lock = threading.Lock()
_indexes: dict[str, PiiIndex] = {}


def pii_index(snapshot) -> PiiIndex:
    """The index of a snapshot, built once per dataset in service (a dataset never changes)."""
    key = str(getattr(snapshot, "path", id(snapshot)))
    with _lock:
        if key not in _indexes:
            if len(_indexes) >= 4:
                _indexes.pop(next(iter(_indexes)))
            _indexes[key] = PiiIndex(snapshot)
        return _indexes[key]
