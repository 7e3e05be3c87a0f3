#!/usr/bin/env bash
# Smoke test of the benchmark runners (not a timing): each command at its smallest settings, from the Release build
# that CI made. Fails when a command fails or does not print every figure it owes.
set -euo pipefail
cd "$(dirname "$0")/../.."

run() {
  local figures="$1"; shift
  echo "smoke: $*"
  local out
  if ! out=$(timeout 120 dotnet run -c Release --no-build --project benchmarks/TaskRunner.Benchmarks -- "$@"); then
    echo "smoke: '$*' failed" >&2
    echo "$out" >&2
    exit 1
  fi
  echo "$out"
  last_out="$out"
  for figure in $figures; do
    if ! grep -Eq "^$figure: -?[0-9]+(\.[0-9]+)?$" <<<"$out"; then
      echo "smoke: '$*' printed no '$figure' figure" >&2
      exit 1
    fi
  done
}

run "jobs_per_s allocated_bytes_per_job report_latency_ms_p50 report_latency_ms_p99" e2e --backend memory --jobs 2000 --workers 10
run "jobs_per_s allocated_bytes_per_job report_latency_ms_p50 report_latency_ms_p99" e2e --backend sqlite --jobs 2000 --workers 10
run "latency_us_p50 latency_us_p95 latency_us_p99" latency --backend memory --jobs 20 --gap-ms 2
run "latency_us_p50 latency_us_p95 latency_us_p99" latency --backend sqlite --jobs 20 --gap-ms 2
run "start_deviation_ms_p50 start_deviation_ms_p99 start_deviation_ms_max" delayed --backend memory --jobs 20 --min-ms 100 --max-ms 500
run "start_deviation_ms_p50 start_deviation_ms_p99 start_deviation_ms_max" delayed --backend sqlite --jobs 20 --min-ms 100 --max-ms 500
run "fired expected within_10ms_pct max_deviation_ms" punctuality --schedules 10 --seconds 2
run "claim_us_at_1k claim_us_at_20000 claim_ratio" claim-scaling --backend memory --large 20000 --rounds 20
run "claim_us_at_1k claim_us_at_20000 claim_ratio" claim-scaling --backend sqlite --large 20000 --rounds 20
run "single_commits_per_s batched_claim_complete_per_s" sqlite-limit --seconds 1 --rows 5000
run "files events extractions lost change_to_metadata_ms_p50 change_to_metadata_ms_p99 rescan_files_per_s" extraction --files 500 --edits 2
if ! grep -q '^lost: 0$' <<<"$last_out"; then
  echo "smoke: the change feed lost changes" >&2
  exit 1
fi
if [ -n "${TASKRUNNER_POSTGRES:-}" ]; then
  run "jobs_per_s allocated_bytes_per_job" e2e --backend postgres --jobs 2000 --workers 10
  run "latency_us_p50 latency_us_p95 latency_us_p99" latency --backend postgres --jobs 20 --gap-ms 2
  run "single_commits_per_s batched_claim_complete_per_s" postgres-limit --seconds 1 --rows 5000
  run "latency_us_p50 latency_us_p95 latency_us_p99" latency --backend postgres --cross-process --jobs 20 --gap-ms 2
  run "claim_call_us complete_call_us" claim-probe --backend postgres --jobs 2000
  # The PostgreSQL micro-benchmarks, one dry iteration each in this process: that they run, not their timings.
  # LockBenchmarks measures every backend (a Backend parameter, PostgreSQL included while TASKRUNNER_POSTGRES is set):
  # its PostgreSQL rows are the ones checked.
  echo "smoke: BenchmarkDotNet --filter '*Postgres*' '*LockBenchmarks*' --job Dry"
  if ! out=$(timeout 600 dotnet run -c Release --no-build --project benchmarks/TaskRunner.Benchmarks -- --filter '*Postgres*' '*LockBenchmarks*' --job Dry --inProcess 2>&1); then
    echo "$out" >&2
    echo "smoke: the PostgreSQL micro-benchmarks failed" >&2
    exit 1
  fi
  for row in 'ClaimPerJob *\|' 'ClaimCompletePerJob *\|' 'ProviderAcquireRelease *\| *Postgres *\|' 'StoreAcquireRelease *\| *Postgres *\|'; do
    if ! grep -Eq "^\| *$row.* (ns|μs|us|ms|s) " <<<"$out"; then
      echo "$out" >&2
      echo "smoke: the micro-benchmark row '$row' printed no time" >&2
      exit 1
    fi
  done
else
  echo "smoke: TASKRUNNER_POSTGRES is not set; the postgres runs are left out (bash .ci/run sets it)"
fi
if [ -n "${TASKRUNNER_MONGO_URI:-}" ]; then
  run "jobs_per_s allocated_bytes_per_job" e2e --backend mongo --jobs 2000 --workers 10
  run "latency_us_p50 latency_us_p95 latency_us_p99" latency --backend mongo --jobs 20 --gap-ms 2
else
  echo "smoke: TASKRUNNER_MONGO_URI is not set; the mongo runs are left out (docs/mongodb.md says how to start a server)"
fi
echo "smoke: benchmark runners OK"
