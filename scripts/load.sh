#!/usr/bin/env bash
# Load: what the auth layer costs. Runs wrk against the example server (release
# build, 127.0.0.1 only) reading one note three ways, for $DURATION each:
#   signed  GET /v1/notes/{id} with a SigV4 signature made beforehand by
#           `para-auth sign` (valid 15 minutes, longer than the run)
#   token   GET /v1/notes/{id} with a user's Bearer token
#   bare    GET /bare/v1/notes/{id}: the same handler without the auth layer
# and then briefly with a broken signature. Every answer of the signed and
# token runs must be 200 and every answer of the broken one 401, or it fails.
# Not run by CI. Settings: DURATION (10s), THREADS (2), CONNECTIONS (32).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-10s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-32}
work=target/load
mkdir -p "$work"

export PARA_ACCESS_KEY=app:myapp
export PARA_SECRET_KEY=cGFyYS1hdXRoIGludGVyb3A6IGEgZml4ZWQgNDAtYnl0ZSBrZXkhIQ==
export PARA_BARE_ROUTES=1

missing=()
for tool in wrk jq curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

echo "== build (release)"
cargo build --quiet --release --features tower,cli --example server --bin para-auth
cli=target/release/para-auth

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
server_pid=
stop_server() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM
PARA_ADDR="127.0.0.1:$port" target/release/examples/server >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
    curl -sf "$base/v1/public?accessKey=$PARA_ACCESS_KEY" >/dev/null && break
    sleep 0.1
done

echo "== a user, a token and a note"
signin=$(curl -sf -X POST "$base/jwt_auth" -H 'Content-Type: application/json' \
    -d "{\"appid\":\"$PARA_ACCESS_KEY\",\"provider\":\"password\",\"token\":\"load@example.com:Load:load-test-password\"}")
token=$(jq -r .jwt.access_token <<<"$signin")
note=$(curl -sf -X POST "$base/v1/notes" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"text":"read under load"}')
id=$(jq -r .id <<<"$note")
path="/v1/notes/$id"

# The three ways in, as header files for load.lua.
"$cli" sign --key "$PARA_ACCESS_KEY" --secret "$PARA_SECRET_KEY" GET "$base$path" >"$work/signed.headers"
echo "Authorization: Bearer $token" >"$work/token.headers"
: >"$work/bare.headers"
# A broken signature: its last hex digit changed.
awk '/^Authorization:/ { d = substr($0, length($0)); $0 = substr($0, 1, length($0) - 1) (d == "0" ? "1" : "0") } { print }' \
    "$work/signed.headers" >"$work/broken.headers"

# The same body three ways, or the comparison means nothing.
answer() { curl -s -H @"$work/$1.headers" "$base$2"; }
signed_body=$(answer signed "$path")
[ "$signed_body" = "$(answer token "$path")" ] || { echo "token read differs: $signed_body"; exit 1; }
[ "$signed_body" = "$(answer bare "/bare$path")" ] || { echo "bare read differs"; exit 1; }
[ "$(jq -r .text <<<"$signed_body")" = "read under load" ] || { echo "unexpected note: $signed_body"; exit 1; }
broken_status=$(curl -s -o /dev/null -w '%{http_code}' -H @"$work/broken.headers" "$base$path")
[ "$broken_status" = 401 ] || { echo "broken signature answered $broken_status"; exit 1; }
echo "GET $path answers the same $(wc -c <<<"$signed_body") bytes signed, with the token and bare"

bad_runs=0
declare -A rps
load() {
    local name=$1 target=$2 expect=$3 time=$4
    echo "== $name: wrk -t$threads -c$connections -d$time $target (every answer $expect)"
    local out
    out=$(LOAD_HEADERS="$work/$name.headers" LOAD_EXPECT=$expect \
        wrk -t"$threads" -c"$connections" -d"$time" -s scripts/load.lua "$base$target")
    printf '%s\n' "$out" | sed 's/^/    /'
    rps[$name]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    local unexpected
    unexpected=$(sed -nE "s/^answers: [0-9]+, not $expect: ([0-9]+).*/\1/p" <<<"$out")
    if [ "${unexpected:-x}" != 0 ]; then
        echo "    FAIL: ${unexpected:-?} answers were not $expect"
        bad_runs=$((bad_runs + 1))
    fi
}
# Signed right before its run: the signature's 15 minutes cover it.
"$cli" sign --key "$PARA_ACCESS_KEY" --secret "$PARA_SECRET_KEY" GET "$base$path" >"$work/signed.headers"
load signed "$path" 200 "$duration"
load token "$path" 200 "$duration"
load bare "/bare$path" 200 "$duration"
load broken "$path" 401 3s

echo "== summary ($threads threads, $connections connections, $duration each, server and wrk on one machine)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-8s %12s %14s\n' run "requests/s" "of bare"
for name in signed token bare broken; do
    printf '%-8s %12s %14s\n' "$name" "${rps[$name]}" "$(ratio "${rps[$name]}" "${rps[bare]}")"
done
if [ "$bad_runs" -ne 0 ]; then
    echo "FAIL: $bad_runs run(s) had answers they should not have"
    exit 1
fi
echo "every answer was the expected one"
