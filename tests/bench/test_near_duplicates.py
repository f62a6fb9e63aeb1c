"""bench/near_duplicates.py: the benchmark's in-memory near-duplicate index."""

from __future__ import annotations

import random

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from bench.corpus import make_corpus, make_email, near_duplicate
from bench.near_duplicates import NearDuplicateIndex
from nlp import fingerprint as F
from tests.nlp.test_fingerprint import PITCH, TEXT, fp


def test_rejects_wrong_length():
    with pytest.raises(ValueError):
        NearDuplicateIndex().add(1, fp(TEXT) + b"\x00")


def test_index_finds_near_duplicates_and_not_unrelated():
    rng = random.Random(31)
    texts = make_corpus(40, seed=31)
    index = NearDuplicateIndex()
    for i, text in enumerate(texts):
        index.add(1000 + i, fp(text))
    assert len(index) == 40
    for i in (0, 7, 23):
        res = index.query(fp(near_duplicate(texts[i], rng, strength=0.03)))
        assert res and res[0][0] == 1000 + i
        assert res[0][1] >= F.DEFAULT_THRESHOLD
        assert [k for k, _ in res] == [1000 + i]
    assert index.query(fp(make_email(random.Random(999)))) == []
    assert NearDuplicateIndex().query(fp(TEXT)) == []


def test_index_orders_best_first_and_honours_threshold():
    rng = random.Random(41)
    index = NearDuplicateIndex()
    variants = [PITCH] + [near_duplicate(PITCH, rng, strength=s) for s in (0.02, 0.08, 0.15, 0.25, 0.4)]
    for i, v in enumerate(variants):
        index.add(i, fp(v))
    res = index.query(fp(PITCH), threshold=0.0)
    sims = [s for _, s in res]
    assert res[0] == (0, 1.0)
    assert sims == sorted(sims, reverse=True)
    strict = index.query(fp(PITCH), threshold=0.95)
    assert all(s >= 0.95 for _, s in strict)
    assert {k for k, _ in strict} < {k for k, _ in res}
    assert index.query(fp(PITCH), threshold=1.01) == []


def _mutated(base: np.ndarray, n_changes: int, rng: np.random.Generator) -> bytes:
    nib = base.copy()
    pos = rng.choice(len(nib), n_changes, replace=False)
    nib[pos] = (nib[pos] + rng.integers(1, 16, n_changes)) % 16
    return (nib[0::2] | (nib[1::2] << 4)).astype(np.uint8).tobytes()


def test_index_sorted_part_and_tail_match_a_brute_force_reference():
    # Enough entries to exercise the sorted band index, a tail, and a rebuild.
    rng = np.random.default_rng(5)
    bases = [rng.integers(0, 16, 128) for _ in range(40)]
    fps = [_mutated(bases[i % 40], int(rng.integers(0, 90)), rng) for i in range(6000)]
    index = NearDuplicateIndex()
    index.add_many(range(5000), fps[:5000])
    queries = [_mutated(b, 10, rng) for b in bases[:10]]

    keys = [set(F.band_keys(f)) for f in fps]

    def reference(q: bytes, n: int, threshold: float) -> list[tuple[int, float]]:
        qk = set(F.band_keys(q))
        out = [(k, F.similarity(q, fps[k])) for k in range(n) if qk & keys[k]]
        out = [(k, s) for k, s in out if s >= threshold]
        return sorted(out, key=lambda x: (-x[1], x[0]))

    for q in queries[:3]:
        assert index.query(q) == reference(q, 5000, 0.85)
    for k in range(5000, 6000):  # a tail, then (past an eighth of the sorted part) a rebuild
        index.add(k, fps[k])
        if k in (5100, 5999):
            for q in queries[3:6]:
                assert index.query(q, threshold=0.7) == reference(q, k + 1, 0.7)
    assert len(index) == 6000


def test_recall_against_rapidfuzz_scan():
    # Stored: 80 template families (a base + 2-5 edited copies) and 60 one-off
    # mails; queries: a further edited copy of each base.  Truth: the full scan,
    # fuzz.ratio >= 85 on normalized text.  Misses cluster by query (one noisy
    # query sketch misses several of its family), hence ~170 pairs; over 30
    # seeds of this setup recall ranged 0.975-1.0, mean 0.993.
    rng = random.Random(2026)
    stored: list[str] = []
    bases: list[str] = []
    for _ in range(80):
        base = make_email(rng)
        bases.append(base)
        stored.append(base)
        stored.extend(near_duplicate(base, rng) for _ in range(rng.randint(2, 5)))
    stored.extend(make_email(rng) for _ in range(60))
    queries = [near_duplicate(b, rng) for b in bases]
    truth = process.cdist(
        [F.normalize(q) for q in queries],
        [F.normalize(s) for s in stored],
        scorer=fuzz.ratio,
        score_cutoff=85,
        dtype=np.uint8,
        workers=-1,
    )
    index = NearDuplicateIndex()
    index.add_many(range(len(stored)), (fp(s) for s in stored))
    tp = fn = 0
    for i, q in enumerate(queries):
        found = {k for k, _ in index.query(fp(q))}
        true = set(np.flatnonzero(truth[i]).tolist())
        tp += len(true & found)
        fn += len(true - found)
    assert tp + fn >= 120  # the set really has near-duplicates to find
    assert tp / (tp + fn) >= 0.95
