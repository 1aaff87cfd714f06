#!/usr/bin/env bash
# System packages the tests use for real servers: PostgreSQL, Chromium (Debian's) and a CJK
# font so page screenshots show Chinese names rather than boxes; a Java runtime for the Spark
# linkage engine (tests/spark): Debian's default JRE, OpenJDK 17 on bookworm.
# Installs only what is missing; prints what it skipped when it cannot install.
set -euo pipefail

missing=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]}; install them with your package manager (tests that need them are skipped)" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt (an unattended upgrade, a second shell) may hold the package lock: wait for it
# rather than fail. install waits through dpkg's own timeout; update is retried.
LOCK_WAIT_SECONDS=${LOCK_WAIT_SECONDS:-900}
apt_update() {
  local waited=0
  until apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT_SECONDS" update -qq >/dev/null 2>/tmp/system-deps-apt.err; do
    if ! grep -qi "lock" /tmp/system-deps-apt.err || [ "$waited" -ge "$LOCK_WAIT_SECONDS" ]; then
      cat /tmp/system-deps-apt.err >&2
      return 1
    fi
    echo "system-deps: waiting for another apt process to release the package lock" >&2
    sleep 10
    waited=$((waited + 10))
  done
}
apt_update
# slim images drop /usr/share/man; the JRE's post-install links its man pages there
[[ " ${missing[*]} " == *" default-jre-headless "* ]] && mkdir -p /usr/share/man/man1
apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT_SECONDS" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
