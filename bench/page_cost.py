"""What one request of each benchmarked page costs the app itself: SQL statements and CPU milliseconds.

    .venv/bin/python bench/page_cost.py [--rounds 100]

Runs against the database `make bench` seeded (bench/http_pages.py, crucible_bench, bench/.seed.json) with
the Flask test client in this process, so neither wrk nor gunicorn nor PostgreSQL's own CPU time counts:
process CPU time per request, best of five rounds (the least disturbed by whatever else the machine does),
and the Python function calls per request, which do not depend on the machine's speed at all (cProfile's
count over 20 requests, test client included).
Use it to see what a change to a page saves; bench/http_pages.py measures the pages as users meet them.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _requester(client, name: str, method: str, path: str) -> Callable[[], None]:
    """One request of the page, as the rounds repeat it; exits when the page does not answer 200."""
    counter = iter(range(10**9))

    def hit() -> None:
        if method == "POST":
            response = client.post(path, data={"A1b": f"Revised summary, edit {next(counter)}"})
        else:
            response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"{name}: {path} answered {response.status_code}")

    return hit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/crucible_bench")
    parser.add_argument("--seed-file", default=str(ROOT / "bench" / ".seed.json"))
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    seed = json.loads(Path(args.seed_file).read_text())
    os.environ.update(DATABASE_URL=args.database_url, SECRET_KEY="bench-page-cost", RATELIMIT_ENABLED="0",
                      REDIS_URL="", MAIL_SERVER="", CRUCIBLE_ENV="development",
                      INSTANCE_DIR=tempfile.mkdtemp(prefix="crucible-page-cost-"))

    from sqlalchemy import event

    from app import create_app
    from app.extensions import db

    app = create_app({"WTF_CSRF_ENABLED": False})
    draft = (seed.get("draft_submissions") or [seed["draft_submission"]])[0]
    pages = [
        ("section page", "applicant", "GET", f"/applications/{draft}/sections/B"),
        ("save (autosave)", "applicant", "POST", f"/applications/{draft}/sections/A/autosave"),
        ("coordinator queue", "coordinator", "GET", "/review/queue"),
        ("reviewer's page", "reviewer", "GET", f"/review/applications/{seed['review_submission']}"),
    ]
    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))

    print(f"{'page':20s} {'SQL statements':>15s} {'CPU ms':>8s} {'Python calls':>13s}")
    for name, who, method, path in pages:
        client = app.test_client()
        signed_in = client.post("/login", data={"email": seed["users"][who], "password": seed["password"]})
        if signed_in.status_code not in (302, 303):
            sys.exit(f"could not sign in as {who}: {signed_in.status_code}")
        hit = _requester(client, name, method, path)

        for _ in range(5):
            hit()
        statements[0] = 0
        hit()
        per_request = statements[0]
        best = float("inf")
        for _ in range(5):
            started = time.process_time()
            for _ in range(args.rounds):
                hit()
            best = min(best, (time.process_time() - started) / args.rounds)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(20):
            hit()
        profile.disable()
        calls = pstats.Stats(profile).total_calls / 20
        print(f"{name:20s} {per_request:15d} {best * 1000:8.2f} {calls:13,.0f}")


if __name__ == "__main__":
    main()
