"""Fault runs: kill -9 gunicorn workers mid-save and the RQ worker mid-render, restart PostgreSQL under load.

    .venv/bin/python bench/faults.py [--only A B C] [--results bench/RESULTS.md]

Everything runs on a PostgreSQL 15 cluster of its own (initdb in a temporary folder, a free port on
127.0.0.1, trust authentication), so restarting and crashing it touches no other database; it is stopped and
removed at the end, also when the run fails. Render jobs go through Redis on 127.0.0.1:6379 database 7 (the
run's own: emptied before and after) on the queue crucible-faults.

A  gunicorn -w 3; six signed-in applicants autosave an answer of their own draft in a loop while one gunicorn
   worker is killed with SIGKILL every 2 s.
B  `flask worker` renders signed assessments of seeded decisions while its work-horse is killed mid-render
   (one job on every one of RQ's attempts, so RQ gives it up), then the whole worker (main process,
   work-horse and scheduler) is killed mid-render and a fresh worker is started.
C  the applicants of A plus two page readers while the cluster is restarted with `pg_ctl restart -m fast`,
   then with `-m immediate` (a crash: WAL recovery on start).

Checks: every value the server confirmed as saved is in the database unless a later save of the same
browser (confirmed, or cut off so its fate is unknown) replaced it; each answer's version moved exactly as
often as an `answers.saved` audit event was written for it, and at least once per confirmed save; no
transaction is left open; `flask audit verify` passes. For B: every job ends done with exactly one Document
and one `document.created` event, the archived PDF's sha256 matches the database. For C: 5xx only while
PostgreSQL is down (plus a second), none showing a stack trace, each the app's own error page; and the time
until requests succeed again.
Exit 1 when any check fails.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from http_pages import Session, wait_for
from load import free_port

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "crucible_faults"
REDIS_URL = "redis://127.0.0.1:6379/7"
QUEUE = "crucible-faults"
# RQ's retries and the worker's sweep on a scale of seconds instead of minutes (defaults: 10,60,300; 900; 60).
WORKER_SETTINGS = {"RENDER_RETRY_INTERVALS": "1", "RENDER_STALE_AFTER": "8", "RENDER_SWEEP_INTERVAL": "3"}
SAVERS = 6
WORKERS = 3
# A 5xx that ends this long after PostgreSQL is back still counts as part of the outage (the request was
# already failing when the server came back).
GRACE = 1.0
# The app's own error pages (with a reference for support): 503 while the database cannot be reached, 500 for
# anything else; and gunicorn's bare one, sent when an exception escapes the app, its error handler included.
APP_ERROR_TITLES = ("Crucible is briefly unavailable", "Something went wrong on our side")
GUNICORN_500 = "<h1><p>Internal Server Error</p></h1>"


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------- the private cluster, gunicorn, the RQ worker


class Cluster:
    """PostgreSQL 15 in a temporary folder, run as the postgres user, on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="crucible-faults-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{DATABASE}"
        self.options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} "
                        "-c max_connections=200")

    def _pg(self, *args: object) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, args)], check=True, cwd=self.dir,
                       stdout=subprocess.DEVNULL)

    def start(self) -> None:
        self._pg(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale",
                 "--no-sync")
        self._pg(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.dir / "postgres.log", "-o", self.options, "-w",
                 "start")

    def restart(self, mode: str) -> None:
        self._pg(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.dir / "postgres.log", "-o", self.options,
                        "-m", mode, "-w", "-t", "120", "restart")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m",
                            "immediate", "-w", "stop"], check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


class Process:
    """A server started in a session of its own, so it and everything it forks can be found and ended."""

    def __init__(self, command: list, env: dict, log_path: Path) -> None:
        # The child has its own copy of the log's descriptor: the parent's is closed once the child is started.
        with open(log_path, "ab") as log_file:
            self.popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        self.pid = self.popen.pid

    def children(self) -> list[tuple[int, int]]:
        """(pid, process group) of the direct children."""
        out = subprocess.run(["ps", "--ppid", str(self.pid), "-o", "pid=,pgid="], capture_output=True,
                             text=True).stdout
        return [tuple(map(int, line.split())) for line in out.splitlines() if line.strip()]

    def session(self) -> list[int]:
        out = subprocess.run(["ps", "-e", "-o", "pid=,sid="], capture_output=True, text=True).stdout
        return [pid for pid, sid in (map(int, line.split()) for line in out.splitlines()) if sid == self.pid]

    def kill_all(self) -> None:
        for pid in self.session():
            _kill(pid)
        self.popen.wait()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=20)
        # An RQ work-horse runs in a process group of its own: end the whole session.
        for pid in self.session():
            _kill(pid)


def _kill(pid: int) -> bool:
    try:
        os.kill(pid, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False


# ---------------------------------------------------------------- browsers


@dataclass
class Call:
    kind: str
    started: float
    ended: float
    status: int  # 0: no HTTP answer (connection refused or cut off)
    body: str = ""
    url: str = ""


def call(session: Session, path: str, data: dict | None = None) -> Call:
    started = time.time()
    body, status = "", 0
    url = session.base + path
    try:
        with session.opener.open(url, data=urllib.parse.urlencode(data).encode() if data else None,
                                 timeout=15) as response:
            status, body, url = response.status, response.read().decode(), response.url
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode(errors="replace")
    except (OSError, http.client.HTTPException):
        pass
    return Call("save" if data else "page", started, time.time(), status, body, url)


class Browser(threading.Thread):
    """One signed-in applicant; every request is kept with its times and outcome."""

    def __init__(self, base: str, seed: dict, submission_id: int, number: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.session = Session(base, seed["users"]["applicant"], seed["password"])
        self.submission_id, self.number, self.stop = submission_id, number, stop
        self.calls: list[Call] = []

    def request(self, path: str, data: dict | None = None) -> Call:
        result = call(self.session, path, data)
        self.calls.append(result)
        return result


class Saver(Browser):
    """Autosaves answer A1b of its own draft in a loop, as the section page does while someone types."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        # (value, outcome) in the order sent: "saved" (confirmed), "refused" (409: certainly not saved) or
        # "unsure" (cut off or 5xx: it may or may not have been committed).
        self.history: list[tuple[str, str]] = []
        self.csrf = self.base = None
        self.odd_pages: list[str] = []

    def load(self) -> bool:
        page = self.request(f"/applications/{self.submission_id}/sections/A")
        if page.status != 200:
            return False
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.body)
        base = re.search(r'name="__base__A1b" value="([^"]*)"', page.body)
        if not (csrf and base):
            title = re.search(r"<title>(.*?)</title>", page.body, re.S)
            self.odd_pages.append(f"{page.url} ({title.group(1).strip() if title else page.body[:80]!r})")
            return False
        self.csrf, self.base = csrf.group(1), base.group(1)
        return True

    def run(self) -> None:
        sequence = 0
        fresh = False
        while not self.stop.is_set():
            if not fresh:
                fresh = self.load()
                if not fresh:
                    time.sleep(0.2)
                    continue
            sequence += 1
            value = f"Provenance note {self.number}-{sequence}: the DFT training set is deposited in NOMAD."
            result = self.request(f"/applications/{self.submission_id}/sections/A/autosave",
                                  {"csrf_token": self.csrf, "A1b": value, "__base__A1b": self.base})
            answer = _json(result.body)
            if result.status == 200 and answer.get("status") == "saved" and "A1b" in answer.get("saved", []):
                self.history.append((value, "saved"))
                self.base = answer["bases"]["A1b"]
            elif result.status == 409:
                self.history.append((value, "refused"))
                fresh = False
            else:
                self.history.append((value, "unsure"))
                fresh = False
                # A browser's autosave backs off after an error rather than hammering a failing server.
                time.sleep(0.2)
            time.sleep(0.02)


class Reader(Browser):
    """Reads the dashboard and a section page in a loop."""

    def run(self) -> None:
        while not self.stop.is_set():
            for path in ("/", f"/applications/{self.submission_id}/sections/B"):
                if self.request(path).status != 200:
                    time.sleep(0.2)
            time.sleep(0.05)


def _json(body: str) -> dict:
    try:
        answer = json.loads(body)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


# ---------------------------------------------------------------- checks


class Run:
    """The private cluster, the app for checks and enqueuing, and the figures and failures collected."""

    def __init__(self, cluster: Cluster, work: Path, seed: dict, env: dict) -> None:
        from app import create_app

        self.cluster, self.work, self.seed, self.env = cluster, work, seed, env
        self.app = create_app()
        # From the database rather than the seed file's list, which also names the one application it then
        # puts in review.
        self.drafts = [row[0] for row in self.sql(
            "SELECT id FROM submission WHERE state = 'draft' AND owner_id = :owner ORDER BY id",
            owner=seed["ids"]["applicant"])]
        self.failures: list[str] = []
        self.figures: dict[str, list[str]] = {}

    def check(self, scenario: str, ok: bool, message: str) -> None:
        self.figures.setdefault(scenario, []).append(("" if ok else "FAILED: ") + message)
        log(f"  {'ok ' if ok else 'FAILED'} {message}")
        if not ok:
            self.failures.append(f"{scenario}: {message}")

    def note(self, scenario: str, message: str) -> None:
        self.figures.setdefault(scenario, []).append(message)
        log(f"  -- {message}")

    def sql(self, statement: str, **params):
        from sqlalchemy import text

        from app.extensions import db

        with self.app.app_context():
            rows = db.session.execute(text(statement), params).all()
            db.session.rollback()
            return rows

    def audit_head(self) -> int:
        return self.sql("SELECT COALESCE(MAX(id), 0) FROM audit_event")[0][0]

    def answers(self, ids: list[int]) -> dict[int, tuple]:
        rows = self.sql("SELECT submission_id, value, version FROM answer WHERE question_id = 'A1b' "
                        "AND submission_id = ANY(:ids)", ids=ids)
        return {sid: (value, version) for sid, value, version in rows}

    def check_saves(self, scenario: str, savers: list[Saver], before: dict, head: int) -> None:
        after = self.answers([s.submission_id for s in savers])
        events = dict(self.sql("SELECT submission_id, COUNT(*) FROM audit_event WHERE id > :head "
                               "AND action = 'answers.saved' GROUP BY submission_id", head=head))
        confirmed = unsure = landed = 0
        lost, uneven = [], []
        for saver in savers:
            history = saver.history
            saved = [i for i, (_, outcome) in enumerate(history) if outcome == "saved"]
            confirmed += len(saved)
            unsure += sum(1 for _, outcome in history if outcome == "unsure")
            start = saved[-1] if saved else -1
            acceptable = {history[start][0]} if saved else {before[saver.submission_id][0]}
            later = {value for value, outcome in history[start + 1:] if outcome == "unsure"}
            value, version = after[saver.submission_id]
            if value not in acceptable | later:
                lost.append(saver.submission_id)
            elif value in later:
                landed += 1
            moved = version - before[saver.submission_id][1]
            written = events.get(saver.submission_id, 0)
            possible = len(saved) + sum(1 for _, outcome in history if outcome == "unsure")
            if moved != written or not len(saved) <= written <= possible:
                uneven.append(f"{saver.submission_id}: version +{moved}, {written} events, {len(saved)} confirmed")
        self.note(scenario, f"autosaves confirmed: {confirmed}; cut off or 5xx, so the browser cannot know whether "
                            f"they were saved: {unsure} (found as the answer's final value: {landed})")
        self.check(scenario, not lost, f"confirmed answers lost: {len(lost)}" + (f" ({lost})" if lost else ""))
        odd = [page for saver in savers for page in saver.odd_pages]
        self.check(scenario, not odd, f"section pages answered 200 without the section's form: {len(odd)}"
                   + (f" (first: {odd[0]})" if odd else ""))
        self.check(scenario, not uneven, "answer versions and `answers.saved` events agree for every answer "
                                         f"({sum(events.values())} events)" + (f": {uneven}" if uneven else ""))

    def check_no_open_transactions(self, scenario: str) -> None:
        # A process killed mid-transaction must leave no transaction (or the audit chain's lock) behind.
        time.sleep(1)
        rows = self.sql("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = :name AND state LIKE 'idle in "
                        "transaction%' AND pid <> pg_backend_pid()", name=DATABASE)
        locks = self.sql("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'")
        self.check(scenario, rows[0][0] == 0 and locks[0][0] == 0,
                   f"transactions left open: {rows[0][0]}; advisory locks held: {locks[0][0]}")

    def check_audit(self, scenario: str) -> None:
        result = subprocess.run([BIN / "flask", "--app", "wsgi", "audit", "verify"], cwd=ROOT, env=self.env,
                                capture_output=True, text=True)
        last = (result.stdout or result.stderr).strip().splitlines()[-1]
        self.check(scenario, result.returncode == 0, f"`flask audit verify`: {last}")


def start_browsers(kind, base: str, run: Run, count: int, stop: threading.Event, offset: int = 0) -> list:
    drafts = run.drafts
    browsers = [kind(base, run.seed, drafts[offset + n], offset + n + 1, stop) for n in range(count)]
    for browser in browsers:
        browser.start()
    return browsers


def stop_browsers(browsers: list, stop: threading.Event) -> None:
    stop.set()
    for browser in browsers:
        browser.join(timeout=30)


# ---------------------------------------------------------------- A: gunicorn workers killed mid-save


def scenario_a(run: Run, server: Process, base: str, kills: int = 10, every: float = 2.0) -> None:
    log("\nA: kill -9 a gunicorn worker every 2 s while six applicants autosave")
    savers_ids = run.drafts[:SAVERS]
    before, head = run.answers(savers_ids), run.audit_head()
    stop = threading.Event()
    savers = start_browsers(Saver, base, run, SAVERS, stop)
    time.sleep(2)
    killed = 0
    for _ in range(kills):
        workers = [pid for pid, _ in server.children()]
        if workers and _kill(random.choice(workers)):
            killed += 1
        time.sleep(every)
    last_kill = time.time()
    time.sleep(4)
    stop_browsers(savers, stop)
    calls = [c for s in savers for c in s.calls]
    after_last = sum(1 for c in calls if c.kind == "save" and c.started > last_kill and c.status == 200)
    cut = sum(1 for c in calls if c.status == 0)
    log(f"  {killed} workers killed; {len(calls)} requests, {cut} cut off by a kill")
    run.note("A", f"gunicorn workers killed with SIGKILL: {killed} (every {every:.0f} s); requests: {len(calls)}, "
                  f"cut off by a kill: {cut}, 5xx: {sum(1 for c in calls if c.status >= 500)}")
    run.check_saves("A", savers, before, head)
    run.check("A", after_last > 0 and len(server.children()) == WORKERS,
              f"gunicorn replaced every killed worker ({WORKERS} running) and confirmed {after_last} saves after the "
              "last kill")
    run.check_no_open_transactions("A")
    run.check_audit("A")


# ---------------------------------------------------------------- B: the RQ worker killed mid-render


def _request_jobs(run: Run, pairs) -> list[int]:
    from app.documents import services

    with run.app.app_context():
        return [services.request_assessment(sid, number, "decision", None).id for sid, number in pairs]


def _job_states(run: Run) -> dict[int, tuple[str, int]]:
    from app.documents.models import RenderJob
    from app.extensions import db

    with run.app.app_context():
        rows = db.session.execute(db.select(RenderJob.id, RenderJob.status, RenderJob.attempts)).all()
        db.session.rollback()
    return {job_id: (status, attempts) for job_id, status, attempts in rows}


def _wait_running(run: Run, job_ids: set[int], deadline: float) -> tuple[int, int] | None:
    while time.time() < deadline:
        for job_id, (status, attempts) in _job_states(run).items():
            if job_id in job_ids and status == "running":
                return job_id, attempts
        time.sleep(0.03)
    return None


def _wait_done(run: Run, job_ids: list[int], deadline: float) -> dict[int, float]:
    done: dict[int, float] = {}
    while time.time() < deadline and len(done) < len(job_ids):
        for job_id, (status, _) in _job_states(run).items():
            if job_id in job_ids and status == "done" and job_id not in done:
                done[job_id] = time.time()
        time.sleep(0.2)
    return done


def _kill_horses(run: Run, worker: Process, first: list[int]) -> int:
    """B1: the work-horse dies; RQ sees it and retries. The first job's horse is killed on each of RQ's
    four attempts, so RQ gives it up and only the app's sweep of stale jobs can finish it. Returns the kills."""
    from app.documents import services

    plan = {(first[0], attempt) for attempt in range(1, 1 + 1 + services.RQ_RETRIES)}
    plan |= {(first[1], 1), (first[2], 1)}
    horse_kills = 0
    deadline = time.time() + 120
    while plan and time.time() < deadline:
        now = _job_states(run)
        # A planned kill that came too late (the attempt finished first) is dropped, not waited for.
        plan = {(job, n) for job, n in plan if now[job][0] != "done" and now[job][1] <= n}
        target = next(((job, n) for job, (status, n) in now.items() if status == "running" and (job, n) in plan),
                      None)
        if target is None:
            time.sleep(0.03)
            continue
        time.sleep(random.uniform(0.05, 0.4))
        horses = [pid for pid, group in worker.children() if pid == group]
        if horses and _job_states(run)[target[0]] == ("running", target[1]) and _kill(horses[0]):
            horse_kills += 1
        plan.discard(target)
    return horse_kills


def _kill_worker(run: Run, worker: Process, command: list, worker_env: dict, second: list[int],
                 workers: list[Process]) -> None:
    """B2: the whole worker dies (as when its machine or container goes) in the middle of a render; a fresh
    worker, added to `workers`, takes over."""
    target = _wait_running(run, set(second), time.time() + 60)
    time.sleep(random.uniform(0.05, 0.4))
    killed_at = time.time()
    worker.kill_all()
    was = _job_states(run)[target[0]] if target else None
    workers.append(Process(command, worker_env, run.work / "worker-2.log"))
    done2 = _wait_done(run, second, time.time() + 200)
    waited = done2.get(target[0], time.time()) - killed_at if target else 0
    log(f"  B2: worker killed while job {target and target[0]} was {was}; {len(done2)} of {len(second)} done; "
        f"the abandoned job was done {waited:.0f} s after the kill")
    run.note("B", f"whole worker killed mid-render (main process, work-horse, scheduler); a fresh worker "
                  f"finished the abandoned job {waited:.0f} s after the kill")


def scenario_b(run: Run, worker_env: dict) -> None:
    from redis import Redis

    from app.documents import services

    log("\nB: kill -9 the RQ work-horse, then the whole worker, in the middle of rendering")
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    subprocess.run([BIN / "flask", "--app", "wsgi", "dev-certs"], cwd=ROOT, env=worker_env, check=True,
                   stdout=subprocess.DEVNULL)
    decided = run.sql("SELECT submission_id, round_number FROM decision WHERE outcome IN "
                      "('approved', 'approved_with_conditions', 'rejected') ORDER BY submission_id LIMIT 7")
    head = run.audit_head()

    command = [BIN / "flask", "--app", "wsgi", "worker"]
    worker = Process(command, worker_env, run.work / "worker.log")
    workers = [worker]
    try:
        first = _request_jobs(run, decided[:4])
        horse_kills = _kill_horses(run, worker, first)
        done = _wait_done(run, first, time.time() + 120)
        log(f"  B1: {horse_kills} work-horses killed mid-render; {len(done)} of {len(first)} jobs done")
        run.note("B", f"work-horses killed mid-render: {horse_kills} (one job on all {1 + services.RQ_RETRIES} "
                      f"of RQ's attempts); jobs done afterwards: {len(done)} of {len(first)}")
        second = _request_jobs(run, decided[4:7])
        _kill_worker(run, worker, command, worker_env, second, workers)
    finally:
        for process in workers:
            process.stop()
    check_documents(run, first + second, head)
    redis.flushdb()


def check_documents(run: Run, job_ids: list[int], head: int) -> None:
    from app.core.storage import get_storage

    jobs = run.sql("SELECT id, status, attempts, document_id, document_uid, submission_id, round_number FROM "
                   "render_job WHERE id = ANY(:ids)", ids=job_ids)
    run.check("B", all(status == "done" for _, status, *_ in jobs),
              f"render jobs done: {sum(1 for _, s, *_ in jobs if s == 'done')} of {len(job_ids)}")
    retried = sum(1 for _, _, attempts, *_ in jobs if attempts > 1)
    sweeps = run.sql("SELECT COUNT(*) FROM audit_event WHERE id > :head AND action = 'document.retry_requested' "
                     "AND data->>'swept' = 'true'", head=head)[0][0]
    run.note("B", f"jobs that needed more than one attempt: {retried}; attempts in all: "
                  f"{sum(a for _, _, a, *_ in jobs)}; re-enqueued by the worker's sweep of stale jobs: {sweeps}")
    documents = run.sql("SELECT d.id, d.uid, d.sha256, d.storage_key, d.submission_id, d.round_number, "
                        "(SELECT COUNT(*) FROM audit_event e WHERE e.action = 'document.created' "
                        " AND e.object_id = CAST(d.id AS VARCHAR)) FROM document d "
                        "WHERE d.submission_id = ANY(:ids)", ids=[j[5] for j in jobs])
    by_uid = {uid: (doc_id, sha, key, events) for doc_id, uid, sha, key, _, _, events in documents}
    one_each = len(documents) == len(jobs) and all(
        uid in by_uid and by_uid[uid][0] == document_id and by_uid[uid][3] == 1
        for _, _, _, document_id, uid, _, _ in jobs)
    run.check("B", one_each, f"exactly one Document and one `document.created` event per job "
                             f"({len(documents)} documents for {len(jobs)} jobs)")
    with run.app.app_context():
        storage = get_storage()
        matching = sum(1 for _, sha, key, _ in by_uid.values() if hashlib.sha256(storage.get(key)).hexdigest() == sha)
    run.check("B", matching == len(by_uid), f"archived PDFs whose sha256 matches the database: {matching} of "
                                            f"{len(by_uid)}")
    stored = [p.stem for p in Path(run.app.config["ARCHIVE_DIR"]).rglob("*.pdf")]
    partial = list(Path(run.app.config["ARCHIVE_DIR"]).rglob(".incoming-*"))
    orphans = [stem for stem in stored if stem not in {sha for _, sha, _, _ in by_uid.values()}]
    run.note("B", f"PDFs archived by an attempt killed before its commit (referenced by no document, never "
                  f"served): {len(orphans)}; partly written files left: {len(partial)}")
    run.check_no_open_transactions("B")
    run.check_audit("B")


# ---------------------------------------------------------------- C: PostgreSQL restarted under load


def scenario_c(run: Run, base: str, settle: float = 4.0) -> None:
    log("\nC: restart PostgreSQL (fast, then immediate) while six applicants autosave and two read pages")
    savers_ids = run.drafts[:SAVERS]
    before, head = run.answers(savers_ids), run.audit_head()
    stop = threading.Event()
    savers = start_browsers(Saver, base, run, SAVERS, stop)
    readers = start_browsers(Reader, base, run, 2, stop, offset=SAVERS)
    browsers = savers + readers
    time.sleep(settle)
    windows = []
    for mode in ("fast", "immediate"):
        began = time.time()
        run.cluster.restart(mode)
        back = time.time()
        recovered = None
        while time.time() < back + 60 and recovered is None:
            time.sleep(0.1)
            later = [c.ended for b in browsers for c in list(b.calls) if c.started >= back and 200 <= c.status < 300]
            recovered = min(later) if later else None
        windows.append((began, back))
        if recovered is None:
            run.check("C", False, f"pg_ctl restart -m {mode}: no request succeeded within 60 s")
        else:
            run.note("C", f"pg_ctl restart -m {mode}: PostgreSQL down {back - began:.1f} s; requests succeeded "
                          f"again {recovered - back:.2f} s after it was back ({recovered - began:.1f} s in all)")
        time.sleep(settle)
    stop_browsers(browsers, stop)
    calls = [c for b in browsers for c in b.calls]
    failed = [c for c in calls if c.status >= 500 or c.status == 0]
    outside = [c for c in failed if not any(c.ended >= began and c.started <= back + GRACE for began, back in windows)]
    answered = [c for c in failed if c.status]
    traces = [c for c in answered if "Traceback" in c.body or 'File "/' in c.body]
    bare = [c for c in answered if GUNICORN_500 in c.body]
    own = [c for c in answered if any(title in c.body for title in APP_ERROR_TITLES)]
    run.note("C", f"requests: {len(calls)}; 5xx: {sum(1 for c in failed if c.status)} "
                  f"(503: {sum(1 for c in failed if c.status == 503)}), no answer at all: "
                  f"{sum(1 for c in failed if not c.status)}")
    run.check("C", not outside, f"5xx or no answer outside the outages: {len(outside)}"
              + (f" (first at +{outside[0].started - windows[0][0]:.1f} s: {outside[0].status})" if outside else ""))
    run.check("C", not traces, f"error responses showing a stack trace: {len(traces)}")
    others = [c for c in answered if c not in own and c not in bare]
    run.check("C", len(own) == len(answered),
              f"error responses that are the app's own error page: {len(own)} of {len(answered)}"
              + (f"; gunicorn's bare 500 page (an exception escaped the app's error handler): {len(bare)}"
                 if bare else "") + (f"; other: {others[0].status} {others[0].body[:200]!r}" if others else ""))
    run.check_saves("C", savers, before, head)
    run.check_no_open_transactions("C")
    run.check_audit("C")


# ---------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=["A", "B", "C"], help="scenarios to run (default: all)")
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"),
                        help="Markdown file the figures are written to ('' to skip)")
    args = parser.parse_args()
    scenarios = args.only or ["A", "B", "C"]
    started = time.time()
    work = Path(tempfile.mkdtemp(prefix="crucible-faults-"))
    cluster = Cluster()
    server = None
    try:
        cluster.start()
        log(f"PostgreSQL 15 of the run's own on 127.0.0.1:{cluster.port} ({cluster.dir})")
        seed_file = work / "seed.json"
        subprocess.run([BIN / "python", ROOT / "bench" / "seed.py", "--database-url", cluster.url, "--applications",
                        "200", "--audit-events", "2000", "--out", seed_file], check=True, cwd=ROOT)
        seed = json.loads(seed_file.read_text())
        env = dict(os.environ, DATABASE_URL=cluster.url, SECRET_KEY="faults-run-only", INSTANCE_DIR=str(work),
                   ASSESSMENT_AUTO_RENDER="false", RATELIMIT_ENABLED="0", MAIL_SERVER="", CRUCIBLE_ENV="development")
        env.pop("REDIS_URL", None)
        for name in ("SIGNING_CERT", "SIGNING_KEY", "SIGNING_CHAIN", "SIGNING_TRUST_ROOTS", "ARCHIVE_DIR"):
            env.pop(name, None)
        worker_env = dict(env, REDIS_URL=REDIS_URL, RENDER_QUEUE=QUEUE, **WORKER_SETTINGS)
        os.environ.clear()
        os.environ.update(worker_env)
        run = Run(cluster, work, seed, env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        if "A" in scenarios or "C" in scenarios:
            server = Process([BIN / "gunicorn", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--log-level",
                              "warning", "wsgi:app"], env, work / "gunicorn.log")
            wait_for(port, "/login")
        if "A" in scenarios:
            scenario_a(run, server, base)
        if "B" in scenarios:
            scenario_b(run, worker_env)
        if "C" in scenarios:
            scenario_c(run, base)
    except BaseException:
        log(f"logs kept in {work}")
        raise
    finally:
        if server is not None:
            server.stop()
        cluster.remove()
    elapsed = time.time() - started
    log(f"\nfaults: {len(run.failures)} check(s) failed in {elapsed:.0f} s" + "".join(
        f"\n  {failure}" for failure in run.failures))
    if args.results:
        command = "make faults" if os.environ.get("MAKELEVEL") else " ".join(["bench/faults.py", *sys.argv[1:]])
        write_results(Path(args.results), run, command, elapsed)
    if run.failures:
        log(f"logs (gunicorn, workers) kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if run.failures else 0)


TITLES = {
    "A": "A. gunicorn workers killed (SIGKILL) mid-save",
    "B": "B. RQ worker killed (SIGKILL) mid-render",
    "C": "C. PostgreSQL restarted under load",
}


def write_results(path: Path, run: Run, command: str, elapsed: float) -> None:
    uname = platform.uname()
    lines = [f"## Faults — {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}", "",
             f"- Command: `{command}` ({elapsed:.0f} s; exit {1 if run.failures else 0})",
             f"- Machine: {uname.system} {uname.release} {uname.machine}, {os.cpu_count()} CPUs; a PostgreSQL 15 "
             f"cluster of the run's own (initdb in a temporary folder), gunicorn -w {WORKERS} (sync), 200 seeded "
             "applications, 2,000 audit events",
             "- Render worker settings, shortened from the defaults so the run takes minutes: " + ", ".join(
                 f"{name}={value}" for name, value in WORKER_SETTINGS.items())]
    for scenario, figures in run.figures.items():
        lines += ["", f"### {TITLES[scenario]}", ""] + [f"- {figure}" for figure in figures]
    section = "<!-- faults -->\n" + "\n".join(lines) + "\n<!-- /faults -->"
    existing = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(r"<!-- faults -->.*?<!-- /faults -->", re.S)
    if pattern.search(existing):
        existing = pattern.sub(lambda _: section, existing)
    else:
        existing = existing.rstrip() + "\n\n" + section + "\n"
    path.write_text(existing)
    log(f"written to {path}")


if __name__ == "__main__":
    main()
