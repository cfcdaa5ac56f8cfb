#!/usr/bin/env bash
# The load run of authcode-demo (BENCHMARKS.md): the app, the in-process test
# provider and a load generator, each in its own process, on 127.0.0.1 only.
# It stops by itself (-timeout, 10 min at most) and prints its figures.
#
#   scripts/load.sh                         # 200 users x 20 profile views, 10,000 sessions
#   scripts/load.sh -users 50 -sessions 0   # any flag of go run ./cmd/loadrun -h
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec go run ./cmd/loadrun "$@"
