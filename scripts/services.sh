#!/usr/bin/env bash
# Makes sure what the tests need is here and running: PostgreSQL and Redis (and, for the browser
# and SIP tests, Debian's chromium and sipp; for the cluster tests, haproxy and kamailio). Uses
# running services as they are; starts stopped ones; installs missing ones from Debian's
# packages. Touches nothing else.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=0

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "services: '$*' is missing and installing it needs root" >&2
    exit 1
  fi
  if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq; APT_UPDATED=1; fi
  apt-get install -y -qq "$@" >/dev/null
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "services: installing PostgreSQL"
    apt_install postgresql postgresql-client
    fresh_pg=1
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -1)
  if [ "${fresh_pg:-0}" = 1 ]; then
    # A cluster we just installed: let local test connections in without a password.
    hba=/etc/postgresql/$ver/main/pg_hba.conf
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    sed -i -E 's/^(local\s+all\s+(postgres|all)\s+)\S+/\1trust/' "$hba"
  fi
  echo "services: starting PostgreSQL $ver"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 30); do pg_up && break; sleep 1; done
  pg_up || { echo "services: PostgreSQL did not come up" >&2; exit 1; }
fi

if ! (command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1); then
  command -v redis-server >/dev/null 2>&1 || { echo "services: installing Redis"; apt_install redis-server; }
  echo "services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 20); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

if [ "${HOTLINE_NEED_BROWSER:-1}" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "services: installing Debian's chromium"
  apt_install chromium fonts-noto-cjk
fi
if [ "${HOTLINE_NEED_SIPP:-1}" = 1 ] && ! command -v sipp >/dev/null 2>&1; then
  echo "services: installing sipp (sip-tester)"
  apt_install sip-tester
fi
# The front ends of a cluster (deploy/, scripts/cluster.sh, tests/cluster/): only installed,
# never started here; each cluster runs its own.
if [ "${HOTLINE_NEED_FRONT_ENDS:-1}" = 1 ]; then
  missing=()
  [ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
  [ -x /usr/sbin/kamailio ] || command -v kamailio >/dev/null 2>&1 || missing+=(kamailio)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "services: installing ${missing[*]}"
    apt_install "${missing[@]}"
    # Debian's packages enable their own system services; the cluster runs its own copies.
    for svc in "${missing[@]}"; do
      service "$svc" stop >/dev/null 2>&1 || true
    done
  fi
fi
