#!/usr/bin/env bash
# Proves the README's Docker path in this checkout, for real:
#   1. docker compose --profile lab up -d --build --wait (the quick start,
#      detached, with the attack lab's seed app), then wait until the app
#      instances (:3000, :3001, :3002, :3005), the seed (:3004) and the demo
#      API (:4000) answer
#   2. the end-to-end browser tests (cd e2e && go test .) against those containers:
#      E2E_TARGET=compose, the same tests as against a local run
#   3. the scale profile as docs/docker.md starts it (docker compose up --build
#      proxy, keeping Keycloak running), and TestComposeScale against it
#      (E2E_TARGET=compose-scale): log in through nginx, restart and recreate
#      both replicas, stop and start Redis
#   4. docker compose --profile scale --profile lab down -v, and a check that nothing of
#      the project is left (docs/docker.md: leaving the scale profile)
# Everything it starts is taken down when it ends, failed or not.
#
# Needs: a Docker engine (docker info), Docker Compose 2.24.4 or newer, Go,
# Chromium, and ports 3000, 3001, 4000 and 8080 free. It removes the
# project's containers and its Redis volume first, if any are left.
# On a machine without access to a container registry, build the images
# first with ../shared/compose/standin-images.sh (.ci/run does).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MIN_COMPOSE=2.24.4 # extends with !override / !reset (docs/docker.md)
PROJECT=authcode-demo # name: in docker-compose.yml
ARTIFACTS=${E2E_ARTIFACTS:-$PWD/e2e/artifacts}/compose
start=$(date +%s)

step() { printf '\n==> [compose %ss] %s\n' "$(($(date +%s) - start))" "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

step "Checking the Docker engine and Docker Compose"
docker info >/dev/null 2>&1 || fail "no Docker engine answers (docker info): start one (dockerd, or Docker Desktop)"
compose_version=$(docker compose version --short 2>/dev/null) ||
    fail "docker compose is missing: install the Docker Compose plugin ($MIN_COMPOSE or newer)"
compose_version=${compose_version#v}
if [ "$(printf '%s\n%s\n' "$MIN_COMPOSE" "$compose_version" | sort -V | head -n1)" != "$MIN_COMPOSE" ]; then
    fail "Docker Compose $compose_version is older than $MIN_COMPOSE, which docker-compose.yml needs (extends with !override/!reset)"
fi
echo "Docker engine $(docker version -f '{{.Server.Version}}'), Docker Compose $compose_version"
command -v chromium >/dev/null 2>&1 || fail "chromium not found (apt-get install chromium): the browser tests need it"
if [ ! -f e2e/node_modules/axe-core/axe.min.js ]; then
    echo "Installing axe-core for the accessibility checks (npm ci --prefix e2e)..."
    npm ci --prefix e2e --no-audit --no-fund --loglevel=error
fi

down_all() {
    docker compose --profile scale --profile lab down -v --remove-orphans --timeout 20 2>&1 | sed 's/^/  /'
}
cleanup() {
    status=$?
    trap - EXIT
    if [ "$status" -ne 0 ]; then
        mkdir -p "$ARTIFACTS"
        docker compose --profile scale --profile lab ps -a 2>&1 || true
        docker compose --profile scale --profile lab logs --no-color --timestamps >"$ARTIFACTS/compose.log" 2>&1 || true
        echo "The containers' logs: $ARTIFACTS/compose.log"
    fi
    step "Taking down everything this script started (docker compose --profile scale --profile lab down -v)"
    down_all || true
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Removing what an earlier run may have left (docker compose --profile scale --profile lab down -v)"
down_all
for port in 3000 3001 3002 3004 3005 4000 8080; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        fail "port $port is in use (see: ss -ltnp 'sport = :$port'): docker compose up needs it (scripts/keycloak.sh stop? scripts/demo.sh stop?)"
    fi
done

# wait_ready NAME URL...: polls URL/readyz until each answers 200, with a
# message every 10 s; gives up after 3 minutes.
wait_ready() {
    local what=$1 url waited=0
    shift
    for url in "$@"; do
        until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/readyz")" = 200 ]; do
            if [ "$waited" -ge 180 ]; then
                docker compose --profile scale --profile lab ps -a
                fail "$what: $url/readyz did not answer 200 within 180 s"
            fi
            if [ $((waited % 10)) -eq 0 ]; then
                echo "  waiting for $url/readyz ($what, ${waited}s so far)..."
            fi
            sleep 2
            waited=$((waited + 2))
        done
        echo "  $url/readyz: 200"
    done
}

step "docker compose --profile lab up -d --build --wait  (the README's quick start, detached, with the attack lab's seed app; builds the app image)"
docker compose --profile lab up -d --build --wait --wait-timeout 600
docker compose --profile lab ps
step "Waiting until the app instances, the seed app and the demo API are ready"
wait_ready "docker compose up" http://localhost:3000 http://localhost:3001 http://localhost:3002 http://localhost:3005 http://localhost:3004 http://localhost:4000

step "go test -race -v (e2e module) against the compose services (E2E_TARGET=compose)"
mkdir -p "$ARTIFACTS/plain" "$ARTIFACTS/scale"
(cd e2e && E2E_TARGET=compose E2E_ARTIFACTS="$ARTIFACTS/plain" go test -race -count=1 -timeout 15m -v .)

# docs/docker.md stops everything first (docker compose down); here only the
# single app and the second instance go (the proxy wants port 3000), so
# that the running Keycloak is reused: its first start in a new container
# takes minutes on a small machine.
step "The scale profile, as docs/docker.md starts it: docker compose up --build proxy (after removing app and app2)"
docker compose rm --stop --force app app2
docker compose up -d --build --wait --wait-timeout 600 proxy
docker compose ps
wait_ready "docker compose up proxy" http://localhost:3000 http://localhost:4000

step "go test -race -v -run TestComposeScale (e2e module) against the scale profile (E2E_TARGET=compose-scale)"
(cd e2e && E2E_TARGET=compose-scale E2E_ARTIFACTS="$ARTIFACTS/scale" go test -race -count=1 -timeout 10m -v -run '^TestComposeScale$' .)

step "Leaving the scale profile (docs/docker.md)"
docker compose down --timeout 20
left=$(docker ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}' | sort | tr '\n' ' ')
echo "A plain docker compose down left these containers running: ${left:-none}"
docker compose --profile scale --profile lab down -v --timeout 20
left=$(docker ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}' | sort | tr '\n' ' ')
[ -z "$left" ] || fail "docker compose --profile scale --profile lab down -v left containers: $left"
left=$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | tr '\n' ' ')
[ -z "$left" ] || fail "docker compose --profile scale --profile lab down -v left volumes: $left"
left=$(docker network ls -q --filter "label=com.docker.compose.project=$PROJECT" | tr '\n' ' ')
[ -z "$left" ] || fail "docker compose --profile scale --profile lab down -v left networks: $left"
if (exec 3<>/dev/tcp/127.0.0.1/3000) 2>/dev/null; then
    fail "port 3000 is still taken after docker compose --profile scale --profile lab down: the next docker compose up would fail"
fi
echo "Nothing of the project is left: the next docker compose up starts clean."

step "The Docker path passed."
