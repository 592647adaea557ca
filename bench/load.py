"""Load run: locust (headless, bounded) against gunicorn on PostgreSQL, then the checks.

    .venv/bin/python bench/load.py [--users 50] [--minutes 5] [--applications 300]

Seeds a database of its own (crucible_load), starts gunicorn -w 4 on a free 127.0.0.1 port with an access
log, runs bench/locustfile.py, then reports: requests, 5xx responses (from the access log), answers lost
(every value the server confirmed as saved compared with the database) and whether the audit chain verifies.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
DATABASE = "crucible_load"
URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--applications", type=int, default=300)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="crucible-load-"))
    seed_file, sent_file, access_log = work / "seed.json", work / "sent.json", work / "access.log"
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DATABASE], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DATABASE], check=True)
    subprocess.run([BIN / "python", ROOT / "bench" / "seed.py", "--database-url", URL, "--applications",
                    str(args.applications), "--audit-events", "5000", "--out", seed_file], check=True, cwd=ROOT)
    env = dict(os.environ, DATABASE_URL=URL, SECRET_KEY="load-test-only", INSTANCE_DIR=str(work),
               ASSESSMENT_AUTO_RENDER="false", LOAD_SEED_FILE=str(seed_file), LOAD_SENT_FILE=str(sent_file))
    env.pop("REDIS_URL", None)
    port = free_port()
    server = subprocess.Popen([BIN / "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}", "--access-logfile",
                               str(access_log), "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        started = time.time()
        subprocess.run([BIN / "locust", "-f", ROOT / "bench" / "locustfile.py", "--headless", "-u", str(args.users),
                        "-r", "5", "-t", f"{int(args.minutes * 60)}s", "--host", f"http://127.0.0.1:{port}",
                        "--only-summary", "--stop-timeout", "10"], cwd=ROOT, env=env, check=False)
        elapsed = time.time() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    statuses = [int(m.group(1)) for line in access_log.read_text().splitlines()
                if (m := re.search(r'" (\d{3}) ', line))]
    server_errors = sum(1 for s in statuses if s >= 500)
    sent = json.loads(sent_file.read_text())
    check = subprocess.run([BIN / "python", "-c", _CHECK, json.dumps(sent)], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    lost = json.loads(check.stdout.strip().splitlines()[-1])
    audit = subprocess.run([BIN / "flask", "--app", "wsgi", "audit", "verify"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    print(f"\nload: {args.users} users for {elapsed:.0f} s against gunicorn -w 4 on PostgreSQL")
    print(f"requests: {len(statuses)}; 5xx: {server_errors}; other non-2xx/3xx: "
          f"{sum(1 for s in statuses if 400 <= s < 500)}")
    print(f"answers confirmed saved: {len(sent)}; lost or different in the database: {len(lost)}")
    print(f"audit chain: {(audit.stdout or audit.stderr).strip().splitlines()[-1]}")
    sys.exit(1 if server_errors or lost or audit.returncode else 0)


_CHECK = """
import json, sys
from sqlalchemy import select
from app import create_app
from app.extensions import db
from app.submissions.models import Answer
sent = json.loads(sys.argv[1])
app = create_app()
lost = []
with app.app_context():
    for key, value in sent.items():
        submission_id, question_id = key.split(":")
        stored = db.session.scalar(select(Answer.value).where(Answer.submission_id == int(submission_id),
                                                             Answer.question_id == question_id))
        if stored != value:
            lost.append(key)
print(json.dumps(lost))
"""

if __name__ == "__main__":
    main()
