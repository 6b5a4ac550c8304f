#!/usr/bin/env bash
# Interop: real clients (Para's Python client, botocore, Node's aws4 and
# @smithy/signature-v4, jsrsasign) over real TCP against the example server.
# Builds the server, installs the clients under target/interop, starts the
# server on a free 127.0.0.1 port, runs every script and ends with
# "N passed, N failed" (one per scenario); last, fresh random requests signed
# by botocore, aws4 and smithy go through `para-auth check`.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/interop
work=target/interop
mkdir -p "$work"

# A fixed app, so a failure can be replayed: the secret is 40 bytes in Base64.
export PARA_ACCESS_KEY=app:myapp
export PARA_SECRET_KEY=cGFyYS1hdXRoIGludGVyb3A6IGEgZml4ZWQgNDAtYnl0ZSBrZXkhIQ==

apt_updated=
apt_install() {
    if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

echo "== tools"
if ! python3 -m venv --help >/dev/null 2>&1; then apt_install python3-venv; fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_install nodejs npm; fi

echo "== build the example server"
cargo build --quiet --features tower --example server
server_bin=target/debug/examples/server

echo "== Python clients ($work/venv)"
if [ ! -x "$work/venv/bin/python" ]; then
    python3 -m venv "$work/venv" || { apt_install python3-venv; python3 -m venv --clear "$work/venv"; }
fi
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

echo "== Node clients ($work/node)"
mkdir -p "$work/node"
cp "$here/package.json" "$work/node/package.json"
npm install --prefix "$work/node" --no-audit --no-fund --loglevel=error >/dev/null
export NODE_PATH="$PWD/$work/node/node_modules"

echo "== start the server"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PARA_ADDR="127.0.0.1:$port" PARA_ENDPOINT="http://127.0.0.1:$port"
server_pid=
stop_server() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM
"$server_bin" >"$work/server.log" 2>&1 &
server_pid=$!

# Ready when a guest read of `public` answers 200; give up after 60 s.
python3 - <<'PY' || { echo "the server did not answer"; cat "$work/server.log"; exit 1; }
import os, time, urllib.request
url = os.environ["PARA_ENDPOINT"] + "/v1/public?accessKey=" + os.environ["PARA_ACCESS_KEY"]
deadline = time.time() + 60
while True:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                break
    except OSError:
        if time.time() > deadline:
            raise SystemExit(1)
        time.sleep(0.2)
PY

# Key rotation (in paraclient_app.py) runs last: it retires the secret.
passed=0
failed=0
run() {
    local name=$1; shift
    echo "== $name"
    local out status=0
    out=$(cd "$here" && "$@" 2>&1) || status=$?
    printf '%s\n' "$out"
    local p f
    p=$(grep -c '^PASS ' <<<"$out" || true)
    f=$(grep -c '^FAIL ' <<<"$out" || true)
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited with $status"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
}
run "aws4 (Node)" node aws4_sigv4.js
run "@smithy/signature-v4 (Node)" node smithy_sigv4.js
run "super tokens by jsrsasign (Node)" node supertoken_jsrsasign.js
run "botocore (Python)" "$PWD/$work/venv/bin/python" botocore_sigv4.py
run "paraclient (Python)" "$PWD/$work/venv/bin/python" paraclient_app.py

# Fresh random requests each run (the committed files hold one seed's):
# signed by botocore, and by aws4 and @smithy/signature-v4, then checked by
# `para-auth check`. SEED=... replays a run.
seed=${SEED:-$(python3 -c 'import random; print(random.randrange(1, 2**31))')}
cargo build --quiet --all-features --bin para-auth
root=$PWD
# `para-auth check FILE`, as one PASS line or its failures and a FAIL line;
# NOTE (optional) follows the file's name.
check_file() {
    local file=$1 note=${2:+, $2}
    local out
    out=$("$root/target/debug/para-auth" check "$file") && {
        # A file of no vectors checks nothing: that is no pass.
        case $(tail -n 1 <<<"$out") in
            "0 passed, 0 failed") echo "FAIL $file$note: no vectors"; return ;;
        esac
        echo "PASS $(tail -n 1 <<<"$out") ($file$note)"
        return
    }
    printf '%s\n' "$out" | grep '^FAIL' | head -n 20
    echo "FAIL $file$note: $(tail -n 1 <<<"$out")"
}
random_check() {
    local file=$root/$work/$1.jsonl; shift
    SEED=$seed "$@" "$file" >/dev/null || { echo "FAIL $file (seed $seed): not made"; return 1; }
    check_file "$file" "seed $seed"
}
run "random requests, botocore (Python)" random_check botocore-random \
    "$root/$work/venv/bin/python" random_vectors.py
run "random requests, aws4 and smithy (Node)" random_check node-random node random_vectors.js

# The unsigned-payload vectors, made again by the installed clients: they
# must equal the committed files, and `para-auth check` must pass them.
fixed_check() {
    local name=$1; shift
    local file=$root/$work/$name.jsonl
    "$@" "$file" >/dev/null || { echo "FAIL $file: not made"; return 1; }
    if ! cmp -s "$file" "$root/tests/vectors/$name.jsonl"; then
        echo "FAIL $file differs from tests/vectors/$name.jsonl"
        return 1
    fi
    check_file "$file"
}
run "unsigned payloads, botocore (Python)" fixed_check botocore-unsigned \
    "$root/$work/venv/bin/python" unsigned_vectors.py
run "unsigned payloads, aws4 and smithy (Node)" fixed_check node-unsigned node unsigned_vectors.js

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
