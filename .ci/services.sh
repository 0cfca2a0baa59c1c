# Sourced by .ci/run: makes sure the PostgreSQL and Redis the tests use answer (see README.md, Testing): the servers
# TEST_DATABASE_URL and TEST_REDIS_URL name, or else the local ones, which are started here when they do not answer.
pg_url="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
redis_url="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
for tool in pg_isready redis-cli; do
  command -v "$tool" >/dev/null 2>&1 || { echo "ci: $tool checks the test servers (Debian: postgresql-client, redis-tools)"; exit 1; }
done
pg_up() { pg_isready -d "$pg_url" -q 2>/dev/null; }
redis_up() { redis-cli -u "$redis_url" ping 2>/dev/null | grep -q PONG; }
if [ -z "${TEST_DATABASE_URL:-}" ] && ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "ci: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if [ -z "${TEST_REDIS_URL:-}" ] && ! redis_up && command -v redis-server >/dev/null 2>&1; then
  echo "ci: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
fi
# Named, not printed: the URLs may hold passwords.
pg_where="127.0.0.1:5432"; [ -n "${TEST_DATABASE_URL:-}" ] && pg_where="the server TEST_DATABASE_URL names"
redis_where="127.0.0.1:6379"; [ -n "${TEST_REDIS_URL:-}" ] && redis_where="the server TEST_REDIS_URL names"
pg_up || { echo "ci: PostgreSQL does not answer at $pg_where (pg_isready): start it, or set TEST_DATABASE_URL"; exit 1; }
redis_up || { echo "ci: Redis does not answer at $redis_where (redis-cli): start it, or set TEST_REDIS_URL"; exit 1; }
if ! command -v chromium >/dev/null 2>&1; then
  echo "ci: installing Debian's chromium for the browser test"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "ci: could not install chromium"
fi
