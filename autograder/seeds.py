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

from dlkit.checks.core import DEFAULT_HIDDEN_SEED, HIDDEN_SEED_ENV


def effective_seed(seed: int | str | None) -> str:
    """The seed a command uses: ``seed``, else ``$DLKIT_HIDDEN_SEED``, else the course's public default."""
    if seed is None:
        seed = os.environ.get(HIDDEN_SEED_ENV, DEFAULT_HIDDEN_SEED)
    return str(seed).strip()


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
