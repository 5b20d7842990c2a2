#!/usr/bin/env bash
# The test suites drive Debian's chromium, run PHP examples, make TLS
# certificates with openssl, start redis-server (Redis engine, Novo SGA
# across relays) and put nginx and HAProxy in front of relay nodes (the
# configurations of docs/deployment.md). Install what is missing when we can (root with apt-get,
# as on CI and fresh machines); otherwise say what to install.
set -euo pipefail

declare -A package_of=([chromium]=chromium [php]=php-cli [openssl]=openssl [redis-server]=redis-server [nginx]=nginx [haproxy]=haproxy)
missing=()
for tool in chromium php openssl redis-server nginx haproxy; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
done
# docs/pusher.md's PHP example signs and POSTs with PHP's curl extension.
if command -v php >/dev/null 2>&1 && ! php -m 2>/dev/null | grep -qix curl; then missing+=(php-curl); fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test dependencies: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's nginx and haproxy packages start their service on install; the
  # tests start their own, so keep any service from starting (and from
  # taking port 80).
  policy=/usr/sbin/policy-rc.d
  had_policy=false
  [ -e "$policy" ] && had_policy=true
  $had_policy || { printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"; }
  apt-get install -y -qq "${missing[@]}" >/dev/null
  $had_policy || rm -f "$policy"
else
  echo "the tests need these Debian packages: ${missing[*]} (sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
