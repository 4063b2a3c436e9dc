#!/usr/bin/env bash
# A local cluster to try shared mode on this machine (docs/scale-out.md, "Running a cluster"):
#
#   scripts/cluster.sh N        N Hotline processes (HTTP 8101.., SIP 5161..) on PostgreSQL
#                               (database hotline_cluster) and Redis, HAProxy on 8100 and
#                               Kamailio on 5160 (UDP and TCP) in front; Ctrl-C stops it all.
#   scripts/cluster.sh --stop   stops a cluster started from another terminal.
#
# Pids, logs and the filled-in front-end configurations are under var/cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VAR=$ROOT/var/cluster
HTTP_PORT=8100
SIP_PORT=5160
STATS_PORT=8199
DB=hotline_cluster
PG_ADMIN=${HOTLINE_TEST_PG:-postgresql://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${HOTLINE_CLUSTER_REDIS_URL:-redis://127.0.0.1:6379/0}
PREFIX=hotline-cluster:
# Every 182 Queued repeated this often; Kamailio's INVITE timer (restarted by each) is longer,
# so a queued call whose process died moves to another within about FR_INV_MS.
QUEUED_INTERVAL=5
FR_INV_MS=8000

stop_all() {
  local pidfile pid
  shopt -s nullglob
  for pidfile in "$VAR"/*.pid; do
    pid=$(cat "$pidfile" 2>/dev/null) || continue # the other stop_all (--stop and the trap) took it
    [ "$pid" = "$$" ] && continue  # this script itself, when it stops its own cluster
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for pidfile in "$VAR"/*.pid; do
    pid=$(cat "$pidfile" 2>/dev/null) || continue # the other stop_all (--stop and the trap) took it
    [ "$pid" = "$$" ] && { rm -f "$pidfile"; continue; }
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

usage() {
  echo "usage: scripts/cluster.sh N (1-9 processes) | --stop" >&2
  exit 2
}

[ $# -eq 1 ] || usage
if [ "$1" = "--stop" ]; then
  stop_all
  echo "cluster: stopped"
  exit 0
fi
[[ "$1" =~ ^[1-9]$ ]] || usage
N=$1

if compgen -G "$VAR/*.pid" >/dev/null; then
  for pidfile in "$VAR"/*.pid; do
    if kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "cluster: one is already running (scripts/cluster.sh --stop stops it)" >&2
      exit 1
    fi
  done
  rm -f "$VAR"/*.pid
fi
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$HTTP_PORT" "$STATS_PORT" $(seq 8101 $((8100 + N))); do
  if port_busy "$port"; then
    echo "cluster: port $port is in use" >&2
    exit 1
  fi
done

bash scripts/setup.sh
HOTLINE_NEED_BROWSER=0 HOTLINE_NEED_SIPP=0 bash scripts/services.sh
PY=$ROOT/.venv/bin/python
HOTLINE=$ROOT/.venv/bin/hotline
mkdir -p "$VAR"

# The database: created once, migrated, demo data loaded once.
psql "$PG_ADMIN" -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
  || psql "$PG_ADMIN" -qc "CREATE DATABASE $DB" >/dev/null
DB_URL="${PG_ADMIN%/*}/$DB"
DB_URL="postgresql+asyncpg://${DB_URL#postgresql://}"
[ -f "$VAR/secret.key" ] || (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$VAR/secret.key")

export HOTLINE_DATABASE_URL=$DB_URL
export HOTLINE_REDIS_URL=$REDIS_URL
export HOTLINE_REDIS_PREFIX=$PREFIX
export HOTLINE_SECRET_KEY
HOTLINE_SECRET_KEY=$(cat "$VAR/secret.key") # one secret: a token from one process works on all
export HOTLINE_TELEPHONY_FILE=$VAR/telephony.yaml
export HOTLINE_SIP_HOST=127.0.0.1
"$PY" - "$ROOT/config/telephony.yaml" "$HOTLINE_TELEPHONY_FILE" "$QUEUED_INTERVAL" <<'EOF'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
config["queued_interval_seconds"] = float(sys.argv[3])
open(sys.argv[2], "w", encoding="utf-8").write(yaml.safe_dump(config, allow_unicode=True))
EOF

echo "cluster: migrating $DB"
"$HOTLINE" migrate >/dev/null
if [ ! -f "$VAR/demo.txt" ]; then
  echo "cluster: loading the demo data (once)"
  "$HOTLINE" demo >"$VAR/demo.txt.part" && mv "$VAR/demo.txt.part" "$VAR/demo.txt"
fi

# The front ends' configurations, from deploy/'s templates.
backends=()
for i in $(seq 1 "$N"); do backends+=("$((8100 + i)):$((5160 + i))"); done
"$PY" - "$ROOT/deploy" "$VAR" "$HTTP_PORT" "$STATS_PORT" "$SIP_PORT" "$FR_INV_MS" "${backends[@]}" <<'EOF'
import re, sys
from pathlib import Path
deploy, var, http, stats, sip, fr_inv, *backends = sys.argv[1:]
pairs = [b.split(":") for b in backends]

def fill(name: str, values: dict[str, object]) -> None:
    text = (Path(deploy) / name).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        sys.exit(f"cluster: {name}: unfilled {left}")
    (Path(var) / name).write_text(text)

servers = "\n".join(
    f"    server hotline{i} 127.0.0.1:{h}" for i, (h, _) in enumerate(pairs, 1)
)
fill("haproxy.cfg", {"BIND": "127.0.0.1", "HTTP_PORT": http, "STATS_PORT": stats,
                     "SERVERS": servers})
(Path(var) / "dispatcher.list").write_text(
    "# setid destination flags priority attrs\n"
    + "".join(f"1 sip:127.0.0.1:{s};transport=udp 0 0\n" for _, s in pairs)
)
fill("kamailio.cfg", {"BIND": "127.0.0.1", "SIP_PORT": sip,
                      "DISPATCHER_LIST": Path(var) / "dispatcher.list",
                      "FR_TIMER_MS": 2000, "FR_INV_TIMER_MS": fr_inv, "PING_INTERVAL": 2,
                      "PROBING_THRESHOLD": 1, "INACTIVE_THRESHOLD": 2, "LOG_STDERR": "yes"})
EOF
haproxy -c -q -f "$VAR/haproxy.cfg"
kamailio -c -f "$VAR/kamailio.cfg" >/dev/null 2>&1 || { kamailio -c -f "$VAR/kamailio.cfg"; exit 1; }

trap 'echo; echo "cluster: stopping"; stop_all; exit 0' INT TERM
trap 'stop_all' EXIT
echo $$ >"$VAR/cluster.pid" # --stop from another terminal ends this script too

# `setsid`: each in its own process group, so a Ctrl-C reaches this script first, which
# then stops them in order.
for i in $(seq 1 "$N"); do
  HOTLINE_HTTP_PORT=$((8100 + i)) HOTLINE_SIP_PORT=$((5160 + i)) \
    HOTLINE_VAR_DIR=$VAR/node$i HOTLINE_RTP_PORTS="$((20000 + i * 1000))-$((20999 + i * 1000))" \
    setsid "$HOTLINE" serve >"$VAR/hotline$i.log" 2>&1 &
  echo $! >"$VAR/hotline$i.pid"
  disown # a process killed to try failover is no news for this script's output
done
for i in $(seq 1 "$N"); do
  for _ in $(seq 120); do
    curl -sf "http://127.0.0.1:$((8100 + i))/api/health" >/dev/null && break
    kill -0 "$(cat "$VAR/hotline$i.pid")" 2>/dev/null || { echo "cluster: process $i failed:" >&2; tail -20 "$VAR/hotline$i.log" >&2; exit 1; }
    sleep 0.5
  done
done
setsid haproxy -db -f "$VAR/haproxy.cfg" >"$VAR/haproxy.log" 2>&1 &
echo $! >"$VAR/haproxy.pid"
mkdir -p "$VAR/kamailio-run"
setsid kamailio -DD -E -f "$VAR/kamailio.cfg" -Y "$VAR/kamailio-run" -m 64 -M 8 >"$VAR/kamailio.log" 2>&1 &
echo $! >"$VAR/kamailio.pid"
sleep 1
for name in haproxy kamailio; do
  kill -0 "$(cat "$VAR/$name.pid")" 2>/dev/null || { echo "cluster: $name failed:" >&2; tail -20 "$VAR/$name.log" >&2; exit 1; }
done

cat <<EOF

Hotline cluster: $N process(es), PostgreSQL database $DB, Redis $REDIS_URL (keys $PREFIX*)
  console, API, websockets  http://127.0.0.1:$HTTP_PORT/        (HAProxy)
  SIP (UDP and TCP)         sip:hotline@127.0.0.1:$SIP_PORT     (Kamailio)
  HAProxy's view            http://127.0.0.1:$STATS_PORT/
  processes                 $(for i in $(seq 1 "$N"); do printf 'http://127.0.0.1:%s ' $((8100 + i)); done)
  logs and pids             $VAR
$(sed -n '/Demo logins/,$p' "$VAR/demo.txt")

Try: kill -9 \$(cat $VAR/hotline1.pid) and watch the consoles move to the others.
Ctrl-C (or scripts/cluster.sh --stop) stops everything.
EOF
while true; do sleep 1 & wait $!; done
