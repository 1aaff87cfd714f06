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
apt-get update -qq >/dev/null
# slim images drop /usr/share/man; the JRE's post-install links its man pages there
[[ " ${missing[*]} " == *" default-jre-headless "* ]] && mkdir -p /usr/share/man/man1
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
