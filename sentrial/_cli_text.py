"""Stored text made harmless for a terminal: the one helper every human-readable
line of the CLI passes what it prints from the API through.

Names, inputs, outputs and errors come from end users and LLMs. Printed raw,
an ESC or OSC sequence in them retitles or clears the terminal, or writes the
clipboard (OSC 52); a carriage return rewrites the line; a bidi override
reverses what follows. Each such character is shown escaped instead
(``\\x1b``, ``\\u202e``), so it is seen and does nothing. ``--json`` output is
left as the API answered it (JSON escapes what it must).
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the invisible characters that reorder or split
# text: bidi embeddings, overrides and isolates, the Arabic letter mark, line
# and paragraph separators.
_UNSAFE = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_ONE_LINE = re.compile(f"[\t\n{_UNSAFE}]")
_LINES = re.compile(f"[{_UNSAFE}]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(value: object, *, lines: bool = False) -> str:
    """``value`` as text with every control character shown escaped; newlines
    and tabs kept when ``lines`` (a value printed in full, over several lines)."""
    text = value if isinstance(value, str) else str(value)
    return (_LINES if lines else _ONE_LINE).sub(_escape, text)
