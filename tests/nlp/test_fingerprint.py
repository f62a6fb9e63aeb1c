"""nlp.fingerprint: near-duplicate fingerprints and LSH band keys."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz import fuzz

from bench.corpus import make_corpus, make_email, near_duplicate
from nlp import fingerprint as F

ROOT = Path(__file__).resolve().parents[2]

TEXT = (
    "Dear Anna, thank you for visiting our booth at the Canton Fair. Please find attached our catalog "
    "and price list for LED panel lights; the MOQ is 500 pieces and the lead time is 30 days."
)
# Changing the shingling, the hash functions, their constants or the bit layout
# changes every stored fingerprint: that needs a new SCHEME_VERSION, not just a
# new value here.
TEXT_FP_HEX = (
    "d1f6f6ff05bb54eb9a98cacea6dc870c870c11fe9e8011c9ce0219ea9294f289"
    "d07fe4806f3d66ac9ccf2e0ec2015f9ce0ff4fe666985fc79ea3a8e6ff8f5f0a"
)

PITCH = (
    "Thank you for your interest in our stainless steel ball valves. We are a certified manufacturer based in "
    "Ningbo with more than 300 workers and eight production lines. Our valves passed CE and ISO 9001 testing "
    "and come with a two-year warranty. For a quantity of 2,000 pieces the unit price is USD 4.80 FOB Ningbo, "
    "valid until the end of December. The MOQ is 500 pieces per model and the lead time is about 25 days after "
    "deposit. Payment terms are 30% deposit and 70% balance before shipment. We can send free samples for "
    "testing, you only need to pay the courier cost. Many customers in Germany choose our valves because of "
    "their stable quality and competitive price. I have attached our latest catalog for your reference. "
    "Looking forward to your reply and to a long term cooperation."
)


def fp(text: str) -> bytes:
    return F.fingerprint(text)


# -- normalize ----------------------------------------------------------------


def test_normalize_casefolds_and_collapses_punctuation_and_whitespace():
    assert F.normalize("  Hello,\n\n  WORLD!!!  --- price: USD 4.80 / pc_set  ") == "hello world price usd 4 80 pc set"
    assert F.normalize("Grüße aus Ningbo — Straße 5") == "grüsse aus ningbo strasse 5"
    assert F.normalize("ＭＯＱ：５００ pcs") == "moq 500 pcs"  # full-width forms (NFKC)
    assert F.normalize("") == ""


def test_ascii_fast_path_matches_unicode_path():
    # "é" forces the Unicode path; the rest of the text must normalize identically.
    text = make_email(random.Random(5)) + " \t(see: catalog_v2.pdf!) "
    assert F.normalize(text + " é") == F.normalize(text) + " é"


# -- fingerprint ----------------------------------------------------------------


def test_fingerprint_is_bytes_of_fixed_size_at_most_64():
    assert F.FINGERPRINT_BYTES <= 64
    for text in (TEXT, PITCH, "", "word", make_email(random.Random(1))):
        f = fp(text)
        assert isinstance(f, bytes)
        assert len(f) == F.FINGERPRINT_BYTES


def test_fingerprint_is_stable():
    assert fp(TEXT).hex() == TEXT_FP_HEX


def test_fingerprint_does_not_depend_on_python_hash_seed():
    # Load the module file directly (not the nlp package) in a fresh interpreter
    # with a fixed, different hash seed.
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('fpm', {str(ROOT / 'nlp' / 'fingerprint.py')!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        f"print(m.fingerprint({PITCH!r}).hex())\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == fp(PITCH).hex()


def test_fingerprint_is_defined_on_normalized_text():
    assert fp(PITCH) == fp(F.normalize(PITCH))
    assert fp(PITCH) == fp(PITCH.upper().replace(". ", " ... ").replace(" ", "  \n"))
    assert fp(PITCH) != fp(PITCH.replace("valves", "pumps"))


def test_empty_and_tiny_texts():
    assert fp("") == bytes(F.FINGERPRINT_BYTES)
    assert fp("!!! ...") == bytes(F.FINGERPRINT_BYTES)
    assert fp("hello") != fp("world")
    assert F.similarity(fp("hello"), fp("Hello!")) == 1.0


# -- similarity -------------------------------------------------------------------


def test_identical_texts_have_similarity_one():
    assert F.similarity(fp(PITCH), fp(PITCH)) == 1.0
    assert F.estimated_jaccard(fp(PITCH), fp(PITCH)) == 1.0


def test_greeting_name_change_stays_above_threshold():
    a = "Dear Anna,\n\n" + PITCH
    b = "Hi Lukas,\n\n" + PITCH
    assert F.similarity(fp(a), fp(b)) >= F.DEFAULT_THRESHOLD
    # The same with the name mentioned inside the body too, over varied mails.
    rng = random.Random(3)
    for text in make_corpus(20, seed=77):
        assert F.similarity(fp(text), fp(near_duplicate(text, rng, strength=0.0))) >= F.DEFAULT_THRESHOLD


def test_small_edits_stay_above_threshold():
    edited = (
        PITCH.replace("Germany", "Poland").replace("USD 4.80", "USD 4.65").replace("two-year", "three-year")
        + " Have a nice weekend."
    )
    assert fuzz.ratio(F.normalize(PITCH), F.normalize(edited)) >= 85
    assert F.similarity(fp(PITCH), fp(edited)) >= F.DEFAULT_THRESHOLD


def test_unrelated_texts_of_the_same_domain_are_well_below():
    texts = make_corpus(30, seed=2024, greeting=False)
    sims = [F.similarity(fp(a), fp(b)) for a, b in itertools.combinations(texts, 2)]
    assert max(sims) < F.DEFAULT_THRESHOLD
    assert float(np.median(sims)) < 0.6
    assert F.similarity(fp(TEXT), fp(PITCH)) < 0.5


def test_similarity_is_symmetric_and_in_unit_interval():
    rng = random.Random(9)
    texts = make_corpus(8, seed=9)
    texts += [near_duplicate(t, rng) for t in texts]
    for a, b in itertools.combinations(texts, 2):
        s = F.similarity(fp(a), fp(b))
        assert 0.0 <= s <= 1.0
        assert s == F.similarity(fp(b), fp(a))


def test_similarities_equal_one_similarity_per_fingerprint():
    rng = random.Random(10)
    texts = make_corpus(12, seed=10)
    others = [fp(t) for t in texts] + [fp(near_duplicate(texts[0], rng)), bytes(F.FINGERPRINT_BYTES)]
    assert F.similarities(fp(texts[0]), others) == [F.similarity(fp(texts[0]), o) for o in others]
    assert F.similarities(fp(texts[0]), []) == []
    with pytest.raises(ValueError):
        F.similarities(fp(texts[0]), [b"short"])


def test_estimated_jaccard_tracks_exact_bigram_jaccard():
    rng = random.Random(11)
    errors = []
    for text in make_corpus(40, seed=11):
        other = near_duplicate(text, rng, strength=rng.random() * 0.6)
        wa, wb = F.normalize(text).split(), F.normalize(other).split()
        sa, sb = set(itertools.pairwise(wa)), set(itertools.pairwise(wb))
        errors.append(F.estimated_jaccard(fp(text), fp(other)) - len(sa & sb) / len(sa | sb))
    errors = np.array(errors)
    assert abs(errors.mean()) < 0.02  # unbiased
    assert np.abs(errors).max() < 0.2  # 128 slots: sd ~0.045


def test_similarity_is_monotone_in_agreeing_slots():
    table = F._SIM_BY_MATCHES
    assert table[0] == 0.0 and table[-1] == 1.0
    assert np.all(np.diff(table) >= 0)


def test_chinese_text_is_tokenized_per_character():
    zh = "您好，感谢您对我们LED面板灯的关注。我们是宁波的一家专业制造商，产品通过CE和RoHS认证，最小起订量为500件，交货期为30天。"
    edited = zh.replace("30天", "45天").replace("宁波", "上海")
    unrelated = "请问贵公司下个月是否有新的采购计划？我们的太阳能逆变器目前有库存，可以马上发货，价格也比去年便宜。"
    assert F.similarity(fp(zh), fp(edited)) >= F.DEFAULT_THRESHOLD
    assert F.similarity(fp(zh), fp(unrelated)) < 0.6


def test_rejects_wrong_length():
    with pytest.raises(ValueError):
        F.similarity(b"\x00" * 10, fp(TEXT))
    with pytest.raises(ValueError):
        F.band_keys(b"")


# -- band keys ------------------------------------------------------------------------


def test_band_keys_are_signed_64_bit_ints_unique_per_band():
    for f in (fp(TEXT), fp(PITCH), bytes(F.FINGERPRINT_BYTES), b"\xff" * F.FINGERPRINT_BYTES):
        keys = F.band_keys(f)
        assert len(keys) == F.N_BANDS
        assert all(type(k) is int and -(2**63) <= k < 2**63 for k in keys)
        # the band number is part of the key: equal band values in different bands never collide
        assert len(set(keys)) == F.N_BANDS
    assert F.band_keys(bytes(F.FINGERPRINT_BYTES))[3] != F.band_keys(bytes(F.FINGERPRINT_BYTES))[4]


def test_band_keys_shared_by_near_duplicates_not_by_unrelated():
    rng = random.Random(21)
    texts = make_corpus(20, seed=21)
    for text in texts:
        assert set(F.band_keys(fp(text))) & set(F.band_keys(fp(near_duplicate(text, rng, strength=0.05))))
    shared = sum(bool(set(F.band_keys(fp(a))) & set(F.band_keys(fp(b)))) for a, b in itertools.combinations(texts, 2))
    assert shared <= 0.15 * (len(texts) * (len(texts) - 1) / 2)


def test_nibble_mismatch_fallback_without_bitwise_count(monkeypatch):
    rng = np.random.default_rng(1)
    words = rng.integers(0, 2**63, size=(50, 8), dtype=np.uint64) * 2 + 1
    q = words[3].copy()
    fast = F._nibble_mismatches(words, q)
    monkeypatch.delattr(np, "bitwise_count", raising=False)
    slow = F._nibble_mismatches(words, q)
    assert slow.tolist() == fast.tolist()
    assert fast[3] == 0
    # the scalar path used by similarity() agrees with the vectorized one
    a, b = words[0].astype("<u8").tobytes(), words[3].astype("<u8").tobytes()
    assert F._matches(a, b) == F._K - fast[0]
