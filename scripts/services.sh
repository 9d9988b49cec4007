#!/usr/bin/env bash
# Makes sure the local PostgreSQL, Redis and RabbitMQ that the tests use are up.
set -uo pipefail
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! up 5432; then
  echo "==> 启动 PostgreSQL"; pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
if ! up 6379; then
  echo "==> 启动 Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
if ! up 5672; then
  echo "==> 启动 RabbitMQ"; rabbitmq-server -detached || true
fi
for port in 5432 6379 5672; do
  for _ in $(seq 1 60); do up $port && break; sleep 1; done
  up $port || { echo "服务端口 $port 未就绪" >&2; exit 1; }
done
