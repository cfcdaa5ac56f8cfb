#!/usr/bin/env bash
# Run the whole demo without Docker: Keycloak, the demo API and three instances
# of the app (two for single sign-on and single logout between them, one with
# the FAPI 2.0 options on), cmd/minimal, and the seed app (the lab's target).
#
#   scripts/demo.sh start    start Keycloak (if needed), build, start the programs
#   scripts/demo.sh stop     stop everything it started but Keycloak
#   scripts/demo.sh status   what runs, and whether it is ready
#
#   http://localhost:3000    the app (client demo-app, cookie "session")
#   http://localhost:3001    the same app again (client demo-app-2, cookie "session2")
#   http://localhost:3002    the app with the FAPI 2.0 options (client demo-app-fapi, cookie "session3")
#   http://localhost:3003    cmd/minimal, the whole flow in one file (client demo-minimal, cookie "minimal_session")
#   http://localhost:4000    the demo API (resource server)
#   http://localhost:3004    the seed app (cmd/seed, client demo-seed): DELIBERATELY INSECURE
#   http://localhost:3005    the app asking for consent (client demo-app-consent, cookie "session_consent")
#
# Binaries, logs (api.log, app.log, app2.log, app3.log, minimal.log, seed.log, consent.log) and pid files live in the same
# cache folder as Keycloak's (KEYCLOAK_CACHE_DIR, default ~/.cache/authcode-demo).
# Environment variables set here win over a .env file in the repository.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${KEYCLOAK_CACHE_DIR:-$HOME/.cache/authcode-demo}"
BIN_DIR="$CACHE_DIR/bin"
ISSUER="http://localhost:8080/realms/demo"

# name, port, and the settings of each program (on top of config.example.env's
# defaults; the secrets are the demo realm's, public on purpose).
PROGRAMS=(api app app2 app3 minimal seed consent)
declare -A PORT=([api]=4000 [app]=3000 [app2]=3001 [app3]=3002 [minimal]=3003 [seed]=3004 [consent]=3005)

say() { printf '[demo] %s\n' "$*"; }
die() { printf '[demo] ERROR: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

pid_file() { echo "$CACHE_DIR/$1.pid"; }
log_file() { echo "$CACHE_DIR/$1.log"; }

running_pid() {
    local pid
    [[ -f "$(pid_file "$1")" ]] || return 1
    pid="$(cat "$(pid_file "$1")" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# http_status PORT PATH: the status code of GET http://127.0.0.1:PORT/PATH, or nothing.
http_status() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
        printf "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" "$1" >&3
        IFS=" " read -r _ code _ <&3 && printf "%s" "$code"
    ' "$1" "$2" 2>/dev/null || true
}

# env_of NAME: the settings of one program, as VAR=value words for env(1).
env_of() {
    local common=(OIDC_ISSUER="$ISSUER" OIDC_DISCOVERY_URL= LOG_LEVEL=info)
    case "$1" in
        api) echo "${common[@]}" API_LISTEN_ADDR=localhost:4000 API_AUDIENCE=demo-api ;;
        app) echo "${common[@]}" LISTEN_ADDR=localhost:3000 BASE_URL=http://localhost:3000 \
            OIDC_CLIENT_ID=demo-app OIDC_CLIENT_SECRET=demo-app-secret-change-me \
            SESSION_COOKIE_NAME=session API_URL=http://localhost:4000 \
            OIDC_SERVICE_CLIENT_ID=demo-app-service OIDC_SERVICE_CLIENT_SECRET=demo-app-service-secret-change-me ;;
        # The second instance: its own client, port and (cookies are not
        # port-specific) its own session cookie name.
        app2) echo "${common[@]}" LISTEN_ADDR=localhost:3001 BASE_URL=http://localhost:3001 \
            OIDC_CLIENT_ID=demo-app-2 OIDC_CLIENT_SECRET=demo-app-2-secret-change-me \
            SESSION_COOKIE_NAME=session2 API_URL=http://localhost:4000 \
            OIDC_SERVICE_CLIENT_ID=demo-app-service OIDC_SERVICE_CLIENT_SECRET=demo-app-service-secret-change-me ;;
        # The third instance: client demo-app-fapi, with the FAPI 2.0
        # options on (docs/fapi.md).
        app3) echo "${common[@]}" LISTEN_ADDR=localhost:3002 BASE_URL=http://localhost:3002 \
            OIDC_CLIENT_ID=demo-app-fapi OIDC_CLIENT_SECRET= \
            OIDC_CLIENT_AUTH=private_key_jwt OIDC_CLIENT_KEY_FILE="$CACHE_DIR/app3-client-key.pem" \
            SESSION_COOKIE_NAME=session3 API_URL=http://localhost:4000 OIDC_PAR=true \
            OIDC_DPOP=true OIDC_DPOP_KEY_FILE="$CACHE_DIR/app3-dpop-key.pem" ;;
        # cmd/minimal: the whole flow in one file, with its own client.
        minimal) echo "${common[@]}" LISTEN_ADDR=localhost:3003 BASE_URL=http://localhost:3003 \
            OIDC_CLIENT_ID=demo-minimal OIDC_CLIENT_SECRET=demo-minimal-secret-change-me ;;
        # The seed app: the seed Flask example as it was, deliberately
        # insecure, for the attack lab; loopback only.
        seed) echo "${common[@]}" LISTEN_ADDR=localhost:3004 BASE_URL=http://localhost:3004 \
            OIDC_CLIENT_ID=demo-seed OIDC_CLIENT_SECRET=demo-seed-secret-change-me ;;
        # The instance whose client asks for consent (docs/consent.md).
        consent) echo "${common[@]}" LISTEN_ADDR=localhost:3005 BASE_URL=http://localhost:3005 \
            OIDC_CLIENT_ID=demo-app-consent OIDC_CLIENT_SECRET=demo-app-consent-secret-change-me \
            SESSION_COOKIE_NAME=session_consent API_URL=http://localhost:4000 ;;
    esac
}

binary_of() {
    case "$1" in
        api) echo "$BIN_DIR/demo-api" ;;
        minimal) echo "$BIN_DIR/minimal" ;;
        seed) echo "$BIN_DIR/seed" ;;
        *) echo "$BIN_DIR/authcode-demo" ;;
    esac
}

# ready_path NAME: answers 200 once NAME is ready (cmd/minimal has no
# /readyz: it discovers the provider before it listens).
ready_path() { [[ "$1" == minimal ]] && echo / || echo /readyz; }

wait_ready() {
    local name="$1" port="${PORT[$1]}" t0=$SECONDS
    while ((SECONDS - t0 < 60)); do
        [[ "$(http_status "$port" "$(ready_path "$name")")" == 200 ]] && return 0
        if ! running_pid "$name" >/dev/null; then
            tail -n 20 "$(log_file "$name")" >&2 || true
            die "$name exited during startup; its log: $(log_file "$name")"
        fi
        sleep 0.5
    done
    die "$name was not ready on port $port within 60 s; its log: $(log_file "$name")"
}

cmd_start() {
    command -v go >/dev/null 2>&1 || die "Go is needed to build the programs (go 1.26)."
    mkdir -p "$BIN_DIR"

    local kc_status
    if kc_status="$("$REPO_DIR/scripts/keycloak.sh" status 2>&1)"; then
        say "Keycloak: ${kc_status#\[keycloak\] }"
    else
        say "Keycloak is not running: starting it with scripts/keycloak.sh start (the first start downloads it)."
        "$REPO_DIR/scripts/keycloak.sh" start
    fi

    say "Building the app, the demo API, cmd/minimal and the seed app into $BIN_DIR ..."
    (cd "$REPO_DIR" && go build -o "$BIN_DIR/authcode-demo" . && go build -o "$BIN_DIR/demo-api" ./cmd/demo-api &&
        go build -o "$BIN_DIR/minimal" ./cmd/minimal && go build -o "$BIN_DIR/seed" ./cmd/seed)

    local name pid
    for name in "${PROGRAMS[@]}"; do
        if pid="$(running_pid "$name")"; then
            say "$name is already running (pid $pid): not restarting it (scripts/demo.sh stop first to restart)."
            continue
        fi
        rm -f "$(pid_file "$name")"
        port_in_use "${PORT[$name]}" && die "Port ${PORT[$name]} (for $name) is in use by another process (docker compose? go run?). Stop it and run this again."
        say "Starting $name on http://localhost:${PORT[$name]} (log: $(log_file "$name")) ..."
        # Run from the repository so its .env (if any) is read; the
        # variables given here win over it. setsid: its own session, so
        # Ctrl-C in this terminal does not stop it; the shell writes its
        # pid, then becomes the program (exec), which keeps that pid.
        # shellcheck disable=SC2016,SC2046 # $$ is the inner shell's; env_of prints VAR=value words
        (cd "$REPO_DIR" && setsid bash -c 'echo $$ >"$0"; exec "$@"' "$(pid_file "$name")" \
            env $(env_of "$name") "$(binary_of "$name")" </dev/null >"$(log_file "$name")" 2>&1 &)
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            [[ -s "$(pid_file "$name")" ]] && break
            sleep 0.2
        done
    done
    for name in "${PROGRAMS[@]}"; do
        wait_ready "$name"
        say "$name is ready."
    done
    cat <<EOF
[demo] All running:
         http://localhost:3000   the app          (log in as alice / alice-password, or bob / bob-password)
         http://localhost:3001   the second app   (log in on one, then press Log in on the other: no password)
         http://localhost:3002   the FAPI app     (the same login, hardened: see its /flow)
         http://localhost:3003   the minimal app  (the whole flow in one file: cmd/minimal/main.go)
         http://localhost:4000   the demo API     (the /api page calls it)
         http://localhost:3004   the seed app     (DELIBERATELY INSECURE: the attack lab's target)
         http://localhost:3005   the consent app  (Keycloak asks for your consent; /api: "Allow writing")
       Stop with: scripts/demo.sh stop   (and Keycloak with: scripts/keycloak.sh stop)
EOF
}

cmd_stop() {
    local name pid i
    for name in consent seed minimal app3 app2 app api; do
        if ! pid="$(running_pid "$name")"; then
            rm -f "$(pid_file "$name")"
            say "$name is not running."
            continue
        fi
        say "Stopping $name (pid $pid) ..."
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 40; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -0 "$pid" 2>/dev/null && { say "$name still runs after 20 s: killing it."; kill -KILL "$pid" 2>/dev/null || true; }
        rm -f "$(pid_file "$name")"
    done
    say "Stopped. Keycloak keeps running (scripts/keycloak.sh stop stops it)."
}

cmd_status() {
    local name pid code all=0
    "$REPO_DIR/scripts/keycloak.sh" status || all=3
    for name in "${PROGRAMS[@]}"; do
        if pid="$(running_pid "$name")"; then
            code="$(http_status "${PORT[$name]}" "$(ready_path "$name")")"
            if [[ "$code" == 200 ]]; then
                say "$name: running (pid $pid), ready on http://localhost:${PORT[$name]}"
            else
                say "$name: running (pid $pid), not ready ($(ready_path "$name"): ${code:-no answer}); log: $(log_file "$name")"
            fi
        else
            say "$name: not running (scripts/demo.sh start)"
            all=3
        fi
    done
    return "$all"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac
