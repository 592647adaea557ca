#!/usr/bin/env bash
# The Debian packages each make target needs, in one place; installs the missing ones.
#
#   scripts/system-packages.sh TARGET          install what TARGET needs and is missing (root or sudo)
#   scripts/system-packages.sh --list TARGET   print TARGET's packages, one line (for the README's table)
#   scripts/system-packages.sh --missing TARGET   print only the missing ones
#
# TARGET is a make target (run, test, e2e, lint, security, load, faults, bench, worker, mutation) or ci.
# Each need is "probe package": the probe says whether the need is met, so a tool installed some other way
# (Node.js with its own npm, say) is not installed again. Without root or sudo the script stops at once
# with one line naming the apt-get command, instead of letting a test fail halfway through the suite.
set -euo pipefail

has_command() { command -v "$1" >/dev/null 2>&1; }
has_library() { ldconfig -p 2>/dev/null | grep -q "$1"; }
has_python_venv() {
  local python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
  "$python" -c 'import ensurepip, venv' >/dev/null 2>&1
}

# probe|package; a probe is cmd:NAME, lib:SONAME, file:PATH or venv.
needs_of() {
  local base=(
    "venv|python3-venv"
    "lib:libpango-1.0.so.0|libpango-1.0-0"
    "lib:libpangoft2-1.0.so.0|libpangoft2-1.0-0"
    "lib:libharfbuzz-subset.so.0|libharfbuzz-subset0"
  )
  # Opening real PDFs in tests: pdftotext, pdffonts, pdfinfo, pdfsig; qpdf --check; certutil for pdfsig's
  # trust store. Render jobs run on a real Redis.
  local documents=(
    "cmd:pdfsig|poppler-utils"
    "cmd:qpdf|qpdf"
    "cmd:certutil|libnss3-tools"
    "cmd:redis-server|redis-server"
  )
  local browser=(
    "file:/usr/bin/chromium|chromium"
    "cmd:npm|npm"
  )
  local postgres=("cmd:pg_ctlcluster|postgresql" "cmd:pg_isready|postgresql-client")
  case "$1" in
    lint|mutation) echo "venv|python3-venv" ;;
    run) printf '%s\n' "${base[@]}" ;;
    worker) printf '%s\n' "${base[@]}" "cmd:redis-server|redis-server" ;;
    test) printf '%s\n' "${base[@]}" "${documents[@]}" "${browser[@]}" ;;
    ci) printf '%s\n' "${base[@]}" "${documents[@]}" "${browser[@]}" "${postgres[@]}" ;;
    e2e) printf '%s\n' "${base[@]}" "${browser[@]}" ;;
    security) printf '%s\n' "${base[@]}" "${documents[@]}" "${browser[@]}" "cmd:wapiti|wapiti" "cmd:sqlmap|sqlmap" \
      "cmd:curl|curl" ;;
    load) printf '%s\n' "${base[@]}" "${postgres[@]}" ;;
    faults) printf '%s\n' "${base[@]}" "file:/usr/lib/postgresql/15/bin/initdb|postgresql-15" \
      "cmd:redis-server|redis-server" "cmd:runuser|util-linux" ;;
    bench) printf '%s\n' "${base[@]}" "${postgres[@]}" "cmd:wrk|wrk" "file:/usr/sbin/nginx|nginx" ;;
    *) echo "system-packages: unknown target '$1'" >&2; exit 2 ;;
  esac
}

met() {
  local probe="$1"
  case "$probe" in
    venv) has_python_venv ;;
    cmd:*) has_command "${probe#cmd:}" ;;
    lib:*) has_library "${probe#lib:}" ;;
    file:*) [ -e "${probe#file:}" ] ;;
    *) echo "system-packages: unknown probe '$probe'" >&2; exit 2 ;;
  esac
}

packages() {  # all: every package of the target; otherwise only the missing ones
  local mode="$1" target="$2" seen=" "
  while IFS='|' read -r probe package; do
    if [ "$mode" = all ] || ! met "$probe"; then
      case "$seen" in *" $package "*) ;; *) seen+="$package " ;; esac
    fi
  done < <(needs_of "$target")
  echo "${seen# }" | sed 's/ *$//'
}

known_targets=" run test ci e2e lint security load faults bench worker mutation "
target="${2:-${1:-}}"
case "$known_targets" in
  *" $target "*) ;;
  *) echo "system-packages: unknown target '$target' (one of:$known_targets)" >&2; exit 2 ;;
esac

case "${1:-}" in
  --list) packages all "${2:?target}"; exit 0 ;;
  --missing) packages missing "${2:?target}"; exit 0 ;;
  -*) echo "system-packages: unknown option '$1'" >&2; exit 2 ;;
esac

missing="$(packages missing "$target")"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
  sudo=()
elif has_command sudo && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "make $target needs Debian packages that are missing; run: sudo apt-get install -y $missing" >&2
  exit 1
fi
if ! has_command apt-get; then
  echo "make $target needs these Debian packages (or their equivalents): $missing" >&2
  exit 1
fi
echo "make $target: installing $missing"
started=$SECONDS
# shellcheck disable=SC2086  # the package list is meant to split into words
"${sudo[@]}" apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq $missing >/dev/null
echo "make $target: installed in $((SECONDS - started)) s"
left="$(packages missing "$target")"
if [ -n "$left" ]; then
  echo "make $target: still missing after apt-get install: $left" >&2
  exit 1
fi
