"""Short references people can read over the phone: 8 characters of Crockford's base32
(digits and capital letters without I, L, O and U), e.g. "7K3M-Q9ZD" said as "7K3MQ9ZD".

A reference is random, so it says nothing about how many there are (unlike a sequential id);
40 bits leave collisions rare, and the column that stores one is unique: the caller draws again
on a clash. The parser forgives what people type: lower case, O for 0, I or L for 1, hyphens
and spaces."""

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 8

_CONFUSIONS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—]+")
_VALID = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")


def reference_new() -> str:
    # One draw of 40 random bits, 5 per character (one system call, not one per character).
    bits = secrets.randbits(5 * LENGTH)
    return "".join(ALPHABET[(bits >> (5 * place)) & 31] for place in range(LENGTH))


def reference_parse(text: str, *, prefix: str = "") -> str | None:
    """The reference in `text` as stored (upper case, confusions mended), or None when `text`
    cannot be one. A `prefix` shown before it ("S" for "S-7K3M-Q9Z0") may be typed or not."""
    if len(text) > 4 * LENGTH:
        return None
    candidate = _SEPARATORS.sub("", text).upper()
    if prefix and len(candidate) == len(prefix) + LENGTH and candidate.startswith(prefix.upper()):
        candidate = candidate[len(prefix) :]
    candidate = candidate.translate(_CONFUSIONS)
    return candidate if _VALID.fullmatch(candidate) else None
