"""An in-memory near-duplicate index over ``nlp.fingerprint`` fingerprints,
for the benchmark: ``bench/analyze.py`` compares its lookups with a rapidfuzz
scan.  Production looks fingerprints up in SQL (``backend/storage/sent.py``),
which keeps only candidates sharing *two* band keys with the draft; this index
keeps every candidate sharing one, so its recall is an upper bound on the
database lookup's (about one true match in 200 more on the benchmark corpus).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nlp.fingerprint import (  # noqa: E402
    _K,
    _SIM_BY_MATCHES,
    DEFAULT_THRESHOLD,
    FINGERPRINT_BYTES,
    N_BANDS,
    _band_values,
    _check,
    _min_matches,
    _nibble_mismatches,
)


class NearDuplicateIndex:
    """In-memory store of fingerprints answering "which stored ones are similar?".

    Candidates from equal band keys (one is enough), then ``similarity`` on
    the candidates.  Only fingerprints and caller keys are kept.  Keys are not de-duplicated: adding a key twice stores two entries.

    Layout: a sorted band index over the first rows plus an unsorted tail that
    is scanned directly; the sorted part is rebuilt lazily (radix sort per band)
    when the tail outgrows an eighth of it, so adds stay O(1) amortized and
    interleaved add/query stays cheap.
    """

    _MIN_TAIL = 2048

    def __init__(self) -> None:
        self._n = 0
        self._keys = np.zeros(1024, dtype=np.int64)
        self._words = np.zeros((1024, FINGERPRINT_BYTES // 8), dtype=np.uint64)
        self._bands = np.zeros((1024, N_BANDS), dtype=np.uint16)
        self._n_sorted = 0
        # flat index over rows [0, _n_sorted): band-major (band << 16 | value), sorted
        self._flat_keys = np.zeros(0, dtype=np.int32)
        self._flat_rows = np.zeros(0, dtype=np.int32)

    def __len__(self) -> int:
        return self._n

    def _grow(self, need: int) -> None:
        cap = len(self._keys)
        if need <= cap:
            return
        new = max(need, cap * 2)
        for name in ("_keys", "_words", "_bands"):
            old = getattr(self, name)
            arr = np.zeros((new, *old.shape[1:]), dtype=old.dtype)
            arr[: self._n] = old[: self._n]
            setattr(self, name, arr)

    def add(self, key: int, fp: bytes) -> None:
        _check(fp)
        self._grow(self._n + 1)
        i = self._n
        self._keys[i] = key
        self._words[i] = np.frombuffer(fp, dtype="<u8")
        self._bands[i] = _band_values(fp)
        self._n += 1

    def add_many(self, keys: Iterable[int], fps: Iterable[bytes]) -> None:
        """Bulk ``add``; much faster for loading many fingerprints at once."""
        keys = np.fromiter(keys, dtype=np.int64)
        blob = b"".join(fps)
        if len(blob) != len(keys) * FINGERPRINT_BYTES:
            raise ValueError("every fingerprint must be FINGERPRINT_BYTES long, one per key")
        m = len(keys)
        self._grow(self._n + m)
        self._keys[self._n : self._n + m] = keys
        self._words[self._n : self._n + m] = np.frombuffer(blob, dtype="<u8").reshape(m, -1)
        self._bands[self._n : self._n + m] = np.frombuffer(blob, dtype="<u2").reshape(m, -1)
        self._n += m

    def _rebuild(self) -> None:
        n = self._n
        bands = self._bands[:n]
        flat_keys = np.empty((N_BANDS, n), dtype=np.int32)
        flat_rows = np.empty((N_BANDS, n), dtype=np.int32)
        for b in range(N_BANDS):
            order = np.argsort(bands[:, b], kind="stable")  # radix sort for uint16
            flat_rows[b] = order
            flat_keys[b] = bands[order, b].astype(np.int32) | (b << 16)
        self._flat_keys = flat_keys.ravel()
        self._flat_rows = flat_rows.ravel()
        self._n_sorted = n

    def _candidates(self, qbands: np.ndarray) -> np.ndarray:
        if self._n - self._n_sorted > max(self._MIN_TAIL, self._n_sorted // 8):
            self._rebuild()
        parts = []
        if self._n_sorted:
            qk = qbands.astype(np.int32) | (np.arange(N_BANDS, dtype=np.int32) << 16)
            lo = np.searchsorted(self._flat_keys, qk, side="left")
            hi = np.searchsorted(self._flat_keys, qk, side="right")
            parts.extend(self._flat_rows[a:b] for a, b in zip(lo.tolist(), hi.tolist()) if b > a)
        if self._n > self._n_sorted:
            tail = self._bands[self._n_sorted : self._n]
            parts.append(np.flatnonzero((tail == qbands).any(axis=1)).astype(np.int32) + self._n_sorted)
        if not parts:
            return np.zeros(0, dtype=np.int32)
        # A row matching several bands appears several times; a mark array
        # de-duplicates in O(n) and is several times faster than np.unique's sort.
        mark = np.zeros(self._n, dtype=np.bool_)
        for part in parts:
            mark[part] = True
        return np.flatnonzero(mark)

    def query(self, fp: bytes, threshold: float = DEFAULT_THRESHOLD) -> list[tuple[int, float]]:
        """Keys whose estimated similarity to ``fp`` is >= ``threshold``, best first.

        Candidates come from the LSH bands, tuned for thresholds of 0.85 and
        above.  Below that, pairs near the threshold are increasingly missed:
        one right at similarity 0.8 shares a band ~75 % of the time, at 0.75
        ~50 %.
        """
        _check(fp)
        min_m = _min_matches(threshold)
        if self._n == 0 or min_m > _K:
            return []
        rows = self._candidates(_band_values(fp))
        if len(rows) == 0:
            return []
        m = _K - _nibble_mismatches(self._words[rows], np.frombuffer(fp, dtype="<u8"))
        keep = m >= min_m
        rows, m = rows[keep], m[keep]
        keys = self._keys[rows]
        order = np.lexsort((keys, -m))  # best first, ties by key for determinism
        sims = _SIM_BY_MATCHES[m[order]]
        return [(int(k), float(s)) for k, s in zip(keys[order].tolist(), sims.tolist())]
