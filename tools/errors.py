"""The one exception type users see: its message is a sentence they can act on."""


class TierwiseError(Exception):
    """A problem caused by input or state the user controls (not a bug)."""
