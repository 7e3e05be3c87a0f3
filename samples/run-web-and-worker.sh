#!/usr/bin/env bash
# Starts the sample pair on one SQLite file: samples/WorkerService runs the jobs that samples/WebEnqueue enqueues over HTTP.
# Ctrl+C stops both.   bash samples/run-web-and-worker.sh [port]
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-5080}
db=$(mktemp -d)/pair.db
dotnet build samples/WebEnqueue -c Release -v quiet -nologo
dotnet build samples/WorkerService -c Release -v quiet -nologo
dotnet run -c Release --no-build --project samples/WorkerService -- --db "$db" &
worker=$!
dotnet run -c Release --no-build --project samples/WebEnqueue -- --db "$db" --urls "http://127.0.0.1:$port" &
web=$!
trap 'kill $web $worker 2>/dev/null; wait' EXIT INT TERM
echo "database $db; try:"
echo "  curl -X POST http://127.0.0.1:$port/thumbnails -H 'content-type: application/json' -d '{\"url\":\"https://example.org/a.png\",\"width\":64}'"
echo "  curl http://127.0.0.1:$port/jobs/1"
wait -n $web $worker
