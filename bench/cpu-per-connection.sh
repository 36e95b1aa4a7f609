#!/bin/bash
# Server CPU (user and system) per connection under `hotbench rate`, for before/after checks
# of the accept path that do not depend on how busy the machine is as much as conn/s does.
#
#   bench/cpu-per-connection.sh REPS NAME=SERVER.js [NAME=SERVER.js ...]
#
# Each server in turn, REPS rounds interleaved: start it, 1 s of `hotbench rate` to warm up,
# then 3 s measured; CPU from /proc/PID/stat (all threads) after the server has closed every
# connection, divided by the connections made. Prints the medians. Needs `npm run build`
# and build/bench-bin/hotbench (made by `npm run bench`).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HB=$ROOT/build/bench-bin/hotbench
reps=$1
shift
tick=$(getconf CLK_TCK)
out=$(mktemp)
trap 'rm -f "$out" "$out.err"' EXIT
one() { # NAME JS
  node "$2" 2>"$out.err" &
  local pid=$! port="" i
  for i in $(seq 1 100); do
    port=$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$out.err")
    [ -n "$port" ] && break
    sleep 0.1
  done
  settle() { # until the server holds no connection and its queue is empty
    for i in $(seq 1 200); do
      [ "$(ss -tanH "( sport = :$port )" | grep -vc LISTEN || true)" = 0 ] &&
        [ "$(ss -ltnH "( sport = :$port )" | awk '{print $2}')" = 0 ] && break
      sleep 0.05
    done
  }
  "$HB" rate 127.0.0.1 "$port" 1 16 >/dev/null
  settle
  read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  local n
  n=$("$HB" rate 127.0.0.1 "$port" 3 16 | awk '{print $2}')
  settle
  read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  echo "$1 $n $(((u1 - u0))) $(((s1 - s0)))" >>"$out"
}
for _ in $(seq 1 "$reps"); do
  for spec in "$@"; do one "${spec%%=*}" "${spec#*=}"; done
done
node -e '
const [file, tick] = process.argv.slice(1);
const rows = require("node:fs").readFileSync(file, "utf8").trim().split("\n").map((l) => l.split(" "));
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[(s.length - 1) >> 1]; };
for (const name of [...new Set(rows.map((r) => r[0]))]) {
  const mine = rows.filter((r) => r[0] === name).map(([, n, u, s]) => [n / 3, (u / tick / n) * 1e6, (s / tick / n) * 1e6]);
  const t = mine.map((m) => m[1] + m[2]);
  console.log(`${name.padEnd(10)} conn/s ${med(mine.map((m) => m[0])).toFixed(0)}  user ${med(mine.map((m) => m[1])).toFixed(1)}  sys ${med(mine.map((m) => m[2])).toFixed(1)}  total ${med(t).toFixed(1)} µs/conn (${Math.min(...t).toFixed(1)}-${Math.max(...t).toFixed(1)}), ${mine.length} runs`);
}' "$out" "$tick"
