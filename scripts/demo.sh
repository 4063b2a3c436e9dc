#!/usr/bin/env bash
# Sets up and starts Hotline on the embedded default (SQLite under ./var, in-process state)
# with demo data. Options after the script name go to `hotline serve` (e.g. --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/hotline demo
host=${HOTLINE_HTTP_HOST:-127.0.0.1}
port=${HOTLINE_HTTP_PORT:-8000}
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --port) port=${args[$((i + 1))]} ;;
    --host) host=${args[$((i + 1))]} ;;
  esac
done
cat <<MSG

Hotline on http://$host:$port
  agent console   http://$host:$port/console   (log in as alice / hotline-demo)
  API docs        http://$host:$port/docs
MSG
exec .venv/bin/hotline serve "$@"
