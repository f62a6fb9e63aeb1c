"""Benchmarks for the analysis engine and the template-reuse fingerprints.

    python bench/analyze.py             # full run (several minutes: the 100k scan baseline is slow)
    python bench/analyze.py --quick     # smaller sizes, under about a minute
    python bench/analyze.py --calibrate # recompute nlp.fingerprint's similarity calibration table

Part 1 times ``nlp.analyze(request)`` on a heavy draft and, for scale, trivial
work on the same request (``json.dumps``, MIME parsing of the draft).
Part 2 compares ``NearDuplicateIndex`` lookups (bench/near_duplicates.py,
in memory) with a rapidfuzz scan over the same texts at 1k/10k/100k stored
messages: time per query, recall of the scan's matches (ratio >= 85),
precision, bytes per fingerprint.

Only prints figures; never exits non-zero because of a measurement, so it can
sit in a CI log without failing anything.  Texts are synthetic
(``bench/corpus.py``) and stay in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
import traceback
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bench.corpus import make_corpus, make_email, make_request, near_duplicate  # noqa: E402
from bench.near_duplicates import NearDuplicateIndex  # noqa: E402


def machine() -> str:
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or cpu
    import rapidfuzz

    try:
        load = "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())  # other work on the box skews timings
    except OSError:
        load = "load average unknown"
    return (
        f"{cpu}, {os.cpu_count()} cores, {load}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, rapidfuzz {rapidfuzz.__version__}"
    )


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def fmt_t(sec: float) -> str:
    if sec >= 1:
        return f"{sec:.2f} s"
    if sec >= 1e-3:
        return f"{sec * 1e3:.2f} ms"
    return f"{sec * 1e6:.1f} us"


# ---------------------------------------------------------------------------
# Part 1: nlp.analyze latency


def _time_calls(fn, n: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _draft_as_mime(request: dict) -> bytes:
    d = request["draft"]
    msg = EmailMessage()
    msg["From"] = f"{d['from']['name']} <{d['from']['email']}>"
    msg["To"] = ", ".join(f"{r['name']} <{r['email']}>" for r in d["to"])
    msg["Subject"] = d["subject"]
    msg.set_content(d["body"]["text"])
    return msg.as_bytes()


def bench_analyze(quick: bool) -> None:
    print("\n== Part 1: nlp.analyze latency (heavy draft) ==")
    request = make_request(seed=1)
    d, c = request["draft"], request["context"]
    print(
        f"request: {len(d['body']['text'].split())}-word body, {len(d['to'])} To recipients, "
        f"{len(c['contacts'])} contacts ({sum(len(x['interactions']) for x in c['contacts'])} interactions), "
        f"{len(c['history'])} history messages, {len(json.dumps(request)) / 1024:.0f} KiB as JSON"
    )
    runs, warmup, reps = (60, 5, 3) if quick else (300, 20, 3)
    mime = _draft_as_mime(request)
    baselines = {
        "json.dumps(request)": lambda: json.dumps(request),
        "email parse of draft (MIME)": lambda: message_from_bytes(mime, policy=policy.default).get_body(),
    }
    try:
        from nlp import analyze
    except Exception as exc:  # the engine may not exist yet, or be broken mid-edit
        print(f"SKIPPED analyze: `from nlp import analyze` failed: {type(exc).__name__}: {exc}")
        analyze = None
    rows: dict[str, tuple[list[float], list[float]]] = {}
    targets = dict(baselines)
    if analyze is not None:
        targets = {"nlp.analyze(request)": lambda: analyze(request)} | targets
    for name, fn in targets.items():
        p50s, p99s = [], []
        try:
            before = json.dumps(request, sort_keys=True)
            for _ in range(reps):
                t = _time_calls(fn, runs, warmup)
                p50s.append(pct(t, 50))
                p99s.append(pct(t, 99))
            if json.dumps(request, sort_keys=True) != before:
                print(f"NOTE: {name} modified the request it was given; later calls saw the modified one")
        except Exception:
            print(f"FAILED {name}:")
            traceback.print_exc(file=sys.stdout)
            continue
        rows[name] = (p50s, p99s)
    print(f"{runs} timed calls after {warmup} warm-up, median over {reps} repetitions:")
    for name, (p50s, p99s) in rows.items():
        print(f"  {name:32s} p50 {fmt_t(statistics.median(p50s)):>10s}   p99 {fmt_t(statistics.median(p99s)):>10s}")
    if "nlp.analyze(request)" in rows:
        a50 = statistics.median(rows["nlp.analyze(request)"][0])
        for name in baselines:
            if name in rows:
                print(f"  analyze p50 / {name}: {a50 / statistics.median(rows[name][0]):.0f}x")


# ---------------------------------------------------------------------------
# Part 2: template-reuse lookup


def build_store(n: int, seed: int) -> tuple[list[str], list[int]]:
    """n stored texts: ~40 % in template families (a base sent, edited, to 2-8
    recipients), the rest one-off mails.  Returns texts and the family bases' indexes."""
    rng = random.Random(seed)
    texts: list[str] = []
    bases: list[int] = []
    while len(texts) < n:
        if rng.random() < 0.1:
            base = make_email(rng)
            bases.append(len(texts))
            texts.append(base)
            for _ in range(rng.randint(1, 7)):
                if len(texts) < n:
                    texts.append(near_duplicate(base, rng))
        else:
            texts.append(make_email(rng))
    return texts, bases


def make_queries(texts: list[str], bases: list[int], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if i % 2 == 0:
            # a new draft from a stored template (usually a family base, sometimes a one-off)
            src = texts[rng.choice(bases)] if bases and rng.random() < 0.8 else rng.choice(texts)
            out.append(near_duplicate(src, rng))
        else:
            out.append(make_email(rng))
    return out


THRESHOLDS = (0.80, 0.85, 0.87, 0.90)


def bench_lookup(quick: bool) -> None:
    from nlp import fingerprint as fpm

    print("\n== Part 2: template-reuse lookup, NearDuplicateIndex vs rapidfuzz scan ==")
    print(
        f"fingerprint: {fpm.FINGERPRINT_BYTES} bytes, {len(fpm.band_keys(fpm.fingerprint('a b')))} band keys "
        f"(SQL BIGINT rows) per message; similarity threshold {fpm.DEFAULT_THRESHOLD}, "
        f"scan: fuzz.ratio(normalize(a), normalize(b)) >= 85"
    )

    # fingerprint() cost on a 300-word text
    t300 = make_email(random.Random(7), min_words=300, max_words=300)
    per = [min(_time_calls(lambda: fpm.fingerprint(t300), 200, 20)) for _ in range(5)]
    med = statistics.median(_time_calls(lambda: fpm.fingerprint(t300), 2000, 50))
    print(f"fingerprint() of a 300-word text: median {fmt_t(med)}, best {fmt_t(min(per))}")

    sizes = [1000, 10000] if quick else [1000, 10000, 100000]
    n_queries = 100 if quick else 200
    print(f"{n_queries} queries per size, half near-duplicates of stored texts, half new texts")
    header = (
        f"{'stored':>7s} {'index/q':>9s} {'scan/q':>9s} {'speedup':>8s} {'cdist2/q':>9s} {'speedup':>8s} "
        f"{'cand/q':>7s} {'pairs':>6s} {'recall':>7s} {'precision':>9s} {'FP ratio min/med':>17s}"
    )
    lines = []
    for n in sizes:
        try:
            lines.append(_lookup_one_size(fpm, n, n_queries, quick))
        except Exception:
            print(f"FAILED at {n} stored:")
            traceback.print_exc(file=sys.stdout)
        print(header)
        for line in lines:
            print(line)
    print(
        "index/q: fingerprint(query) + index.query, median; scan/q: process.extract(scorer=fuzz.ratio, "
        "score_cutoff=85, limit=None), one thread, median;\ncdist2/q: process.cdist over all queries with "
        f"workers=-1 ({os.cpu_count()} cores), total / queries.  FP ratio: true ratio of reported non-matches."
    )


def _lookup_one_size(fpm, n: int, n_queries: int, quick: bool) -> str:
    t0 = time.perf_counter()
    texts, bases = build_store(n, seed=n)
    queries = make_queries(texts, bases, n_queries, seed=n + 1)
    t1 = time.perf_counter()
    norms = [fpm.normalize(t) for t in texts]
    t2 = time.perf_counter()
    fps = [fpm.fingerprint(t) for t in texts]
    t3 = time.perf_counter()
    index = NearDuplicateIndex()
    index.add_many(range(n), fps)
    index.query(fps[0])  # builds the band index
    t4 = time.perf_counter()
    del texts  # the index keeps fingerprints only; the scan keeps the normalized texts
    print(
        f"[{n} stored] generated in {t1 - t0:.1f} s, normalize {fmt_t((t2 - t1) / n)}/text, "
        f"fingerprint {fmt_t((t3 - t2) / n)}/text, index build {fmt_t(t4 - t3)}, "
        f"index memory {(index._words.nbytes + index._bands.nbytes + index._keys.nbytes) / n:.0f} B/entry "
        f"(+ sorted band index {(index._flat_keys.nbytes + index._flat_rows.nbytes) / n:.0f} B/entry)"
    )

    q_norms = [fpm.normalize(q) for q in queries]
    q_fps = [fpm.fingerprint(q) for q in queries]
    found_low: list[dict[int, float]] = []
    n_cand = []
    for fq in q_fps:
        found_low.append(dict(index.query(fq, threshold=min(THRESHOLDS))))
        n_cand.append(len(index._candidates(np.frombuffer(fq, dtype="<u2"))))
    found = [{k for k, s in f.items() if s >= fpm.DEFAULT_THRESHOLD} for f in found_low]
    # Sub-millisecond timings are noisy: per-query median of 3 passes, then the median over queries.
    idx_med = statistics.median(_median_pass(lambda q: index.query(fpm.fingerprint(q)), queries, 3))

    # Ground truth: every (query, stored) pair with ratio >= 85, both cores.
    t = time.perf_counter()
    truth = process.cdist(q_norms, norms, scorer=fuzz.ratio, score_cutoff=85, workers=-1, dtype=np.uint8)
    cdist_per_q = (time.perf_counter() - t) / len(queries)

    # Single-thread scan timing on a subset of queries (the full set takes minutes at 100k).
    n_scan = len(queries) if n <= 1000 else (40 if n <= 10000 else (10 if not quick else 5))
    scan_times = []
    for qn in q_norms[:n_scan]:
        t = time.perf_counter()
        process.extract(qn, norms, scorer=fuzz.ratio, score_cutoff=85, limit=None)
        scan_times.append(time.perf_counter() - t)
    scan_med = statistics.median(scan_times)

    tp = fn = fp = 0
    fp_ratios = []
    for i in range(len(queries)):
        true = set(np.flatnonzero(truth[i]).tolist())
        tp += len(true & found[i])
        fn += len(true - found[i])
        for k in found[i] - true:
            fp += 1
            fp_ratios.append(fuzz.ratio(q_norms[i], norms[k]))
    pairs = tp + fn
    recall = tp / pairs if pairs else float("nan")
    precision = tp / (tp + fp) if tp + fp else float("nan")
    fp_txt = f"{min(fp_ratios):.0f}/{statistics.median(fp_ratios):.0f}" if fp_ratios else "-"
    near = sum(r >= 80 for r in fp_ratios)
    print(
        f"[{n} stored] reported non-matches: {fp} (of which {near} at ratio 80-85); precision counting "
        f"ratio >= 80 as a match: {(tp + near) / (tp + fp) if tp + fp else float('nan'):.4f}"
    )
    ops = []
    for th in THRESHOLDS:
        tp_ = fp_ = 0
        for i in range(len(queries)):
            true = set(np.flatnonzero(truth[i]).tolist())
            got = {k for k, s in found_low[i].items() if s >= th}
            tp_ += len(true & got)
            fp_ += len(got - true)
        ops.append(
            f"{th:.2f}: recall {tp_ / pairs if pairs else float('nan'):.4f} "
            f"precision {tp_ / (tp_ + fp_) if tp_ + fp_ else float('nan'):.4f}"
        )
    print(f"[{n} stored] vs ratio >= 85 at similarity thresholds " + "; ".join(ops))
    return (
        f"{n:>7d} {fmt_t(idx_med):>9s} {fmt_t(scan_med):>9s} {scan_med / idx_med:>7.0f}x "
        f"{fmt_t(cdist_per_q):>9s} {cdist_per_q / idx_med:>7.0f}x {statistics.median(n_cand):>7.0f} "
        f"{pairs:>6d} {recall:>7.4f} {precision:>9.4f} {fp_txt:>17s}"
    )


def _median_pass(fn, items, reps: int) -> list[float]:
    """Per-item median over ``reps`` passes."""
    times = [[0.0] * reps for _ in items]
    for r in range(reps):
        for i, it in enumerate(items):
            t = time.perf_counter()
            fn(it)
            times[i][r] = time.perf_counter() - t
    return [statistics.median(ts) for ts in times]


# ---------------------------------------------------------------------------
# Calibration of nlp.fingerprint.similarity


def calibrate(n_bases: int = 2500, per_base: int = 6, seed: int = 12345, q: float = 0.05) -> None:
    """Print the (estimated Jaccard, ratio) knots for ``nlp.fingerprint._CALIBRATION``.

    Pairs are a template and its edited copy, and two edited copies of one
    template (as two salespeople's reuses of it).  For each ratio level x, the
    knot is the q-quantile of the estimated bigram Jaccard among pairs whose
    true ratio lies in [x, x + 0.02): a similarity threshold of x then keeps
    ~(1 - q) of the pairs right at that ratio and nearly all of those well
    above it.  Other quantiles are printed for comparison.
    """
    from nlp import fingerprint as fpm

    rng = random.Random(seed)
    ratios, jacs = [], []
    t = time.perf_counter()
    for base in make_corpus(n_bases, seed=seed):
        # Spread strengths wider than the default draw, to fill every ratio level.
        dups = [base] + [near_duplicate(base, rng, strength=rng.random() * 0.8) for _ in range(per_base)]
        norms = [fpm.normalize(d) for d in dups]
        fps = [fpm.fingerprint(d) for d in dups]
        for i in range(1, len(dups)):
            for j in (0, i - 1) if i > 1 else (0,):
                ratios.append(fuzz.ratio(norms[i], norms[j]) / 100)
                jacs.append(fpm.estimated_jaccard(fps[i], fps[j]))
    r, j = np.array(ratios), np.array(jacs)
    print(f"{len(r)} pairs in {time.perf_counter() - t:.0f} s")
    qs = sorted({0.01, 0.02, 0.05, 0.1, q})
    print("  ratio  pairs  " + "  ".join(f"J q{x:<4g}" for x in qs) + "  J median")
    knots = [(0.0, 0.0)]
    for x in np.round(np.arange(0.60, 0.96, 0.05), 2):
        sel = (r >= x) & (r < x + 0.02)
        qv = {x_: float(np.quantile(j[sel], x_)) for x_ in qs}
        print(f"  {x:.2f}  {sel.sum():6d}  " + "  ".join(f"{qv[x_]:7.3f}" for x_ in qs) + f"  {np.median(j[sel]):8.3f}")
        knots.append((round(max(qv[q], knots[-1][0] + 0.005), 3), float(x)))
    knots.append((1.0, 1.0))
    print(f"_CALIBRATION (q = {q}) = (\n" + "".join(f"    ({a}, {b}),\n" for a, b in knots) + ")")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (under about a minute)")
    ap.add_argument("--calibrate", action="store_true", help="recompute the similarity calibration and exit")
    ap.add_argument("--q", type=float, default=0.05, help="quantile used by --calibrate")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}")
    if args.calibrate:
        calibrate(q=args.q)
        return 0
    t = time.perf_counter()
    for part in (bench_analyze, bench_lookup):
        try:
            part(args.quick)
        except Exception:
            print(f"FAILED {part.__name__}:")
            traceback.print_exc(file=sys.stdout)
    print(f"\ntotal {time.perf_counter() - t:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
