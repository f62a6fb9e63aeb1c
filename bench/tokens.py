"""Benchmark what checking a Microsoft access token costs per request once the
identity platform's keys are cached (the steady state: keys are fetched
once an hour).

    python bench/tokens.py                  # 2,000 tokens per run, 5 runs
    python bench/tokens.py --tokens 500 --runs 3

The identity platform is the tests' stand-in (tests/microsoft.py: OpenID
metadata and JWKS on loopback, a 2048-bit RSA key made here). Two figures:

- verify: `microsoft_auth.verify_access_token` alone (header, cache look-up,
  RS256 signature, audience, issuer, scope, time);
- request: `auth.resolve_caller` for a request carrying the token, in the
  app on a migrated SQLite database: verification, the tenant's
  organisation and the user; "first" is a user's first request, which
  creates the user (an insert and a commit).

Each token is distinct (a different user), as a real server sees them.
Prints the median per-token cost over the runs, and every run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.analyze import machine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from backend import auth, create_app, db, microsoft_auth
    from backend.clock import FixedClock
    from backend.storage import Database, queries
    from backend.storage.migrate import upgrade
    from tests.conftest import NOW
    from tests.microsoft import CLIENT_ID, TENANT, identity_platform

    clock = FixedClock(NOW)
    print(machine())
    with identity_platform() as platform, tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'sendwise.db'}"
        database = Database(url)
        upgrade(database)
        with database.session() as session:
            queries.upsert_org(
                session, "contoso", NOW, name="Contoso", domains=["contoso.example"], default_locale="en",
                policy={}, microsoft_tenant=TENANT,
            )  # fmt: skip
        database.dispose()

        keys = microsoft_auth.MicrosoftKeys(platform.openid_config_url)
        audiences = [f"api://{CLIENT_ID}", CLIENT_ID]
        app = create_app({"DATABASE_URL": url, "CLOCK": clock, "MS_CLIENT_ID": CLIENT_ID,
                          "MS_OPENID_CONFIG_URL": platform.openid_config_url})  # fmt: skip

        verify_runs, first_runs, request_runs = [], [], []
        for run in range(args.runs):
            tokens = [platform.token(NOW, email=f"user{run}-{i}@contoso.example") for i in range(args.tokens)]
            microsoft_auth.verify_access_token(tokens[0], keys=keys, audiences=audiences, now=NOW)  # warm the keys
            started = time.perf_counter()
            for token in tokens:
                microsoft_auth.verify_access_token(token, keys=keys, audiences=audiences, now=NOW)
            verify_runs.append((time.perf_counter() - started) / len(tokens))

            with app.test_request_context(headers={"Authorization": f"Bearer {tokens[0]}"}):
                auth.current_caller()  # warm the app's key cache
            for timings in (first_runs, request_runs):  # first: each user is created; then: found
                started = time.perf_counter()
                for token in tokens:
                    with app.test_request_context(headers={"Authorization": f"Bearer {token}"}) as ctx:
                        auth.resolve_caller(ctx.request, db.session(), demo_mode=False)
                timings.append((time.perf_counter() - started) / len(tokens))
        assert platform.key_fetches == 2, platform.key_fetches  # one per cache: they stayed warm
        app.extensions["sendwise.db"].dispose()

    def show(name: str, runs: list[float], what: str) -> None:
        every = ", ".join(f"{r * 1e6:.0f}" for r in runs)
        print(f"{name:8} median {statistics.median(runs) * 1e6:7.0f} µs per token  ({what}; runs: {every} µs)")

    print(f"{args.tokens} distinct tokens per run, {args.runs} runs, warm key cache")
    show("verify", verify_runs, "signature and claims")
    show("request", request_runs, "verify + the tenant's organisation + the user")
    show("first", first_runs, "a user's first request: the same, and the user is created")


if __name__ == "__main__":
    main()
