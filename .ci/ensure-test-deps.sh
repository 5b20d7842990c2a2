#!/usr/bin/env bash
# The test suites drive Debian's chromium, run PHP examples, make TLS
# certificates with openssl and start redis-server (Redis engine, Novo SGA
# across relays). Install what is missing when we can (root with apt-get,
# as on CI and fresh machines); otherwise say what to install.
set -euo pipefail

declare -A package_of=([chromium]=chromium [php]=php-cli [openssl]=openssl [redis-server]=redis-server)
missing=()
for tool in chromium php openssl redis-server; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
done
# docs/pusher.md's PHP example signs and POSTs with PHP's curl extension.
if command -v php >/dev/null 2>&1 && ! php -m 2>/dev/null | grep -qix curl; then missing+=(php-curl); fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing test dependencies: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "the tests need these Debian packages: ${missing[*]} (sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
