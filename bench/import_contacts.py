"""Benchmark `sendwise contacts import`: 100,000 rows through the real
command (a subprocess, as a user runs it), on SQLite and, when
SENDWISE_TEST_POSTGRES_URL is set (scripts/pg-test-env), on PostgreSQL.

    python bench/import_contacts.py                 # 100,000 rows, 3 runs per database
    python bench/import_contacts.py --rows 20000 --runs 1
    scripts/pg-test-env .venv/bin/python bench/import_contacts.py   # adds PostgreSQL

Each run starts from an empty database with one organisation and times two
imports of the same file: "new" (every row inserted) and "again" (every row
an update). The file is a CSV in GB18030 with Chinese headers and a mix of
country names, ISO codes, Chinese stage names, dates and booleans, plus 1%
invalid rows, so detection, validation and the rejection report are all
timed. Prints the median and every run. The target is 60 s for 100,000 rows.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.analyze import machine  # noqa: E402
from bench.context import postgres_database  # noqa: E402

COUNTRIES = [
    "DE",
    "Germany",
    "德国",
    "France",
    "FR",
    "Italia",
    "意大利",
    "US",
    "United States",
    "美国",
    "NL",
    "Spain",
    "GB",
    "中国",
]
STAGES = ["prospect", "样品", "谈判", "customer", "成交", "复购", "老客户", "潜在客户", ""]
CONSENTS = ["opt_in", "同意", "soft_opt_in", "none", "拒绝", "", "unknown"]
FIRST = ["Anna", "Lukas", "Marco", "Claire", "Jan", "Sofia", "Tom", "李明", "王芳", "Emma", "Hans", "Lucía"]
LAST = ["Schmidt", "Becker", "Rossi", "Martin", "de Vries", "Bianchi", "Baker", "Müller", "García"]


def make_file(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    lines = ["邮箱,姓名,公司,国家,职位,行业,阶段,同意,同意来源,同意日期,退订,类型"]
    for i in range(rows):
        email = f"buyer{i}@company{i % 5000}.example.com" if rng.random() > 0.01 else f"broken-{i}"
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        date = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if rng.random() > 0.5 else ""
        lines.append(
            ",".join(
                [
                    email,
                    name,
                    f"Company {i % 5000} GmbH",
                    rng.choice(COUNTRIES),
                    rng.choice(["purchasing", "采购", ""]),
                    rng.choice(["lighting", "照明", ""]),
                    rng.choice(STAGES),
                    rng.choice(CONSENTS),
                    rng.choice(["trade fair", "展会", ""]),
                    date,
                    rng.choice(["否", "no", "是", ""]),
                    rng.choice(["b2b", "企业", "个人", ""]),
                ]
            )
        )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))


def run_cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "backend.cli", *args], capture_output=True, cwd=ROOT, env=env, timeout=900
    )


def timed_import(url: str, path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = run_cli(url, "contacts", "import", str(path), "--org", "bench")
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"import failed: {result.stderr.decode()[-500:]}")
    return elapsed, result.stdout.decode().strip()


def fresh_sqlite(workdir: Path, n: int) -> tuple[str, callable]:
    path = workdir / f"bench-{n}.db"
    return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)


def bench(label: str, make_db, path: Path, runs: int) -> None:
    new_times, again_times = [], []
    summary = ""
    for n in range(runs):
        url, cleanup = make_db(n)
        try:
            created = run_cli(url, "org", "create", "bench", "--domain", "bench-export.cn")
            if created.returncode != 0:
                raise SystemExit(f"org create failed: {created.stderr.decode()}")
            t_new, summary = timed_import(url, path)
            t_again, summary_again = timed_import(url, path)
        finally:
            cleanup()
        new_times.append(t_new)
        again_times.append(t_again)
        print(f"  {label} run {n + 1}: new {t_new:6.1f} s   again {t_again:6.1f} s", flush=True)
    print(
        f"{label}: median new {statistics.median(new_times):.1f} s, again {statistics.median(again_times):.1f} s"
        f"   ({summary.split(': ', 1)[-1]}; second run: {summary_again.split(': ', 1)[-1]})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="sendwise-bench-") as tmp:
        workdir = Path(tmp)
        path = workdir / "contacts.csv"
        make_file(path, args.rows)
        print(f"file: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB, GB18030 CSV with Chinese headers")
        bench("SQLite", lambda n: fresh_sqlite(workdir, n), path, args.runs)
        admin_url = os.environ.get("SENDWISE_TEST_POSTGRES_URL")
        if admin_url:
            bench("PostgreSQL", lambda n: postgres_database(admin_url), path, args.runs)
        else:
            print("PostgreSQL: skipped (SENDWISE_TEST_POSTGRES_URL is not set; run under scripts/pg-test-env)")


if __name__ == "__main__":
    main()
