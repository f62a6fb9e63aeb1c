"""Near-duplicate fingerprints for ``mass.template_reuse``.

Problem
-------
The finding fires when a draft body is near-identical -- ``fuzz.ratio`` of the
normalized texts >= 85 -- to mail the organisation sent to several other
recipients recently.  The organisation keeps *no text*, only one fixed-size
fingerprint per sent message (up to ~1M per organisation, in SQLite or
PostgreSQL), and must find the similar ones by an indexed SQL lookup instead of
comparing against every stored message.

Scheme: 4-bit MinHash of word bigrams, LSH on 32 bands of 16 bits
-------------------------------------------------------------------
1. ``normalize``: NFKC, casefold, every run of non-word characters (punctuation,
   whitespace, underscores) becomes one space.  Similarity is defined on this.
2. Shingles are *word bigrams* (CJK ideographs and kana count as one word each,
   since those scripts don't separate words).  Each token is hashed with
   ``zlib.crc32`` -- stable across processes, machines and Python versions,
   unlike ``hash()`` -- and a bigram is the 64-bit pair of its two CRCs,
   scrambled by the splitmix64 finalizer.
3. MinHash with ``K = 128`` hash functions ``a_j * x + b_j mod 2**32`` over
   the top 32 bits of the bigram hashes (constants derived from BLAKE2b of
   fixed labels, so they never change with a numpy upgrade).  Of each minimum only 4 bits are kept ("b-bit MinHash"):
   two texts agree on a slot with probability ``J + (1 - J)/16`` where ``J`` is
   the Jaccard similarity of their bigram sets.  128 x 4 bits = 64 bytes.
4. ``similarity`` counts agreeing slots, inverts the collision term to get the
   Jaccard estimate and maps it through an empirical calibration table onto
   the ``fuzz.ratio`` scale (see "Calibration").
5. LSH: the 128 nibbles form 32 bands of 4 nibbles = 16 bits.  Two texts
   become candidates when any band is equal.

Why these choices
-----------------
* ``fuzz.ratio`` gives partial credit to substituted words (their common
  letters still align), so a pair at ratio 0.85 shares only about 55 % of its
  word bigrams (bigram Jaccard ~0.55), while unrelated mails from one sales
  team -- same products, same stock phrases -- share 10-25 %.  Among word
  uni/bi/trigrams and character n-grams, exact bigram Jaccard separated the
  two best for its cost, and bigrams keep texts that merely reuse vocabulary
  far apart.
* With 64 bytes the estimate is noisy.  At fixed size, fewer bits per value
  and more values reduce the variance of the Jaccard estimate for
  high-similarity pairs (b-bit MinHash): at J = 0.55, 32 x 16 bit gives a
  standard deviation of ~0.088, 64 x 8 bit ~0.062, 128 x 4 bit ~0.047.  With 2 bits
  per value the bands would need 8 values each to stay selective and then
  miss pairs near the threshold, so 4 bits is the sweet spot for estimating
  *and* banding from one 64-byte value.
* Bands of 4 nibbles (16 bits): a pair shares a given band with probability
  ``(J + (1 - J)/16) ** 4``, so over 32 bands it becomes a candidate with
  probability 0.94 at J = 0.51 (the 0.85 threshold), 0.977 at J = 0.55, 0.998
  at J = 0.625 (the median J of pairs at ratio 0.85) -- and only 0.036 for an
  unrelated pair at J = 0.13.  Pairs at ratio >= 0.85 mostly lie well above
  the threshold, so on the benchmark corpus the bands lose < 0.1 % of them.
  16-bit band values also collide by chance, ~N/65536 rows per band (~15 at
  1M stored), cheap to verify.  Narrower bands would flood the candidates
  with unrelated mail of the same sales team, wider ones miss pairs near
  the threshold.
* SimHash was rejected: for sets it tracks cosine, whose bit-flip rate is
  ~0.27 for pairs at the threshold and ~0.43 for unrelated ones -- far too
  little separation for 512 bits of banding.

Calibration
-----------
``similarity`` is not the Jaccard estimate itself but a *recall-leaning
ratio estimate*.  The knots in ``_CALIBRATION`` are, for each ratio level x,
the 5th percentile of the estimated bigram Jaccard among synthetic pairs whose
true ``fuzz.ratio(normalize(a), normalize(b)) / 100`` lies in [x, x + 0.02)
(pairs of a template mail and an edited copy, and of two edited copies;
``bench/corpus.py``: name swaps, word substitutions/insertions/deletions/
swaps, added, removed and rewritten sentences).  ``python bench/analyze.py
--calibrate`` recomputes them; between knots the mapping is linear.  So
``similarity >= x`` keeps ~95 % of the pairs right at ratio x and nearly all
pairs above it: at 0.85, ~99 % of all pairs with ratio >= 0.85 on the
benchmark corpus.  The price is precision: pairs somewhat below the threshold
(ratio 0.78-0.85, i.e. template-like texts anyway) are sometimes reported as
>= 0.85.  Threshold 0.85 corresponds to at least ``_MIN_MATCHES_085`` = 69
agreeing slots out of 128.

Storage and SQL
---------------
* ``fingerprint()`` returns 64 bytes (``FINGERPRINT_BYTES``); store them in a
  BLOB/BYTEA column together with ``SCHEME_VERSION``.  A change of hashing,
  shingling or K needs a new version and re-fingerprinting; texts are not
  kept, so old fingerprints simply age out of the 14-day window.
* ``band_keys()`` returns 32 plain signed 64-bit ints (``BIGINT``) with the band
  number and the scheme version encoded in the high bits:
  ``key = SCHEME_VERSION << 32 | band << 16 | band_value``.  Keys of different
  bands or versions can therefore never be equal.  Store them one per row,
  ``(org_id, band_key, fingerprint_id)`` with an index on
  ``(org_id, band_key)``, and look up with
  ``WHERE org_id = ? AND band_key IN (<32 keys of the draft>)``, then compute
  ``similarity`` on the returned candidates' fingerprints
  (``backend/storage/sent.py``).  The 14-day window is a filter on the
  message row, not part of the key.  Grouping the rows by message and
  keeping those with at least two equal keys drops most chance collisions
  (~15x fewer candidates) for about one true match in 200 on the benchmark
  corpus: pairs at the threshold share ~2.5 bands on average.

  On the benchmark corpus (one sales team's mail, heavy on stock phrases) ~4 %
  of stored messages become candidates of a lookup, so keep the band rows
  limited to the window (a ``sent_at`` column in the band table, or delete
  rows older than the window) rather than scanning a year of history.

Measured (``bench/analyze.py``, 2-core AMD EPYC): ``fingerprint`` ~60 us
for 300 words.  The benchmark's in-memory index (``bench/near_duplicates.py``)
keeps candidates sharing one band, not two as the SQL lookup does, so its
recall of the scan's ratio >= 85 pairs is an upper bound on the database's;
run the benchmark for current figures.

Limits
------
* Sets of bigrams are blind to sentence order, ``fuzz.ratio`` is not: mails
  assembled from the same stock sentences in a different order (ratio
  0.5-0.8) can share half their bigrams and be reported.  On the benchmark
  corpus these, and near misses at ratio 0.8-0.85, are the false positives;
  their number grows with the store (precision ~0.77 at 1k, ~0.6 at 100k).
  Storing one position bit per slot to catch reordering was tried and lost
  more on true near-duplicates than it gained.
* Texts under ~20 words carry too few bigrams for a meaningful estimate (the
  caller should not test them for template reuse); a text without any word
  gets the all-zero fingerprint.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Sequence

import numpy as np

__all__ = [
    "DEFAULT_THRESHOLD",
    "FINGERPRINT_BYTES",
    "N_BANDS",
    "SCHEME_VERSION",
    "band_keys",
    "estimated_jaccard",
    "fingerprint",
    "normalize",
    "similarities",
    "similarity",
]

SCHEME_VERSION = 1
_K = 128  # MinHash slots
_BITS = 4  # bits kept per slot
FINGERPRINT_BYTES = _K * _BITS // 8  # 64
_BAND_NIBBLES = 4
N_BANDS = _K // _BAND_NIBBLES  # 32
DEFAULT_THRESHOLD = 0.85
_COLLISION = 1.0 / (1 << _BITS)  # chance that two different minima agree in 4 bits

# --------------------------------------------------------------------------
# Normalization and tokens


_NON_WORD = re.compile(r"[\W_]+")
# Scripts written without spaces: each ideograph/kana is its own token, else a
# whole Chinese sentence would be a single "word" and any edit would change
# every shingle of it.
_CJK = "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
# One bytes.translate pass does casefold + punctuation-to-space for ASCII text,
# which is ~5x faster than the regex; both paths give identical results on ASCII.
_ASCII_TABLE = bytes(
    (c + 32 if 65 <= c <= 90 else c) if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) else 32 for c in range(256)
)


def normalize(text: str) -> str:
    """Casefolded text with every run of non-word characters as one space.

    This is the text on which similarity is defined: template reuse compares
    ``fuzz.ratio(normalize(a), normalize(b))``.
    """
    if text.isascii():
        return " ".join(text.encode().translate(_ASCII_TABLE).decode().split())
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", text).strip()


def _tokens(text: str) -> list[bytes]:
    if text.isascii():
        return text.encode().translate(_ASCII_TABLE).split()
    return [t.encode() for t in _TOKEN.findall(normalize(text))]


# --------------------------------------------------------------------------
# Hashing


def _const64(label: str) -> int:
    # Constants come from BLAKE2b of fixed labels, not from a numpy RNG, whose
    # streams may change between numpy versions.
    return int.from_bytes(hashlib.blake2b(label.encode(), digest_size=8).digest(), "little")


_MULT = np.array([(_const64(f"sendwise-fp-v1-mult-{j}") & 0xFFFFFFFF) | 1 for j in range(_K)], dtype=np.uint32)[:, None]
# Without the offset, multiplicative hashing alone over-estimated Jaccard by
# ~0.015 on the benchmark corpus; with it the estimate is unbiased (+-0.005).
_ADD = np.array([_const64(f"sendwise-fp-v1-add-{j}") & 0xFFFFFFFF for j in range(_K)], dtype=np.uint32)[:, None]


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finalizer, in place: CRC32 is linear, MinHash wants random-looking inputs."""
    x ^= x >> 30
    x *= 0xBF58476D1CE4E5B9
    x ^= x >> 27
    x *= 0x94D049BB133111EB
    x ^= x >> 31
    return x


def _shingle_hashes(tokens: list[bytes]) -> np.ndarray:
    crc = np.fromiter(map(zlib.crc32, tokens), dtype=np.uint64, count=len(tokens))
    s: np.ndarray
    if len(crc) >= 2:
        s = (crc[:-1] << 32) | crc[1:]
    else:
        s = crc  # a single word (or none): its unigram is all there is
    # Only the high 32 bits are kept: 32-bit MinHash arithmetic is ~2x faster,
    # and with a few hundred bigrams per text 32-bit collisions are negligible.
    return (_mix64(s) >> 32).astype(np.uint32)


def fingerprint(text: str) -> bytes:
    """64-byte fingerprint of ``text`` (see module docstring).

    Deterministic across processes, machines and platforms.  Equal for texts
    with equal ``normalize()`` output.
    """
    tokens = _tokens(text)
    if not tokens:
        return bytes(FINGERPRINT_BYTES)
    s = _shingle_hashes(tokens)
    # Duplicate bigrams need no de-duplication: they don't change a minimum.
    h = _MULT * s
    h += _ADD
    mins = h.min(axis=1)
    # The minimum is decided by the high bits; bits 8-11 are uniform and, for
    # different argmin bigrams, independent -> collide with probability 1/16.
    nib = ((mins >> 8) & 0xF).astype(np.uint8)
    return (nib[0::2] | (nib[1::2] << 4)).tobytes()


# --------------------------------------------------------------------------
# Similarity

# (estimated bigram Jaccard, fuzz.ratio level) knots, see "Calibration".
_CALIBRATION: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (0.158, 0.6),
    (0.205, 0.65),
    (0.275, 0.7),
    (0.342, 0.75),
    (0.417, 0.8),
    (0.508, 0.85),
    (0.617, 0.9),
    (0.758, 0.95),
    (1.0, 1.0),
)

_NIBBLE_LOW_BITS = int("1" * (FINGERPRINT_BYTES * 2), 16)  # 0x1111...1


# Both estimates depend only on the number of agreeing slots (0..128), so they
# are lookups; the first inverts the 1/16 chance agreement of b-bit MinHash.
_JACCARD_BY_MATCHES = np.clip((np.arange(_K + 1) / _K - _COLLISION) / (1.0 - _COLLISION), 0.0, 1.0)
_SIM_BY_MATCHES = np.interp(_JACCARD_BY_MATCHES, [j for j, _ in _CALIBRATION], [r for _, r in _CALIBRATION])


def _min_matches(threshold: float) -> int:
    """Smallest number of agreeing slots whose similarity reaches ``threshold``."""
    ok = np.flatnonzero(threshold - 1e-12 <= _SIM_BY_MATCHES)
    return int(ok[0]) if len(ok) else _K + 1


_MIN_MATCHES_085 = _min_matches(DEFAULT_THRESHOLD)


def _check(fp: bytes) -> None:
    if len(fp) != FINGERPRINT_BYTES:
        raise ValueError(f"fingerprint must be {FINGERPRINT_BYTES} bytes, got {len(fp)}")


def _matches(a: bytes, b: bytes) -> int:
    x = int.from_bytes(a, "little") ^ int.from_bytes(b, "little")
    # Fold each nibble onto its lowest bit: set iff the nibbles differ.
    x |= x >> 1
    x |= x >> 2
    return _K - (x & _NIBBLE_LOW_BITS).bit_count()


def estimated_jaccard(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the two texts' word-bigram sets."""
    _check(a)
    _check(b)
    return float(_JACCARD_BY_MATCHES[_matches(a, b)])


def similarity(a: bytes, b: bytes) -> float:
    """Estimated similarity in [0, 1] on the ``fuzz.ratio / 100`` scale.

    Calibrated to favour recall: ``similarity >= x`` for ~95 % of pairs whose
    true ratio is just at x (0.6 <= x <= 0.95) and more of those above; see
    the module docstring.
    """
    _check(a)
    _check(b)
    return float(_SIM_BY_MATCHES[_matches(a, b)])


def _nibble_mismatches(words: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per row, the number of differing nibbles between ``words`` (n, 8) and ``q`` (8,)."""
    x = words ^ q
    y = x >> 1
    x |= y
    np.right_shift(x, 2, out=y)
    x |= y
    x &= 0x1111111111111111
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        counts = np.ascontiguousarray(np.bitwise_count(x))  # (n, 8) uint8, each <= 16
        # Sum the 8 per-word counts (<= 128, fits a byte) with one multiply
        # instead of a slow reduction over a short axis.
        return ((counts.view(np.uint64)[:, 0] * 0x0101010101010101) >> 56).astype(np.int64)
    # Each nibble holds 0 or 1: add nibble pairs into bytes, then bytes via a multiply.
    x = (x & 0x0F0F0F0F0F0F0F0F) + ((x >> 4) & 0x0F0F0F0F0F0F0F0F)
    return ((x * 0x0101010101010101) >> 56).astype(np.int64).sum(axis=1)


def similarities(fp: bytes, others: Sequence[bytes]) -> list[float]:
    """``similarity(fp, o)`` for each of ``others``, vectorized: a lookup
    verifies hundreds of candidates per draft, ~50x faster than one call each."""
    _check(fp)
    for o in others:
        _check(o)
    if not others:
        return []
    words = np.frombuffer(b"".join(others), dtype="<u8").reshape(-1, FINGERPRINT_BYTES // 8)
    matches = _K - _nibble_mismatches(words, np.frombuffer(fp, dtype="<u8"))
    return _SIM_BY_MATCHES[matches].tolist()


# --------------------------------------------------------------------------
# LSH bands


def _band_values(fp: bytes) -> np.ndarray:
    # Band j is nibbles 4j..4j+3 = bytes 2j, 2j+1; read little-endian so the
    # value does not depend on the machine's byte order.
    return np.frombuffer(fp, dtype="<u2")


def band_keys(fp: bytes) -> list[int]:
    """The 32 LSH keys of ``fp`` as non-negative ints that fit a signed BIGINT.

    ``key = SCHEME_VERSION << 32 | band << 16 | value``: plain keys, not
    (band, key) pairs; the band number lives in bits 16-20, so keys of
    different bands (or scheme versions) are never equal.
    """
    _check(fp)
    base = SCHEME_VERSION << 32
    return [base | (band << 16) | int(v) for band, v in enumerate(_band_values(fp))]
