#!/usr/bin/env bash
# Runs every test of authcode-demo:
#   1. tracked files (no compiled binary, none over 1 MiB), templ output in
#      sync, gofmt, go vet (the app's module and the e2e module)
#   2. go test -race: unit, integration, fuzz seeds (the app's module)
#   3. scripts/exercises.sh: every workshop exercise's patch breaks its test
#      with the app's own reason, and the test passes without it
#   4. the e2e module (e2e/go.mod): the deployment-file checks, then the
#      end-to-end tests against real Keycloak in headless Chromium
#
# Keycloak: used if it already runs on localhost:8080; otherwise started with
# scripts/keycloak.sh and stopped again at the end (KEYCLOAK=skip to not start it).
# Outside CI, end-to-end tests without Keycloak or Chromium are skipped with a
# message; with CI=true they fail.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

step "Checking tracked files: no compiled binary, none over 1 MiB"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    bad_files=""
    while IFS= read -r -d '' f; do
        [ -f "$f" ] || continue
        size=$(wc -c <"$f")
        if [ "$size" -gt 1048576 ]; then
            bad_files="$bad_files\n  $f: $size bytes (over 1 MiB)"
        fi
        # ELF (Linux), Mach-O (macOS), PE (Windows) executables and archives.
        magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
        case "$magic" in
            7f454c46|cffaedfe|cefaedfe|feedfacf|feedface|cafebabe|4d5a*|213c6172)
                bad_files="$bad_files\n  $f: a compiled binary" ;;
        esac
    done < <(git ls-files -z)
    [ -z "$bad_files" ] || fail "$(printf "tracked files that do not belong in git (git rm --cached them):$bad_files")"
else
    echo "(not a git checkout: nothing to check)"
fi

step "Checking that templ's generated files are in sync (go tool templ generate)"
go tool templ generate >/dev/null 2>&1 || fail "templ generate failed: run 'go tool templ generate' to see why"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    if ! git diff --quiet -- '*_templ.go' || [ -n "$(git ls-files --others --exclude-standard -- '*_templ.go')" ]; then
        git --no-pager diff --stat -- '*_templ.go'
        fail "*_templ.go files were out of date; 'go tool templ generate' has updated them: commit them"
    fi
else
    echo "(not a git checkout: cannot compare, generated files were refreshed)"
fi

step "Checking formatting (gofmt)"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path '*/node_modules/*'))
[ -z "$unformatted" ] || fail "gofmt would change: $unformatted (run gofmt -w on them)"

step "go vet ./... (the app's module, then the e2e module)"
go vet ./...
(cd e2e && go vet ./...)

started_keycloak=false
stop_keycloak() {
    if $started_keycloak; then
        step "Stopping the Keycloak this script started"
        scripts/keycloak.sh stop || true
    fi
}
trap stop_keycloak EXIT

step "Preparing the end-to-end tests (Keycloak, Chromium, axe-core)"
if scripts/keycloak.sh status >/dev/null 2>&1 || (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
    echo "Keycloak is already running on localhost:8080: using it."
elif [ "${KEYCLOAK:-}" = skip ]; then
    echo "KEYCLOAK=skip: not starting Keycloak; the end-to-end tests will say so."
elif scripts/keycloak.sh start; then
    started_keycloak=true
elif [ "${CI:-}" = true ]; then
    fail "Keycloak could not be started (see the messages above)"
else
    echo "WARNING: Keycloak could not be started (see above); the end-to-end tests will be skipped."
fi

if command -v npm >/dev/null 2>&1; then
    if [ ! -f e2e/node_modules/axe-core/axe.min.js ]; then
        echo "Installing axe-core for the accessibility checks (npm ci --prefix e2e)..."
        npm ci --prefix e2e --no-audit --no-fund --loglevel=error
    fi
else
    echo "WARNING: npm not found: the accessibility checks will report axe-core missing."
fi
command -v chromium >/dev/null 2>&1 || echo "WARNING: chromium not found (apt-get install chromium): browser tests will be skipped${CI:+ (CI: they fail)}."

step "go test -race ./... (unit, integration, fuzz seeds)"
go test -race -count=1 -timeout 10m ./...

step "scripts/exercises.sh (each workshop exercise: its patch compiles, and its test fails with the app's own reason)"
bash scripts/exercises.sh

step "go test -race ./deploycheck/ in e2e/ (docker-compose.yml, the realm, the scripts, the docs)"
(cd e2e && go test -race -count=1 -timeout 5m ./deploycheck/)

# Verbose, so the log shows each browser scenario step by step (and any skip
# with its reason).
step "go test -race -v . in e2e/ (real Keycloak, headless Chromium)"
(cd e2e && go test -race -count=1 -timeout 15m -v .)
step "All tests passed."
