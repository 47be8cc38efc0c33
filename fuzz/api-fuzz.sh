#!/usr/bin/env bash
# `make api-fuzz`: Schemathesis (property-based, every check) against a live server built from
# this tree, driven by the generated OpenAPI document, with a key holding every scope.
# API_FUZZ_SECS bounds the run (default 120).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LS_BIN:-target/debug/licenseshipper}
python3 -c 'import schemathesis' 2>/dev/null \
  || python3 -m pip install --quiet --disable-pip-version-check schemathesis
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir/dist" && echo '<html></html>' > "$dir/dist/index.html"
# A secret-scanning partner key, so the report endpoint is on (it is 404 without one).
openssl ecparam -name prime256v1 -genkey -noout -out "$dir/partner.pem" 2>/dev/null
openssl ec -in "$dir/partner.pem" -pubout -out "$dir/partner.pub" 2>/dev/null
python3 -c 'import json, sys; print(json.dumps({"public_keys": [{"key_identifier": "fuzz", "key": open(sys.argv[1]).read(), "is_current": True}]}))' \
  "$dir/partner.pub" > "$dir/scanning-keys.json"
LS_LISTEN=127.0.0.1:$port LS_SITE_ROOT=$dir/dist DATABASE_URL="sqlite://$dir/keys.db?mode=rwc" \
  LS_MASTER_KEY_FILE=$dir/master.key LS_SCANNING_PUBLIC_KEYS_FILE=$dir/scanning-keys.json \
  LS_LOG=warn "$BIN" serve > "$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
base=http://127.0.0.1:$port
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
json='Content-Type: application/json'
curl -sf -c "$dir/cookies" -H "$json" "$base/api/v1/auth.setup" \
  -d '{"email":"fuzz@example.com","name":"Fuzz","password":"fuzzing password 1"}' >/dev/null
key=$(curl -sf -b "$dir/cookies" -H "$json" "$base/api/v1/keys.create" \
  -d '{"name":"fuzz","scopes":["keys:read","keys:write","keys:verify"]}' \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')
schemathesis --config-file fuzz/schemathesis.toml run docs/openapi.json --url "$base" \
  --header "Authorization: Bearer $key" \
  --checks all --max-time "${API_FUZZ_SECS:-120}" --workers 2 --warnings off
