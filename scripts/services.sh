#!/usr/bin/env bash
# Makes sure the services the tests need are there: PostgreSQL on
# 127.0.0.1:5432, MariaDB on 127.0.0.1:3306 and Debian's chromium.
# Starts a database that is down; fails saying so when it cannot.
set -euo pipefail

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 1 30); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  echo "ERROR: $name is not reachable" >&2
  return 1
}

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up; then
  echo "==> PostgreSQL is down on 127.0.0.1:5432, starting it"
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  wait_for "PostgreSQL on 127.0.0.1:5432 (install and start it: see the README)" pg_up
fi

mysql_up() { (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; }
if ! mysql_up; then
  echo "==> MariaDB is down on 127.0.0.1:3306, starting it"
  if [ -x /usr/sbin/mariadbd ]; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  fi
  wait_for "MariaDB on 127.0.0.1:3306 (install and start it: see the README)" mysql_up
fi

# TestDatabases wants mysql://user:password@host:port/database: a test user.
if command -v mysql >/dev/null; then
  mysql -uroot -h127.0.0.1 -e "CREATE USER IF NOT EXISTS 'promotion_test'@'%' IDENTIFIED BY 'promotion_test'; GRANT ALL PRIVILEGES ON *.* TO 'promotion_test'@'%'; FLUSH PRIVILEGES;" \
    || { echo "ERROR: cannot create the MariaDB test user as root" >&2; exit 1; }
fi

if ! command -v chromium >/dev/null; then
  echo "==> Installing Debian's chromium for the browser tests"
  if [ "$(id -u)" -ne 0 ]; then
    echo "ERROR: chromium is missing; install it with: sudo apt-get install -y chromium" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
echo "==> PostgreSQL, MariaDB and $(chromium --version 2>/dev/null | head -n1) are ready"
