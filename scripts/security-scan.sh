#!/usr/bin/env bash
# Bounded scans of a live Crucible on 127.0.0.1 with a throwaway database: wapiti (signed in) and sqlmap
# on the forms. Reports go to security-reports/ (git-ignored); the summary lists every finding, and the
# script fails if one is not in scripts/security-allowlist.txt (each entry is explained in SECURITY.md).
#
#   scripts/security-scan.sh                 # both scanners (about 25 minutes at most)
#   WAPITI_TIME=120 WAPITI_ATTACK_TIME=20 SQLMAP_TIME=300 scripts/security-scan.sh
#   SCANNERS=sqlmap scripts/security-scan.sh  # one scanner again; the other's last report is kept
#
# Bounds: wapiti crawls for at most WAPITI_TIME seconds, then runs each attack module for at most
# WAPITI_ATTACK_TIME seconds; sqlmap is stopped after SQLMAP_TIME seconds.
#
# Needs the Debian packages wapiti and sqlmap (`apt-get install -y wapiti sqlmap`). Nothing leaves this
# machine: the server listens on 127.0.0.1 only, wapiti's modules that call an outside endpoint (ssrf,
# xxe) and its bug reports are off, and sqlmap is not asked to update.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
GUNICORN="$ROOT/.venv/bin/gunicorn"
REPORTS="$ROOT/security-reports"
WAPITI_TIME="${WAPITI_TIME:-300}"
WAPITI_ATTACK_TIME="${WAPITI_ATTACK_TIME:-45}"
WAPITI_MODULES="blindsql,cookieflags,csp,exec,file,http_headers,permanentxss,redirect,sql,xss,methods,htaccess,shellshock"
SQLMAP_TIME="${SQLMAP_TIME:-900}"
SCANNERS="${SCANNERS:-wapiti sqlmap}"
SCAN_EMAIL="applicant@example.ac.uk"
SCAN_PASSWORD="demo-applicant-perovskite"

if ! command -v wapiti >/dev/null || ! command -v sqlmap >/dev/null || ! command -v curl >/dev/null; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wapiti sqlmap curl >/dev/null
  else
    echo "security-scan: needs wapiti, sqlmap and curl (apt-get install -y wapiti sqlmap curl)" >&2; exit 2
  fi
fi

WORK="$(mktemp -d)"
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$REPORTS"
rm -f "$REPORTS"/{setup,server,access}.log "$REPORTS/summary.txt"
[[ " $SCANNERS " == *" wapiti "* ]] && rm -f "$REPORTS"/wapiti.{json,log}
[[ " $SCANNERS " == *" sqlmap "* ]] && rm -rf "$REPORTS"/sqlmap "$REPORTS"/sqlmap.log "$REPORTS"/sqlmap-results.csv

# A throwaway instance: its own database, key and instance folder, deleted on exit.
export CRUCIBLE_ENV=development
export INSTANCE_DIR="$WORK/instance"
export DATABASE_URL="sqlite:///$WORK/scan.sqlite3"
export SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_hex(32))')"
export BASE_URL="$BASE"
export ASSESSMENT_AUTO_RENDER=0
unset REDIS_URL MAIL_SERVER
# The scanners send hundreds of sign-in forms on purpose; sign-in throttling (covered by
# tests/auth/test_throttling.py) would answer them 429 and hide the code behind the form from the scan.
export RATELIMIT_ENABLED=0
export LOGIN_FAILURES_PER_ACCOUNT=1000000
mkdir -p "$INSTANCE_DIR"

FLASK=("$ROOT/.venv/bin/flask" --app wsgi)
"${FLASK[@]}" db upgrade >"$REPORTS/setup.log" 2>&1
"${FLASK[@]}" seed-demo >>"$REPORTS/setup.log" 2>&1
# The scanning account reaches every role's pages (it cannot review its own applications, by design).
for role in reviewer chair coordinator security_officer admin; do
  "${FLASK[@]}" grant-role "$SCAN_EMAIL" "$role" >>"$REPORTS/setup.log" 2>&1
done

"$GUNICORN" --bind "127.0.0.1:$PORT" --workers 2 --timeout 60 --access-logfile "$REPORTS/access.log" \
  --error-logfile "$REPORTS/server.log" wsgi:app >>"$REPORTS/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "$BASE/login" 2>/dev/null && break
  sleep 0.2
done
curl -fsS -o /dev/null "$BASE/login" || { echo "security-scan: the server did not start" >&2; exit 1; }

# Sign in the way a browser does: the CSRF token from the sign-in page, then the form.
JAR="$WORK/cookies.txt"
token() { sed -n 's/.*name="csrf_token" type="hidden" value="\([^"]*\)".*/\1/p; s/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1; }
CSRF="$(curl -fsS -c "$JAR" -b "$JAR" "$BASE/login" | token)"
[[ -n "$CSRF" ]] || { echo "security-scan: no CSRF token on the sign-in page" >&2; exit 1; }
STATUS="$(curl -sS -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" \
  --data-urlencode "csrf_token=$CSRF" --data-urlencode "email=$SCAN_EMAIL" --data-urlencode "password=$SCAN_PASSWORD" \
  "$BASE/login")"
[[ "$STATUS" == "302" ]] || { echo "security-scan: sign-in failed ($STATUS)" >&2; exit 1; }
# Load a form once so the session holds its CSRF secret; every later page reuses it with this cookie.
curl -fsS -o /dev/null -c "$JAR" -b "$JAR" "$BASE/account"
SESSION="$(awk '$6 == "session" {print $7}' "$JAR" | tail -n1)"
[[ -n "$SESSION" ]] || { echo "security-scan: no session cookie" >&2; exit 1; }
COOKIE="session=$SESSION"
curl -fsS -o /dev/null -H "Cookie: $COOKIE" "$BASE/account" || { echo "security-scan: the session does not work" >&2; exit 1; }
echo "security-scan: server on $BASE, signed in as $SCAN_EMAIL"

# The routes that would end the scanner's own session.
EXCLUDES=(-x "$BASE/logout" -x "$BASE/account/sessions/*")

MODULE_COUNT="$(tr ',' '\n' <<<"$WAPITI_MODULES" | wc -l)"
WAPITI_LIMIT="$((WAPITI_TIME + MODULE_COUNT * WAPITI_ATTACK_TIME + 180))"
if [[ " $SCANNERS " == *" wapiti "* ]]; then
echo "security-scan: wapiti (crawl ${WAPITI_TIME}s, ${WAPITI_ATTACK_TIME}s per attack module, stopped after ${WAPITI_LIMIT}s)"
timeout --kill-after=30 "$WAPITI_LIMIT" /usr/bin/python3 "$ROOT/scripts/wapiti_compat.py" -u "$BASE/" --scope folder \
  -m "$WAPITI_MODULES" -H "Cookie: $COOKIE" "${EXCLUDES[@]}" \
  --max-scan-time "$WAPITI_TIME" --max-attack-time "$WAPITI_ATTACK_TIME" -t 20 --max-links-per-page 60 \
  --flush-session --store-session "$WORK/wapiti-session" --store-config "$WORK/wapiti-config" \
  --no-bugreport -v 1 -f json -o "$REPORTS/wapiti.json" >"$REPORTS/wapiti.log" 2>&1 || echo "security-scan: wapiti exited $?"
fi

if [[ " $SCANNERS " == *" sqlmap "* ]]; then
# wapiti may have changed the account's sessions; sign in afresh for sqlmap.
CSRF="$(curl -fsS -c "$JAR" -b "$JAR" "$BASE/login" | token)"
curl -sS -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "csrf_token=$CSRF" \
  --data-urlencode "email=$SCAN_EMAIL" --data-urlencode "password=$SCAN_PASSWORD" "$BASE/login" || true
curl -fsS -o /dev/null -c "$JAR" -b "$JAR" "$BASE/account" || true
SESSION="$(awk '$6 == "session" {print $7}' "$JAR" | tail -n1)"
COOKIE="session=$SESSION"

echo "security-scan: sqlmap (at most ${SQLMAP_TIME}s)"
timeout --kill-after=30 "$SQLMAP_TIME" sqlmap -u "$BASE/" --forms --crawl=2 --batch --level=2 \
  --cookie="$COOKIE" --csrf-token=csrf_token --crawl-exclude="logout|/account/sessions/" \
  --output-dir="$REPORTS/sqlmap" --results-file="$REPORTS/sqlmap-results.csv" \
  --disable-coloring --answers="follow=N" >"$REPORTS/sqlmap.log" 2>&1 || echo "security-scan: sqlmap exited $?"
fi

kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

"$PY" "$ROOT/scripts/security_summary.py" "$REPORTS" "$ROOT/scripts/security-allowlist.txt"
