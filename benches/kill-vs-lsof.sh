#!/bin/sh
# Finding what to kill on a port: `prt kill --dry-run :PORT` (scan + identity checks) against
# `lsof -t -iTCP:PORT -sTCP:LISTEN` (the usual way to get the pid), on a listener this script
# opens on 127.0.0.1. Prints the medians of hyperfine runs and their ratio.
#
#   cargo build --release && sh benches/kill-vs-lsof.sh
set -eu
prt=${PRT:-target/release/prt}
out=$(mktemp -d)
trap 'kill "$listener" 2>/dev/null || true; rm -rf "$out"' EXIT
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(600)' > "$out/port" &
listener=$!
while [ ! -s "$out/port" ]; do sleep 0.05; done
port=$(cat "$out/port")
hyperfine -N -w 3 -r 30 --export-json "$out/runs.json" \
    "$prt kill --dry-run :$port" "lsof -nP -t -iTCP:$port -sTCP:LISTEN" >/dev/null 2>&1
python3 - "$out/runs.json" <<'PY'
import json, sys
prt, lsof = json.load(open(sys.argv[1]))["results"]
print(f"prt kill --dry-run :PORT  median {prt['median'] * 1000:.1f} ms")
print(f"lsof -t -iTCP:PORT        median {lsof['median'] * 1000:.1f} ms")
print(f"ratio prt/lsof            {prt['median'] / lsof['median']:.2f}x")
PY
