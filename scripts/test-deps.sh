#!/usr/bin/env bash
# What `make test` needs besides Rust, Node.js and npm: Chromium for the browser tests and a
# running PostgreSQL for the storage tests. Installs or starts them when missing (as root, with
# the system package manager), or says in one line what to do.
set -euo pipefail

step() { printf '==> %s\n' "$*"; }

# Chromium (Debian's package; Playwright cannot download its own browsers here).
# (Playwright launches CHROMIUM_PATH, else /usr/bin/chromium.)
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "Installing Chromium with apt-get (once, about 1 min)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "make test: Chromium is missing: install the 'chromium' package (or set CHROMIUM_PATH)" >&2
    exit 1
  fi
fi

# PostgreSQL at the tests' URL: start a local cluster if one is installed but down.
pg_url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -d "$pg_url" -q; then
    case "$pg_url" in
      *@127.0.0.1[:/]*|*@localhost[:/]*|*@\[::1\][:/]*)
        if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] && [ "$(id -u)" -eq 0 ]; then
          version="$(ls /etc/postgresql | head -n1)"
          step "Starting PostgreSQL $version (cluster main)"
          pg_ctlcluster --skip-systemctl-redirect "$version" main start
          for _ in $(seq 1 30); do pg_isready -d "$pg_url" -q && break; sleep 1; done
        fi
        ;;
    esac
  fi
  if ! pg_isready -d "$pg_url" -q; then
    echo "make test: PostgreSQL is not answering at TEST_POSTGRES_URL ($pg_url); start it or point TEST_POSTGRES_URL at one" >&2
    exit 1
  fi
else
  echo "make test: pg_isready is missing: install PostgreSQL's client tools (the storage tests need a server at $pg_url)" >&2
  exit 1
fi

# npm packages of the browser tests.
if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -d end2end/node_modules/@axe-core/playwright ]; then
  step "Installing the browser tests' npm packages (end2end/, under a minute)"
  (cd end2end && npm ci --no-audit --no-fund)
fi

# The webhook tests' receiver: the Standard Webhooks reference library verifies every signature.
if [ ! -d server/tests/receiver/node_modules/standardwebhooks ]; then
  step "Installing the webhook receiver's npm package (server/tests/receiver/, seconds)"
  (cd server/tests/receiver && npm ci --no-audit --no-fund)
fi
