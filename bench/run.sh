#!/usr/bin/env bash
# Benchmarks on the real local control plane (e2e/cluster.sh) with the packaged operator and simulator JVMs.
# Results and how to read them: docs/benchmarks.md. Needs target/quarkus-app (./mvnw package).
#
#   bench/run.sh smoke            < 2 min: 50 connections through every measurement (CI runs this)
#   bench/run.sh scale N [N...]   memory (RSS, heap after GC) and restart-to-all-Ready time with N connections,
#                                 and with N connections plus N unrelated Secrets and ConfigMaps
#   bench/run.sh mass N           N tokens due at once: operator vs two baselines (bench/Baseline.java), refreshes/s
#                                 and API server requests per refresh, Slack's limit (simulator and operator) raised
#   bench/run.sh limit N          N tokens due at once under Slack's 600/min on oauth.v2.access: share of the limit
#                                 used, and 429s drawn from Slack
#   bench/run.sh latency M        M consents, one at a time: the callback's handling time without Slack's (p50/p99)
#   bench/run.sh jvm N OPTS...    JVM options side by side: N connections; for each option set (the chart's first),
#                                 every token made due, the operator started with those options: refreshes/s, then
#                                 RSS once settled (60 s later, no forced GC), threads, heap after a forced GC
#   bench/run.sh steady N CYCLE   Slack's 12 h token lifetime scaled down to CYCLE s (refreshBefore and Slack's limit
#                                 scaled with it), N connections with expiries spread over the cycle: missed
#                                 expiries, lateness against refreshAt (p50/p99), CPU per refresh
#   bench/run.sh failover N       two operators with the chart's Lease timings, N tokens coming due together; the
#                                 leader killed with -9 5 s before: Lease takeover, first and last refresh by the
#                                 new leader, counted from the kill
#
# The operator runs as the chart runs it: its jvmOptions (read from values.yaml) and MALLOC_ARENA_MAX=2, with a 512 MiB
# memory limit (-XX:MaxRAM=512m stands in for the container's cgroup limit).
set -euo pipefail
bench="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$bench/.." && pwd)"
here="$repo/e2e"
mode="${1:-smoke}"; shift || true
export SLACK_TOKEN_OPERATOR_STATE="${SLACK_TOKEN_OPERATOR_STATE:-/tmp/slack-token-operator-bench-$$}"
"$here/toolchain/build.sh" >/dev/null
"$here/cluster.sh" start >/dev/null
# shellcheck source=e2e/lib.sh
source "$here/lib.sh"
# the operators' and simulator's logs are kept only when the run failed
trap 'rc=$?; pod_cleanup; "$here/cluster.sh" stop >/dev/null 2>&1 || true; [ "$rc" != 0 ] || rm -rf "$logs"' EXIT
export KUBECONFIG="$SLACK_TOKEN_OPERATOR_STATE/admin.kubeconfig"
pki="$SLACK_TOKEN_OPERATOR_STATE/pki"
api="$(sed -n 's|^E2E_APISERVER_URL=||p' "$SLACK_TOKEN_OPERATOR_STATE/cluster.env")"
# the chart's jvmOptions (helm/slack-token-operator/values.yaml), read from the chart so the two cannot drift apart
chart_jvm="$(sed -n 's/^jvmOptions: *"\(.*\)"$/\1/p' "$repo/helm/slack-token-operator/values.yaml")"
read -r -a jvm_opts <<<"$chart_jvm -XX:MaxRAM=512m"
results="${BENCH_RESULTS:-$repo/target/bench}"; mkdir -p "$results"
out="$results/$mode-$(date -u +%Y%m%dT%H%M%SZ).txt"
say() { echo "$*" | tee -a "$out"; }

sim_port=$(free_port); op_port=$(free_port)
start_simulator "$sim_port"; wait_http "http://localhost:$sim_port/_sim/stats" || { echo "simulator down"; exit 1; }
install_chart "http://localhost:$op_port" "http://localhost:$sim_port" >/dev/null
operator_kubeconfig "$logs/operator.kubeconfig"

# operator_up [env...]: starts the operator as the chart's ServiceAccount; sets $op_pid
operator_up() {
  start_operator "$op_port" "http://localhost:$op_port" "http://localhost:$sim_port" "$logs/operator.kubeconfig" \
    operator JAVA_TOOL_OPTIONS="${jvm_opts[*]}" MALLOC_ARENA_MAX=2 SLACK_OPERATOR_LEADER_ELECTION_IDENTITY=bench "$@"
  op_pid=$last_pid
}
operator_down() { kill "$op_pid" 2>/dev/null || true; for _ in $(seq 1 50); do kill -0 "$op_pid" 2>/dev/null || return 0; sleep 0.2; done; kill -9 "$op_pid" 2>/dev/null || true; }
ready_count() {
  k get suc -n "$1" -o jsonpath='{range .items[*]}{.status.conditions[0].status}{"\n"}{end}' 2>/dev/null \
    | grep -c '^True$' || true
}
# wait_ready <ns> <n> <timeout s>: prints the seconds it took, or "timeout"
wait_ready() {
  local t0=$SECONDS
  while [ "$(ready_count "$1")" -lt "$2" ]; do
    [ $((SECONDS - t0)) -lt "$3" ] || { echo timeout; return; }
    sleep 1
  done
  echo $((SECONDS - t0))
}
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$op_pid/status"; }
threads() { awk '/^Threads/ {print $2}' "/proc/$op_pid/status"; }
cpu_s() { awk '{printf "%.1f", ($14 + $15) / 100}' "/proc/$op_pid/stat"; }
heap_mib() {
  jcmd "$op_pid" GC.run >/dev/null 2>&1; sleep 1
  # G1: "garbage-first heap total …, used …K"; Serial: a young and an old "generation", each "total …, used …K"
  jcmd "$op_pid" GC.heap_info 2>/dev/null | awk '/(generation|garbage-first heap) +total/ {
    for (i = 1; i < NF; i++) if ($i == "used") { v = $(i + 1); sub("K.*", "", v); s += v } } END { printf "%.1f", s / 1024 }'
}
# api_requests: "verb resource count" lines of the API server's request counter (writes and reads)
api_requests() {
  curl -s --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$api/metrics" \
    | python3 -c '
import re, sys, collections
c = collections.Counter()
for line in sys.stdin:
    if line.startswith("apiserver_request_total{"):
        labels = dict(re.findall(r"(\w+)=\"([^\"]*)\"", line))
        res = labels.get("resource", "") + ("/" + labels["subresource"] if labels.get("subresource") else "")
        c[(labels.get("verb"), res)] += float(line.rsplit(" ", 1)[1])
for (verb, res), n in sorted(c.items()):
    print(verb, res, int(n))'
}
# api_delta <before file> <after file> <divisor>: requests per unit, by verb and resource (only what changed)
api_delta() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
def load(f):
    return {(a, b): int(c) for a, b, c in (l.split() for l in open(f) if len(l.split()) == 3)}
before, after, n = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
total_w = total = 0
for key in sorted(after):
    d = after[key] - before.get(key, 0)
    if d <= 0 or key[1] in ("leases", ""):
        continue
    total += d
    if key[0] in ("POST", "PUT", "PATCH", "DELETE", "APPLY", "CREATE", "UPDATE"):
        total_w += d
    print(f"  {key[0]:7} {key[1]:40} {d:7}  {d / n:6.2f} per refresh")
print(f"  all (no leases): {total / n:.2f} requests per refresh, of which writes {total_w / n:.2f}")
PY
}
unlimited='{"rateLimitsPerMinute":{"oauth.v2.access":100000000,"auth.test":100000000,"auth.revoke":100000000,"oauth.v2.exchange":100000000,"chat.postMessage":100000000}}'
# wait_refreshes <n> <timeout>: prints "<seconds from the first to the n-th> <seconds from the call>" (polls 5/s)
wait_refreshes() {
  local t0 first="" now
  t0=$(date +%s.%N)
  while :; do
    now=$(sim_stat refreshes)
    [ -z "$first" ] && [ "$now" -gt 0 ] && first=$(date +%s.%N)
    [ "$now" -ge "$1" ] && break
    python3 -c "import sys,time; sys.exit(0 if time.time()-$t0 < $2 else 1)" || { echo "timeout timeout"; return; }
    sleep 0.2
  done
  python3 -c "import time; e=time.time(); print(f'{e-${first:-$t0}:.1f} {e-$t0:.1f}')"
}

# first_refresh <ns> <n> <timeout s>: every connection of ns refreshed once, not measured, with Slack's limit raised
# (the simulator's already): that first refresh turns the Ready reason from Authorized to Refreshed, which is told
# with an Event; what is measured afterwards is a routine refresh, as every later one is. The operator is left stopped.
first_refresh() {
  python3 "$bench/seed.py" --state "$SLACK_TOKEN_OPERATOR_STATE" --namespace "$1" --make-due >/dev/null
  local base; base=$(sim_stat refreshes)
  operator_up SLACK_OPERATOR_SLACK_OAUTH_ACCESS_PER_MINUTE=100000000
  wait_refreshes $((base + $2)) "$3" >/dev/null; sleep 1; operator_down
}

scale() {
  local n="$1" ns="scale-$1" t
  python3 "$bench/seed.py" --state "$SLACK_TOKEN_OPERATOR_STATE" --namespace "$ns" --count "$n" \
    --sim-port "$sim_port" --prefix "U0S${n}X" | tee -a "$out"
  operator_up
  t=$(wait_ready "$ns" "$n" 600)
  sleep "${settle_s:-10}"
  say "scale N=$n: all Ready ${t} s after the operator started; RSS $(rss_mib) MiB, heap after GC $(heap_mib) MiB"
  # what the heap holds: the classes with the most bytes after a full GC
  jcmd "$op_pid" GC.class_histogram 2>/dev/null | sed -n '1,3p;4,23p' | sed 's/^/  /' >>"$out" || true
  operator_down
  # a restart with every connection settled (a rollout): until each has had its first pass, which the operator's
  # slack_connections gauge counts (a pass of a settled connection writes nothing the API server could show)
  local t0=$SECONDS seen=0
  operator_up
  while [ "$seen" -lt "$n" ] && [ $((SECONDS - t0)) -lt 600 ]; do
    sleep 1
    seen=$(curl -fs "http://localhost:$op_port/q/metrics" 2>/dev/null \
      | awk '/^slack_connections\{/ {s += $2} END {printf "%d", s}' || true)
  done
  say "scale N=$n: restarted with every connection settled, all reconciled $((SECONDS - t0)) s after the start;" \
    "RSS $(rss_mib) MiB"
  operator_down
}

# mass <n> <timeout s>: n connections Ready with fresh tokens, the operator stopped, every token made due (an outage
# ended), the operator started: refreshes/s from the first to the last refresh and API requests per refresh; then the
# baseline does the same refreshes with a bare client. Sets $span.
mass() {
  local n="$1" base total
  python3 "$bench/seed.py" --state "$SLACK_TOKEN_OPERATOR_STATE" --namespace mass --count "$n" \
    --sim-port "$sim_port" --prefix U0MASS | tee -a "$out"
  operator_up; wait_ready mass "$n" "$2" >/dev/null; operator_down
  sim PUT /_sim/settings "$unlimited"
  first_refresh mass "$n" "$2"
  python3 "$bench/seed.py" --state "$SLACK_TOKEN_OPERATOR_STATE" --namespace mass --make-due | tee -a "$out"
  api_requests >"$logs/api.before"; base=$(sim_stat refreshes)
  operator_up SLACK_OPERATOR_SLACK_OAUTH_ACCESS_PER_MINUTE=100000000
  read -r span total < <(wait_refreshes $((base + n)) "$2")
  local burst_rss; burst_rss=$(rss_mib)
  sleep 5; api_requests >"$logs/api.after"
  say "mass N=$n: operator refreshed all in $span s from the first refresh ($total s after start):" \
    "$(python3 -c "print(f'{$n/max($span,0.1):.1f}')" 2>/dev/null || echo '?') refreshes/s; RSS after it $burst_rss MiB"
  api_delta "$logs/api.before" "$logs/api.after" "$n" | tee -a "$out"
  say "  client-side throttling warnings in the operator log: $(grep -ci "client-side throttling" "$logs/operator.log" || true)"
  operator_down
  # the bare baseline (store and workload Secret), then the same writes as the operator's (--safe: journal, pair,
  # workload Secret, status), each refreshing all n again
  local variant rate op_rate
  op_rate=$(python3 -c "print(f'{$n/max($span,0.1):.1f}')")
  for variant in "" --safe; do
    api_requests >"$logs/api.before"
    [ -f "$logs/baseline/Baseline.class" ] \
      || javac -d "$logs/baseline" -cp "$repo/target/quarkus-app/lib/main/*" "$bench/Baseline.java"
    rate=$(java -cp "$logs/baseline:$repo/target/quarkus-app/lib/main/*" Baseline "http://localhost:$sim_port" \
      1111.2222 sim-client-secret 8 mass $variant 2>>"$logs/baseline.log" | tee -a "$out" \
      | sed -n 's/.* \([0-9.]*\) refreshes\/s$/\1/p')
    api_requests >"$logs/api.after"
    api_delta "$logs/api.before" "$logs/api.after" "$n" | tee -a "$out"
    say "  ratio operator / baseline${variant:+ $variant}: $(python3 -c "print(f'{$op_rate/max(${rate:-0},0.1):.2f}')")"
  done
}

# cold_start: starts the operator (no connection yet) and sets $ready_s, the seconds until its readiness probe answers
# UP (as the chart's probes see it: Quarkus up, the Lease taken, the controller's informers synced)
cold_start() {
  local t0; t0=$(date +%s.%N)
  operator_up
  for _ in $(seq 1 600); do curl -fs -o /dev/null "http://localhost:$op_port/q/health/ready" && break; sleep 0.1; done
  ready_s=$(python3 -c "import time; print(f'{time.time()-$t0:.1f}')")
}

# scale_zero: the operator alone: cold start, then RSS and heap once settled
scale_zero() {
  cold_start; sleep "${settle_s:-8}"
  say "scale N=0: ready ${ready_s} s after the JVM started; RSS $(rss_mib) MiB, heap after GC $(heap_mib) MiB"
  operator_down
}

# latency <m>: m connections without tokens; one at a time, a browser goes through the link, the confirmation page and
# the simulator's consent, then the callback alone is timed from the operator's own metrics (bench/callbacks.py)
latency() {
  local m="$1" ns="latency-$1" linked
  k create namespace "$ns" >/dev/null
  for i in $(seq 1 "$m"); do
    printf -- '---\napiVersion: slacktokens.dev/v1alpha1\nkind: SlackUserConnection\nmetadata: {name: c%04d}\nspec: {userScopes: [chat:write]}\n' "$i"
  done | k apply -n "$ns" -f - >/dev/null
  operator_up
  for _ in $(seq 1 300); do
    linked=$(k get suc -n "$ns" -o jsonpath='{range .items[*]}{.status.authorizeUrl}{"\n"}{end}' 2>/dev/null | grep -c . || true)
    [ "$linked" -lt "$m" ] || break
    sleep 1
  done
  local result
  result=$(python3 "$bench/callbacks.py" --operator "http://localhost:$op_port" --namespace "$ns" --kubectl "$KUBECTL") \
    || { echo "bench latency: $result"; exit 1; }
  say "latency M=$m: $result"
  operator_down
}

# failover <n>: two operators (A, B) with the chart's Lease timings (15 s / 10 s / 2 s) and refreshBefore 30 s (the
# jitter then spreads the n refreshes over at most 1.5 s); n connections whose tokens all come due shortly after
# both operators have settled; the Lease holder is killed with -9 5 s before the first refreshAt. Measures, from the
# kill: the other operator holding the Lease, its first refresh, all n refreshed. Sets $first.
failover() {
  local n="$1" ns="failover-$1" due_in leader victim t_kill base at wait_s t_lease="" t_first="" now_n
  due_in=$((30 + 20 + n / 20))
  python3 "$bench/seed.py" --state "$SLACK_TOKEN_OPERATOR_STATE" --namespace "$ns" --count "$n" \
    --sim-port "$sim_port" --prefix "U0FO${n}X" --expires-in "$due_in" | tee -a "$out"
  sim PUT /_sim/settings "$unlimited"
  local ports=() pids_fo=()
  for id in a b; do
    ports+=("$(free_port)")
    start_operator "${ports[-1]}" "http://localhost:${ports[-1]}" "http://localhost:$sim_port" \
      "$logs/operator.kubeconfig" "failover-$id" JAVA_TOOL_OPTIONS="${jvm_opts[*]}" MALLOC_ARENA_MAX=2 \
      SLACK_OPERATOR_LEADER_ELECTION_IDENTITY="bench-$id" SLACK_OPERATOR_REFRESH_BEFORE=30s \
      SLACK_OPERATOR_SLACK_OAUTH_ACCESS_PER_MINUTE=100000000
    pids_fo+=("$last_pid")
  done
  wait_ready "$ns" "$n" 600 >/dev/null
  leader="$(lease_holder)"
  if [ "$leader" = bench-a ]; then victim="${pids_fo[0]}"; else victim="${pids_fo[1]}"; fi
  at="$(k get suc -n "$ns" -o jsonpath='{range .items[*]}{.status.refreshAt}{"\n"}{end}' | sort | awk 'NR == 1')"
  wait_s=$(( $(date -d "$at" +%s) - $(date +%s) - 5 ))
  [ "$wait_s" -gt 0 ] || { say "failover N=$n: not settled before the tokens came due (raise due_in)"; first=timeout; return; }
  sleep "$wait_s"
  base=$(sim_stat refreshes)
  t_kill=$(date +%s.%N); kill -9 "$victim"; { wait "$victim"; } 2>/dev/null || true
  while :; do
    local el; el=$(python3 -c "import time; print(f'{time.time()-$t_kill:.1f}')")
    if [ -z "$t_lease" ]; then
      local h; h="$(lease_holder)"
      [ -z "$h" ] || [ "$h" = "$leader" ] || t_lease=$el
    fi
    now_n=$(sim_stat refreshes)
    [ -n "$t_first" ] || [ "$now_n" -le "$base" ] || t_first=$el
    [ "$now_n" -lt $((base + n)) ] || break
    python3 -c "import sys; sys.exit(0 if $el < 300 else 1)" || { t_first=${t_first:-timeout}; break; }
    sleep 0.2
  done
  first=$t_first
  say "failover N=$n: leader $leader killed with -9 5 s before the first of $n tokens came due: Lease taken over" \
    "after ${t_lease:-?} s (lease duration 15 s), first refresh by the new leader after ${t_first} s, all $n" \
    "refreshed after ${el} s (target: first refresh within 20 s); reused refresh tokens after grace:" \
    "$(sim_stat refresh_reuse_after_grace), rejected: $(sim_stat refresh_rejected)"
  for p in "${pids_fo[@]}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids_fo[@]}" 2>/dev/null || true
}

# jvm <n> <opts>...: the same mass refresh of n connections under each set of JVM options in turn (the chart's
# first): refreshes/s, CPU, RSS 60 s after the last refresh (no forced GC: what the container limit sees), threads,
# heap after a forced GC. Slack's limit raised, as in mass.
jvm() {
  local n="$1" opts span total base; shift
  python3 "$bench/seed.py" --state "$SLACK_TOKEN_OPERATOR_STATE" --namespace jvm --count "$n" \
    --sim-port "$sim_port" --prefix U0JVM | tee -a "$out"
  operator_up; wait_ready jvm "$n" 1800 >/dev/null; operator_down
  sim PUT /_sim/settings "$unlimited"
  first_refresh jvm "$n" 1800
  for opts in "$chart_jvm" "$@"; do
    python3 "$bench/seed.py" --state "$SLACK_TOKEN_OPERATOR_STATE" --namespace jvm --make-due >/dev/null
    base=$(sim_stat refreshes)
    # words like MALLOC_ARENA_MAX=2 are the process's environment, the rest JVM options
    local env_words=() word; jvm_opts=(-XX:MaxRAM=512m)
    for word in $opts; do
      if [[ "$word" =~ ^[A-Z_]+= ]]; then env_words+=("$word"); else jvm_opts+=("$word"); fi
    done
    operator_up SLACK_OPERATOR_SLACK_OAUTH_ACCESS_PER_MINUTE=100000000 "${env_words[@]}"
    read -r span total < <(wait_refreshes $((base + n)) 1800)
    local cpu; cpu=$(cpu_s)
    sleep 60
    say "jvm N=$n [$opts]: $(python3 -c "print(f'{$n/max($span,0.1):.1f}')") refreshes/s, CPU ${cpu} s" \
      "($(python3 -c "print(f'{$cpu*1000/$n:.1f}')") ms per refresh, start included); 60 s later RSS $(rss_mib) MiB," \
      "$(threads) threads; heap after GC $(heap_mib) MiB, RSS then $(rss_mib) MiB"
    operator_down
  done
}

# op_metrics <file>: the operator's Prometheus metrics
op_metrics() { curl -fs "http://localhost:$op_port/q/metrics" >"$1"; }

# steady <n> <cycle s>: a 12 h token lifetime scaled down to <cycle> s; the operator's refreshBefore (2 h) and Slack's
# limit (600/min) scaled by the same factor. n connections whose tokens expire at random over one cycle, starting
# after the operator has settled; measured from all Ready to one cycle later: refreshes, how late each refresh on
# schedule started against its refreshAt (the operator's slack_token_refresh_lateness_seconds histogram), refreshes
# after expiry, the operator's CPU per refresh.
steady() {
  local n="$1" cycle="$2" ns="steady-$1" margin limit settle t span
  margin=$(( 7200 * cycle / 43200 )); limit=$(( 600 * 43200 / cycle )); settle=$(( 30 + n / 40 ))
  sim PUT /_sim/settings "{\"tokenLifetimeSeconds\":$cycle,\"rateLimitsPerMinute\":{\"oauth.v2.access\":$limit}}"
  python3 "$bench/seed.py" --state "$SLACK_TOKEN_OPERATOR_STATE" --namespace "$ns" --count "$n" \
    --sim-port "$sim_port" --prefix "U0ST${n}X" --expires-between $((settle + margin)) $((settle + margin + cycle)) \
    | tee -a "$out"
  local t0=$SECONDS
  operator_up SLACK_OPERATOR_REFRESH_BEFORE="${margin}s" SLACK_OPERATOR_SLACK_OAUTH_ACCESS_PER_MINUTE="$limit"
  t=$(wait_ready "$ns" "$n" 1800)
  [ "$t" != timeout ] && [ $((SECONDS - t0)) -lt "$settle" ] \
    || say "steady N=$n: the operator took ${t} s to settle, longer than the ${settle} s allowed: early refreshes are late"
  op_metrics "$logs/metrics.before"; local cpu0 base; cpu0=$(cpu_s); base=$(sim_stat refreshes)
  sleep $(( settle + cycle + 30 - (SECONDS - t0) ))
  op_metrics "$logs/metrics.after"; local cpu1; cpu1=$(cpu_s)
  local refreshes=$(( $(sim_stat refreshes) - base ))
  say "steady N=$n, cycle $cycle s (12 h / $((43200 / cycle)); refreshBefore ${margin} s, Slack limit $limit/min):" \
    "$refreshes refreshes in $((SECONDS - t0 - t)) s; not Ready at the end: $((n - $(ready_count "$ns")));" \
    "CPU $(python3 -c "print(f'{($cpu1-$cpu0)*1000/max($refreshes,1):.1f}')") ms per refresh (idle time included);" \
    "RSS $(rss_mib) MiB"
  python3 - "$logs/metrics.before" "$logs/metrics.after" <<'PY' | tee -a "$out"
import re, sys
def load(path):
    buckets, plain = {}, {}
    for line in open(path):
        m = re.match(r'slack_token_refresh_lateness_seconds_bucket\{le="([^"]+)",?\} (\S+)', line)
        if m:
            buckets[float(m.group(1))] = float(m.group(2))
        m = re.match(r'(slack_token_refresh_lateness_seconds_(?:count|sum)|slack_token_refreshes_after_expiry_total) (\S+)', line)
        if m:
            plain[m.group(1)] = float(m.group(2))
    return buckets, plain
(b0, p0), (b1, p1) = load(sys.argv[1]), load(sys.argv[2])
d = lambda k: p1.get(k, 0) - p0.get(k, 0)
count = d("slack_token_refresh_lateness_seconds_count")
bounds = sorted(b1)
cum = [(le, b1[le] - b0.get(le, 0)) for le in bounds]
def quantile(q):
    # as Prometheus' histogram_quantile: linear inside the bucket that holds the rank
    rank, lower, below = q * count, 0.0, 0.0
    for le, c in cum:
        if c >= rank:
            return lower if le == float("inf") else lower + (le - lower) * ((rank - below) / max(c - below, 1e-9))
        lower, below = le, c
    return float("nan")
print(f"  refreshes on schedule: {count:.0f}; lateness against refreshAt p50 {quantile(0.5):.2f} s, "
      f"p99 {quantile(0.99):.2f} s, mean {d('slack_token_refresh_lateness_seconds_sum') / max(count, 1):.2f} s "
      f"(histogram buckets, interpolated); refreshes after expiry (missed expiries): "
      f"{d('slack_token_refreshes_after_expiry_total'):.0f}")
PY
  operator_down
}

case "$mode" in
  steady)
    steady "${1:?steady N CYCLE}" "${2:-720}"
    ;;
  jvm)
    n="${1:?jvm N OPTS...}"; shift
    jvm "$n" "$@"
    ;;
  smoke)
    settle_s=3 scale_zero
    settle_s=3 scale 50
    mass 50 120
    [ "$span" != timeout ] || { echo "bench smoke: refreshes did not complete"; exit 1; }
    failover 20
    [ "$first" != timeout ] || { echo "bench smoke: no refresh after the failover"; exit 1; }
    latency 10
    ;;
  latency)
    latency "${1:?latency M}"
    ;;
  failover)
    failover "${1:?failover N}"
    ;;
  scale)
    scale_zero
    for n in "$@"; do scale "$n"; done
    last="${*: -1}"
    python3 "$bench/seed.py" --state "$SLACK_TOKEN_OPERATOR_STATE" --namespace unrelated --unrelated "$last" \
      | tee -a "$out"
    operator_up
    t=$(wait_ready "scale-$last" "$last" 600); sleep 10
    say "scale N=$last + $last unrelated Secrets and ConfigMaps: all Ready ${t} s after start; RSS $(rss_mib) MiB, heap after GC $(heap_mib) MiB"
    operator_down
    ;;
  mass)
    mass "${1:?mass N}" 1800
    ;;
  limit)
    n="${1:?limit N}"
    python3 "$bench/seed.py" --state "$SLACK_TOKEN_OPERATOR_STATE" --namespace mass --count "$n" \
      --sim-port "$sim_port" --prefix U0LIM | tee -a "$out"
    operator_up; wait_ready mass "$n" 1800 >/dev/null; operator_down
    python3 "$bench/seed.py" --state "$SLACK_TOKEN_OPERATOR_STATE" --namespace mass --make-due | tee -a "$out"
    base=$(sim_stat refreshes); limited=$(sim_stat rate_limited)
    operator_up
    read -r span total < <(wait_refreshes $((base + n)) 3600)
    # the fastest a sliding 600/min allows: each further 600 a minute after the one before (docs/benchmarks.md)
    say "limit N=$n at 600/min: all refreshed in $span s from the first refresh (the limit allows" \
      "$(( (n - 1) / 600 * 60 )) s plus the time to send the last $(( (n - 1) % 600 + 1 )))," \
      "429s drawn from Slack: $(( $(sim_stat rate_limited) - limited ))"
    operator_down
    ;;
  *) echo "usage: bench/run.sh smoke | scale N [N...] | mass N | limit N | failover N | latency M | jvm N OPTS... | steady N CYCLE"; exit 2 ;;
esac
say "results: $out"
