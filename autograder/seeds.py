"""The hidden-check seed's fingerprint: which seed graded a record, without storing the seed.

Every record carries ``seed_fingerprint``. ``grade`` refuses to grade a
lesson again with another seed unless told ``--regrade``, and ``feedback``
and ``report`` refuse records made with a seed other than the one they are
given, since they re-draw the hidden cases from it.

The fingerprint is scrypt of the seed's text with a fixed salt (about 30 ms,
16 MiB), so that even a small seed cannot be recovered from a record by
trying every value cheaply.

>>> seed_fingerprint(1234) == seed_fingerprint("1234") != seed_fingerprint(1235)
True
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets

from dlkit.checks.core import DEFAULT_HIDDEN_SEED, HIDDEN_SEED_ENV

#: How to make and keep a seed (``grade`` says it when none is set; ``python -m autograder seed`` prints it).
SEED_ADVICE = (
    "Make one secret seed per term with `python -m autograder seed` (64 random hex digits, 256 bits; "
    "or python -c \"import secrets; print(secrets.token_hex(32))\"), keep it out of the repository and "
    "the course files (a password manager, or a file only you can read), and give it to every command "
    f"of the term: `export {HIDDEN_SEED_ENV}=<seed>` or `--seed <seed>`.")

#: Below this many characters a seed can be guessed by trying them all (a 32-hex-digit seed is 128 bits).
SHORT_SEED = 32


class SeedMissing(ValueError):
    """``grade`` was given no instructor seed and not told that public hidden inputs are fine."""


def given_seed(seed: int | str | None) -> str | None:
    """The instructor's seed: ``seed``, else ``$DLKIT_HIDDEN_SEED``; None when neither is set (or blank)."""
    if seed is None:
        seed = os.environ.get(HIDDEN_SEED_ENV)
    text = None if seed is None else str(seed).strip()
    return text or None


def effective_seed(seed: int | str | None) -> str:
    """The seed a command uses: ``seed``, else ``$DLKIT_HIDDEN_SEED``, else the course's public default."""
    given = given_seed(seed)
    return given if given is not None else str(DEFAULT_HIDDEN_SEED)


def require_seed(seed: int | str | None, *, public_seed: bool = False) -> str:
    """The instructor's seed, or :class:`SeedMissing` saying how to make one (unless ``public_seed``).

    With ``public_seed`` and no seed, the course's public default is used:
    anyone can draw its hidden inputs, so use it only for demos and tests.
    """
    given = given_seed(seed)
    if given is None and not public_seed:
        raise SeedMissing(
            f"no hidden-check seed: neither --seed nor ${HIDDEN_SEED_ENV} is set, and the course's default "
            f"seed is public (anyone could draw the hidden inputs with it). {SEED_ADVICE} "
            f"(For a demo or a test, --public-seed grades with the public default.)")
    return given if given is not None else str(DEFAULT_HIDDEN_SEED)


def short_seed_warning(seed: int | str | None) -> str:
    """A warning when the given seed is short enough to be found by trying every value, else ""."""
    given = given_seed(seed)
    if given is None or len(given) >= SHORT_SEED:
        return ""
    return (f"warning: the hidden-check seed has {len(given)} characters; a short seed can be found by trying "
            f"every value. {SEED_ADVICE}")


def new_seed() -> str:
    """A fresh secret seed: 64 hex digits (256 bits) from the operating system's generator."""
    return secrets.token_hex(32)


@functools.lru_cache(maxsize=8)
def _fingerprint(text: str) -> str:
    return hashlib.scrypt(text.encode("utf-8"), salt=b"dlkit hidden-seed fingerprint v1", n=2 ** 14, r=8, p=1,
                          dklen=16).hex()


def seed_fingerprint(seed: int | str | None) -> str:
    """A 32-hex-digit fingerprint of the effective seed (see :func:`effective_seed`)."""
    return _fingerprint(effective_seed(seed))


class SeedMismatch(ValueError):
    """Records of a lesson were made with another seed than the one given."""


def check_same_seed(records, seed: int | str | None, *, action: str) -> None:
    """Raise :class:`SeedMismatch` when a record's fingerprint differs from ``seed``'s (records without one pass)."""
    mine = seed_fingerprint(seed)
    other = sorted(r.student_id for r in records if getattr(r, "seed_fingerprint", "") not in ("", mine))
    if other:
        shown = ", ".join(other[:5]) + (f" and {len(other) - 5} more" if len(other) > 5 else "")
        raise SeedMismatch(
            f"{len(other)} record(s) ({shown}) were graded with another hidden-check seed than the one given "
            f"(--seed or ${HIDDEN_SEED_ENV}); {action}")
