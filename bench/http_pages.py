"""`make bench`: real pages under gunicorn on PostgreSQL, as 50 users feel them, against their budgets.

    .venv/bin/python bench/http_pages.py --applications 1000 --rounds 1              # quick
    .venv/bin/python bench/http_pages.py                                             # 10,000 applications
    .venv/bin/python bench/http_pages.py --applications 1000,100000 --rounds 1       # growth with the data

Seeds a database of its own (bench/seed.py; --skip-seed reuses it), starts gunicorn -w 5 -k gthread
--threads 4 on 127.0.0.1 with bench/floor_app.py (the real app plus floor routes and an X-SQL-Statements
header) behind nginx, as in production, signs in as the seeded users, warms every worker on each page (3 s
without think time), waits for the server to drain between measurements, and runs wrk -t2 -c50 -d10s
--latency on each page, each connection a simulated user waiting 0.5-1.5 s (--think-time) between requests,
in interleaved rounds with the page's floor (--rounds; medians). Prints per page p50/p95/p99 against the
budget (p95 <= 150 ms, p99 <= 400 ms: PASS/FAIL), CPU ms per request in the app and in PostgreSQL (from
/proc), SQL statements per request, and the ratio to the floor as a diagnosis without a target. With two sizes
it measures both and prints each page's cost ratio (budget 1.25x) and its statements at both. --floors gives
the earlier table: 16 connections without think time, each page against its floor and the signed-in floor.
Never asserts times. Writes the tables to bench/RESULTS.md (--results).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

LUA = r"""
local counter = 0
local paths = {%(paths)s}
local body_field = "%(field)s"
local think_ms = %(think)d
local thread_id = 0
local threads = {}
setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
init = function(args)
  thread_id = tonumber(wrk.thread:get("id")) or 0
  math.randomseed(os.time() + thread_id)
end
-- A person reads a page before asking for the next: each connection waits 0.5-1.5x the think time.
if think_ms > 0 then
  delay = function()
    return math.random(math.floor(think_ms / 2), math.floor(think_ms * 3 / 2))
  end
end
request = function()
  counter = counter + 1
  local path = paths[((counter * 2 + thread_id) %% #paths) + 1]
  if body_field ~= "" then
    local body = body_field .. "=" .. "Revised+description+of+the+training+data+and+its+provenance%%2C+edit+"
      .. thread_id .. "-" .. counter
    -- A headers table replaces wrk.headers (the -H cookie and CSRF token): copy them in.
    local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  local non2xx = 0
  io.write(string.format("RESULT {\"requests\": %%d, \"seconds\": %%f, \"p50\": %%f, \"p95\": %%f, "
    .. "\"p99\": %%f, \"status\": %%d, \"errors\": %%d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def log(message: str) -> None:
    print(message, flush=True)


class Session:
    """A signed-in browser: the session cookie and a CSRF token for wrk's headers."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        token = self.token("/login")
        data = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
        self.opener.open(base + "/login", data=data).read()
        self.csrf = self.token("/")

    def token(self, path: str) -> str:
        page = self.opener.open(self.base + path).read().decode()
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def run_wrk(base: str, paths: list[str], *, cookie: str | None, csrf: str | None, field: str, duration: str,
            threads: int, connections: int, workdir: Path, think_ms: int = 0) -> dict:
    script = workdir / f"wrk-{abs(hash((tuple(paths), field)))}.lua"
    script.write_text(LUA % {"paths": ", ".join(json.dumps(p) for p in paths), "field": field, "think": think_ms})
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency", "--timeout", "10s",
               "-s", str(script)]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if csrf:
        command += ["-H", f"X-CSRFToken: {csrf}"]
    command.append(base)
    output = subprocess.run(command, capture_output=True, text=True, timeout=600).stdout
    line = next((text for text in output.splitlines() if text.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    result = json.loads(line.removeprefix("RESULT "))
    result["rps"] = result["requests"] / result["seconds"] if result["seconds"] else 0.0
    return result


def wait_for(port: int, path: str, seconds: float = 60) -> None:
    """Wait until the server this run started on 127.0.0.1:`port` answers `path`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2).read()
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"http://127.0.0.1:{port}{path} did not answer within {seconds}s")


def _backends(database: str) -> set[int]:
    """PostgreSQL's processes serving the bench's database: other databases on the same server (other people's
    test suites) are not the page's cost."""
    output = subprocess.run(["psql", "-At", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-c",
                             "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                             "AND pid <> pg_backend_pid()"], capture_output=True, text=True).stdout
    return {int(line) for line in output.split() if line.strip().isdigit()}


def cpu_seconds(server_group: int, database: str) -> dict:
    """CPU time used so far by the server's processes (its process group) and, per process, by PostgreSQL's
    processes serving `database`, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    backends = _backends(database)
    used: dict = {"app": 0.0, "db": {}}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[2]) == server_group:
            used["app"] += seconds
        elif int(entry.name) in backends:
            used["db"][int(entry.name)] = seconds
    return used


def settle(base: str, seconds: float = 60) -> None:
    """Wait until the server answers the trivial route at once three times running: requests still queued from
    the last measurement would otherwise be charged to the next page."""
    deadline, quick = time.time() + seconds, 0
    while quick < 3 and time.time() < deadline:
        started = time.perf_counter()
        urllib.request.urlopen(base + "/_floor/trivial", timeout=seconds).read()  # noqa: S310 - the bench's own server
        quick = quick + 1 if time.perf_counter() - started < 0.02 else 0
        time.sleep(0.2)


def measure(base: str, paths: list[str], *, server_group: int, database: str, **options) -> dict:
    """run_wrk, plus the CPU milliseconds each request cost the app and the database."""
    settle(base)
    before = cpu_seconds(server_group, database)
    result = run_wrk(base, paths, **options)
    after = cpu_seconds(server_group, database)
    requests = max(result["requests"], 1)
    result["app_ms"] = 1000 * (after["app"] - before["app"]) / requests
    # A connection opened during the run counts from nothing; one closed during it is not counted.
    db_seconds = sum(seconds - before["db"].get(pid, 0.0) for pid, seconds in after["db"].items())
    result["db_ms"] = 1000 * db_seconds / requests
    return result


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    postgres = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    return (f"{cpu}, {os.cpu_count()} CPUs{memory}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; {postgres}; {' '.join(wrk)}")


P95_BUDGET_MS, P99_BUDGET_MS, GROWTH_BUDGET = 150.0, 400.0, 1.25



# Requests per path when counting its statements: the fewest of these is the page's own count. A worker's first
# request that needs a released questionnaire version also reads what it keeps of it (3 statements, once per
# process), and which worker answers a probe is up to gunicorn.
PROBES = 3


def _probe(port: int, paths: list[str], session, field: str) -> list[int]:
    """GET each path (not a form's POST path); returns the SQL statements each real page runs once its worker
    is warm (bench/floor_app.py's X-SQL-Statements header, the fewest of PROBES requests) and reports any path
    that did not answer."""
    statements = []
    for path in paths:
        if field:
            continue
        counts = []
        for _ in range(PROBES):
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": session.cookie()})
            try:
                with session.opener.open(request, timeout=60) as response:
                    response.read()
                    counts.append(int(response.headers.get("X-SQL-Statements", "0")))
            except urllib.error.HTTPError as error:
                log(f"warning: {path} answered {error.code}")
                break
        if counts and not path.startswith("/_floor/"):
            statements.append(min(counts))
    return statements

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/crucible_bench",
                        help="with several --applications sizes, each size gets a database of its own: this "
                             "name followed by _<size>")
    parser.add_argument("--applications", default="10000",
                        help="applications to seed; two sizes (1000,100000) measure how each page grows")
    parser.add_argument("--audit-events", type=int, default=100_000)
    parser.add_argument("--skip-seed", action="store_true", help="reuse the database(s) and their seed files")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--worker-class", default="gthread", help="gunicorn's, as in the README's production command")
    parser.add_argument("--server-threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=None,
                        help="simulated users (wrk connections): 50 by default, 16 with --floors")
    parser.add_argument("--duration", default=None, help="of each measurement: 10s by default, 5s with --floors")
    parser.add_argument("--think-time", type=int, default=None,
                        help="ms each simulated user waits between requests (0.5-1.5x this): 1000 by default, "
                             "0 with --floors (as many requests as the server answers)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of each page and its floors; the table gives medians")
    parser.add_argument("--floors", action="store_true",
                        help="the earlier table: each page against its floor and the signed-in floor, 16 users")
    parser.add_argument("--only", nargs="*", help="page names to measure (default: all)")
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"),
                        help="Markdown file the table is written to ('' to skip)")
    args = parser.parse_args()
    args.connections = args.connections or (16 if args.floors else 50)
    args.duration = args.duration or ("5s" if args.floors else "10s")
    args.think_time = (0 if args.floors else 1000) if args.think_time is None else args.think_time
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: scripts/system-packages.sh bench (or apt-get install -y wrk)")
    sizes = [int(size.replace("_", "")) for size in str(args.applications).split(",") if size.strip()]
    command = "make bench" if os.environ.get("MAKELEVEL") else " ".join(["bench/http_pages.py", *sys.argv[1:]])
    if len(sizes) == 1:
        measured = run_size(args, args.database_url, sizes[0], ROOT / "bench" / ".seed.json")
        if args.floors:
            table = render_table(measured["rows"], measured["ceiling"])
        else:
            table = render_budget_table(measured["rows"], measured["ceiling"])
        print()
        print(table)
        if args.results:
            write_results(Path(args.results), table, measured, command, args)
        return
    by_size = {}
    for size in sizes:
        log(f"---- {size:,} applications")
        by_size[size] = run_size(args, f"{args.database_url}_{size}", size, ROOT / "bench" / f".seed-{size}.json")
    tables = [f"### {size:,} applications\n\n{render_budget_table(m['rows'], m['ceiling'])}"
              for size, m in by_size.items()]
    small, large = sizes[0], sizes[-1]
    growth = render_growth_table(by_size[small], by_size[large], small, large)
    print()
    print("\n\n".join([*tables, growth]))
    if args.results:
        write_growth_results(Path(args.results), tables, growth, by_size, command, args)


NGINX = """
daemon off;
worker_processes 1;
pid %(dir)s/nginx.pid;
error_log %(dir)s/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %(dir)s/nginx-body;
  proxy_temp_path %(dir)s/nginx-proxy;
  fastcgi_temp_path %(dir)s/nginx-fastcgi;
  uwsgi_temp_path %(dir)s/nginx-uwsgi;
  scgi_temp_path %(dir)s/nginx-scgi;
  upstream crucible { server 127.0.0.1:%(upstream)d; keepalive 32; }
  server {
    listen 127.0.0.1:%(port)d;
    keepalive_timeout 30s;
    location / {
      proxy_pass http://crucible;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
    }
  }
}
"""


def start_proxy(workdir: Path, port: int, upstream: int) -> subprocess.Popen:
    """nginx in front of gunicorn, as in production: it holds the simulated users' open connections while they
    think and hands gunicorn whole requests. Without it wrk, which connects and then waits the think time
    before writing its first request, would hold a gunicorn thread per waiting connection and measure that."""
    config = workdir / "nginx.conf"
    config.write_text(NGINX % {"dir": workdir, "port": port, "upstream": upstream})
    return subprocess.Popen(["/usr/sbin/nginx", "-c", str(config), "-p", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_size(args, database_url: str, applications: int, seed_file: Path) -> dict:
    """Seed (unless --skip-seed), start gunicorn on the database, measure every page, stop it."""
    seed_seconds = None
    if not args.skip_seed:
        started = time.perf_counter()
        subprocess.run([PYTHON, str(ROOT / "bench" / "seed.py"), "--database-url", database_url,
                        "--applications", str(applications), "--audit-events", str(args.audit_events),
                        "--out", str(seed_file)], check=True, cwd=ROOT)
        seed_seconds = time.perf_counter() - started
        log(f"seeded {applications:,} applications in {seed_seconds:.0f} s")
    seed = json.loads(seed_file.read_text())
    instance = Path(tempfile.mkdtemp(prefix="crucible-bench-"))
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret-not-for-production",
           "INSTANCE_DIR": str(instance), "RATELIMIT_ENABLED": "0", "REDIS_URL": "", "MAIL_SERVER": "",
           "CRUCIBLE_ENV": "development"}
    # The server has its own copy of the log's descriptor: this process's is closed once the server is started.
    with open(instance / "gunicorn.log", "w") as server_log:
        gunicorn = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-w", str(args.workers), "-k", args.worker_class,
             "--threads", str(args.server_threads), "-b", f"127.0.0.1:{args.port + 1}", "--log-level", "warning",
             "bench.floor_app:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=server_log, start_new_session=True)
    proxy = start_proxy(instance, args.port, args.port + 1)
    try:
        wait_for(args.port, "/_floor/trivial")
        rows, ceiling = measure_pages(args, seed, gunicorn.pid, instance, database_url.rsplit("/", 1)[1])
    finally:
        proxy.terminate()
        os.killpg(gunicorn.pid, signal.SIGTERM)
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(gunicorn.pid, signal.SIGKILL)
        proxy.wait(timeout=30)
    if "Traceback" in (instance / "gunicorn.log").read_text():
        print("gunicorn logged errors; see", instance / "gunicorn.log")
    return {"rows": rows, "ceiling": ceiling, "seed": seed, "seed_seconds": seed_seconds}


def measure_pages(args, seed: dict, server_group: int, workdir: Path, database: str) -> tuple[list, dict]:
    base = f"http://127.0.0.1:{args.port}"
    password = seed["password"]
    applicant = Session(base, seed["users"]["applicant"], password)
    reviewer = Session(base, seed["users"]["reviewer"], password)
    chair = Session(base, seed["users"]["chair"], password)
    coordinator = Session(base, seed["users"]["coordinator"], password)
    drafts = seed.get("draft_submissions") or [seed["draft_submission"]]
    review_id = seed["review_submission"]
    # Each page: (name, real paths, floor paths, session, form field for POSTs)
    pages = [
        ("section page", [f"/applications/{s}/sections/B" for s in drafts],
         [f"/_floor/section/{s}/B" for s in drafts], applicant, ""),
        ("save (autosave)", [f"/applications/{s}/sections/A/autosave" for s in drafts],
         [f"/_floor/save/{s}/A" for s in drafts], applicant, "A1b"),
        ("coordinator queue", ["/review/queue"], ["/_floor/queue"], coordinator, ""),
        ("reviewer's page", [f"/review/applications/{review_id}"], [f"/_floor/review/{review_id}"], reviewer, ""),
        ("reports (footprint)", ["/reports/footprint"], ["/_floor/reports"], coordinator, ""),
    ]
    if not args.floors:
        # The other long lists, sorted and filtered as their users do; they have no floor route.
        pages += [
            ("queue, filtered and sorted", ["/review/queue?state=in_review&sort=due&dir=desc",
                                            "/review/queue?tier=Low&sort=tier", "/review/queue?sort=title&page=3",
                                            "/review/queue?search=catalyst"], [], coordinator, ""),
            ("archive search", ["/archive", "/archive?outcome=approved", "/archive?title=zeolite",
                                "/archive?date_from=2025-01-01&date_to=2025-12-31"], [], coordinator, ""),
            ("chair's list", ["/review/chair"], [], chair, ""),
            ("reviewer's list", ["/review/mine", "/review/mine?show=todo&sort=title"], [], reviewer, ""),
            ("my applications", ["/"], [], applicant, ""),
        ]
    if args.only:
        pages = [p for p in pages if p[0] in args.only]
    common = dict(duration=args.duration, threads=args.threads, connections=args.connections, workdir=workdir,
                  server_group=server_group, database=database, think_ms=args.think_time)
    ceiling = measure(base, ["/_floor/trivial"], cookie=None, csrf=None, field="", **common)
    log(f"ceiling (trivial route): {ceiling['rps']:.0f} req/s")
    rows = []
    for name, real_paths, floor_paths, session, field in pages:
        # One request of each first: a page that does not answer is reported before it is measured.
        _probe(args.port, [*real_paths, *floor_paths[:1]], session, field)
        signed_in = dict(cookie=session.cookie(), csrf=session.csrf if field else None, field=field)
        # One request warms one worker: a short run without think time reaches every worker's templates and
        # connections, so the measurement sees pages as they are served all day, not each worker's first one.
        warm = {**common, "duration": "3s", "connections": args.workers * args.server_threads, "think_ms": 0}
        measure(base, real_paths, **signed_in, **warm)
        if floor_paths:
            measure(base, floor_paths, cookie=None, csrf=None, field=field, **warm)
        # Counted once the workers are warm: a worker's first request also reads what it keeps per released
        # questionnaire version, which no later request repeats.
        statements = _probe(args.port, real_paths, session, field)
        audited_paths = [p.replace("/_floor/save/", "/_floor/save_audited/") for p in floor_paths]
        runs = []
        # Interleaved rounds, each ratio taken within its round: this machine's speed drifts by more than
        # the differences measured, and a page and its floor measured minutes apart would compare the drift.
        for _ in range(args.rounds):
            floor = measure(base, floor_paths, cookie=None, csrf=None, field=field, **common) if floor_paths else None
            real = measure(base, real_paths, **signed_in, **common)
            references = []
            if args.floors:
                # The same floor for a signed-in user: what checking the session alone costs (see the notes).
                references.append(("floor, signed in", measure(base, floor_paths, **signed_in, **common)))
                if field:
                    references.append(("floor with its audit event, signed in",
                                       measure(base, audited_paths, **signed_in, **common)))
            runs.append((real, floor, references))
        real, floor, references = combine(runs)
        real["statements"] = "/".join(map(str, sorted(set(statements)))) or "—"
        rows.append((name, real, floor, references))
        log(f"{name}: {real['rps']:.0f} req/s, p50 {real['p50']:.1f} ms, p95 {real['p95']:.1f} ms, "
            f"p99 {real['p99']:.1f} ms, app {real['app_ms']:.1f} ms + db {real['db_ms']:.1f} ms per request, "
            f"SQL statements {real['statements']}, non-2xx {real['status']}, "
            f"socket errors {real['errors']}" + (f" (floor {floor['rps']:.0f} req/s, ratio {real['ratio']:.2f}x)"
                                                  if floor else ""))
    return rows, ceiling


def combine(runs: list[tuple[dict, dict, list]]) -> tuple[dict, dict, list]:
    """The median of each figure over the rounds; ratios are medians of each round's own ratio."""
    def median_of(results: list[dict]) -> dict:
        merged = {key: statistics.median(r[key] for r in results)
                  for key in ("rps", "p50", "p95", "p99", "app_ms", "db_ms")}
        merged.update(requests=sum(r["requests"] for r in results), status=sum(r["status"] for r in results),
                      errors=sum(r["errors"] for r in results))
        return merged

    real = median_of([run[0] for run in runs])
    if runs[0][1] is None:
        real["ratios"], real["ratio"] = [], None
        return real, None, []
    floor = median_of([run[1] for run in runs])
    real["ratios"] = [run[0]["rps"] / run[1]["rps"] if run[1]["rps"] else 0 for run in runs]
    real["ratio"] = statistics.median(real["ratios"])
    references = []
    for index, (label, _) in enumerate(runs[0][2]):
        reference = median_of([run[2][index][1] for run in runs])
        reference["page_ratio"] = statistics.median(
            run[0]["rps"] / run[2][index][1]["rps"] if run[2][index][1]["rps"] else 0 for run in runs)
        references.append((label, reference))
    return real, floor, references


def render_table(rows, ceiling) -> str:
    lines = ["| page | req/s | p50 ms | p95 ms | p99 ms | p99/p50 | non-2xx | floor req/s | floor p50 ms | page/floor "
             "| target met |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, real, floor, _ in rows:
        ratio = real["ratio"]
        spread = real["p99"] / real["p50"] if real["p50"] else 0
        met = "yes" if ratio >= 0.5 and spread < 3 else ("no: throughput" if ratio < 0.5 else "no: p99")
        if ratio < 0.5 and spread >= 3:
            met = "no: both"
        # A few 409s are the optimistic lock doing its job when two connections save the same answer at once;
        # more than 1% (or any socket error) means the run measured refusals, not pages.
        if real["errors"] or real["status"] > 0.01 * max(real["requests"], 1):
            met = "INVALID: errors"
        lines.append(f"| {name} | {real['rps']:.0f} | {real['p50']:.1f} | {real['p95']:.1f} | {real['p99']:.1f} | "
                     f"{spread:.1f}x | {real['status']} | {floor['rps']:.0f} | {floor['p50']:.1f} | {ratio:.2f}x "
                     f"| {met} |")
    lines.append(f"| trivial route (ceiling) | {ceiling['rps']:.0f} | {ceiling['p50']:.1f} | {ceiling['p95']:.1f} | "
                 f"{ceiling['p99']:.1f} | {ceiling['p99'] / ceiling['p50'] if ceiling['p50'] else 0:.1f}x | "
                 f"{ceiling['status']} | | | | |")
    lines += ["", "Where the time goes: CPU milliseconds per request in the app's processes and in PostgreSQL's "
              "(the rest of the machine runs wrk), and the floor measured again with the page's signed-in session "
              "(and, for the save, with the audit event every change writes).", "",
              "| page | app ms | db ms | floor app ms | floor db ms | reference | reference req/s | page/reference |",
              "|---|---:|---:|---:|---:|---|---:|---:|"]
    for name, real, floor, references in rows:
        for index, (label, reference) in enumerate(references):
            head = (f"| {name} | {real['app_ms']:.2f} | {real['db_ms']:.2f} | {floor['app_ms']:.2f} | "
                    f"{floor['db_ms']:.2f} |" if index == 0 else "| | | | | |")
            ratio = reference["page_ratio"]
            lines.append(f"{head} {label} | {reference['rps']:.0f} | {ratio:.2f}x |")
    return "\n".join(lines)


def _data_line(measured: dict) -> str:
    counts = ", ".join(f"{v:,} {k}" for k, v in measured["seed"].get("counts", {}).items())
    seeded = measured["seed_seconds"]
    return f"- Data: {counts}" + (f" (seeded in {seeded:.0f} s)" if seeded else "") + "\n"


def _header(title: str, command: str, args) -> str:
    load = (f"{args.rounds} interleaved rounds of each page and its floor, medians (a ratio: the median of each "
            f"round's own)")
    return (
        f"## {title} — {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}\n\n"
        f"- Command: `{command}`\n"
        f"- Machine: {machine()}; load average before the run {os.getloadavg()[0]:.2f}\n"
        f"- Server: nginx in front of gunicorn -w {args.workers} -k {args.worker_class} "
        f"--threads {args.server_threads} on 127.0.0.1, PostgreSQL on 127.0.0.1; "
        f"load: {args.connections} simulated users (wrk -t{args.threads} -c{args.connections} -d{args.duration} "
        f"--latency, each waiting {args.think_time // 2}-{args.think_time * 3 // 2} ms between requests), {load}\n"
    )


def _verdict(real: dict) -> str:
    # A few 409s are the optimistic lock doing its job when two connections save the same answer at once;
    # more than 1% (or any socket error) means the run measured refusals, not pages.
    if real["errors"] or real["status"] > 0.01 * max(real["requests"], 1):
        return "INVALID: errors"
    failed = [label for label, ok in (("p95", real["p95"] <= P95_BUDGET_MS), ("p99", real["p99"] <= P99_BUDGET_MS))
              if not ok]
    return "PASS" if not failed else "FAIL: " + ", ".join(failed)


def render_budget_table(rows, ceiling) -> str:
    lines = [f"| page | req/s | p50 ms | p95 ms (budget {P95_BUDGET_MS:.0f}) | p99 ms (budget {P99_BUDGET_MS:.0f}) | "
             "budget | app ms | db ms | SQL statements | non-2xx | page/floor (diagnosis) |",
             "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for name, real, floor, _ in rows:
        ratio = f"{real['ratio']:.2f}x" if floor else ""
        lines.append(f"| {name} | {real['rps']:.0f} | {real['p50']:.1f} | {real['p95']:.1f} | {real['p99']:.1f} | "
                     f"{_verdict(real)} | {real['app_ms']:.1f} | {real['db_ms']:.1f} | "
                     f"{real['statements']} | {real['status']} | {ratio} |")
    lines.append(f"| trivial route (ceiling) | {ceiling['rps']:.0f} | {ceiling['p50']:.1f} | {ceiling['p95']:.1f} | "
                 f"{ceiling['p99']:.1f} | | | | | {ceiling['status']} | |")
    lines += ["", "app ms, db ms: CPU milliseconds per request in the app's processes and in PostgreSQL's "
              "processes serving the bench's database. SQL statements: per request (the distinct counts over the "
              "page's paths). page/floor: requests/s against the page's floor route under the same load "
              "(bench/floor_app.py), a diagnosis without a target."]
    return "\n".join(lines)


def render_growth_table(small: dict, large: dict, small_size: int, large_size: int) -> str:
    """Each page at the large size against the small: its cost per request (app + database CPU ms, which
    the load on the machine moves least) and its p50 under the same load; the budget is on the cost."""
    lines = [f"| page | cost ms at {small_size:,} | cost ms at {large_size:,} | cost ratio (budget "
             f"{GROWTH_BUDGET}x) | p50 ms at {small_size:,} | p50 ms at {large_size:,} | p50 ratio | "
             f"SQL statements at {small_size:,} | at {large_size:,} | budget |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    large_rows = {name: real for name, real, _, _ in large["rows"]}
    for name, real, _, _ in small["rows"]:
        other = large_rows.get(name)
        if other is None:
            continue
        cost, other_cost = real["app_ms"] + real["db_ms"], other["app_ms"] + other["db_ms"]
        ratio = other_cost / cost if cost else 0
        p50_ratio = other["p50"] / real["p50"] if real["p50"] else 0
        same = real["statements"] == other["statements"]
        verdict = "PASS" if ratio <= GROWTH_BUDGET and same else "FAIL" + (": statements" if not same else "")
        lines.append(f"| {name} | {cost:.1f} | {other_cost:.1f} | {ratio:.2f}x | {real['p50']:.1f} | "
                     f"{other['p50']:.1f} | {p50_ratio:.2f}x | {real['statements']} | {other['statements']} | "
                     f"{verdict} |")
    return "\n".join(lines)


def write_results(path: Path, table: str, measured: dict, command: str, args) -> None:
    title = "HTTP pages against their floors" if args.floors else "HTTP pages against their budgets"
    section = _header(title, command, args) + _data_line(measured) + f"\n{table}\n"
    _write_section(path, "http-pages", section)


def write_growth_results(path: Path, tables: list[str], growth: str, by_size: dict, command: str, args) -> None:
    data = "".join(f"- {size:,} applications: " + _data_line(m).removeprefix("- ") for size, m in by_size.items())
    section = _header("HTTP pages as the data grows", command, args) + data + "\n" + "\n\n".join(
        [growth, *tables]) + "\n"
    _write_section(path, "http-growth", section)


def _write_section(path: Path, name: str, section: str) -> None:
    marker, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    existing = path.read_text() if path.exists() else "# Benchmark results\n"
    if marker in existing:
        head, _, rest = existing.partition(marker)
        tail = rest.split(end, 1)[1] if end in rest else ""
        existing = head + marker + "\n" + section + end + tail
    else:
        existing = existing.rstrip() + "\n\n" + marker + "\n" + section + end + "\n"
    path.write_text(existing)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
