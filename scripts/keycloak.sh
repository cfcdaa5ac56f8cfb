#!/usr/bin/env bash
# Run the demo Keycloak without Docker: the Quarkus distribution from Maven
# Central, started in dev mode with keycloak/demo-realm.json imported.
#
#   scripts/keycloak.sh start    download (first run), start, wait until ready
#   scripts/keycloak.sh wait     wait until a started Keycloak is ready
#   scripts/keycloak.sh stop     stop the Keycloak started by this script
#   scripts/keycloak.sh status   running? ready?
#   scripts/keycloak.sh logs     print the log (logs -f to follow)
#
# Environment:
#   KEYCLOAK_VERSION            defaults to the version pinned below, the image tag in docker-compose.yml
#   KEYCLOAK_CACHE_DIR          where the zip, the unpacked server, log and pid live
#   APP_BACKCHANNEL_LOGOUT_URL  back-channel logout URL put into the demo-app client
#   APP2_BACKCHANNEL_LOGOUT_URL the same for demo-app-2 (the second instance, scripts/demo.sh)
#   APP3_BACKCHANNEL_LOGOUT_URL the same for the third instance's clients (:3002: demo-app-fapi, -options, -jwt)
#   APP3_JWKS_URL               where Keycloak fetches the third instance's public key (private_key_jwt)
#   JAVA_HOME                   used when it is Java >= 21
#   KEYCLOAK_READY_TIMEOUT      seconds to wait for readiness (default 300)
#   KC_BOOTSTRAP_ADMIN_USERNAME/PASSWORD  master realm admin (default admin/admin)
set -euo pipefail

# e2e/deploycheck parses this line: keep the default a literal version.
KEYCLOAK_VERSION="${KEYCLOAK_VERSION:-26.7.3}"

CACHE_DIR="${KEYCLOAK_CACHE_DIR:-$HOME/.cache/authcode-demo}"
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REALM_FILE="$REPO_DIR/keycloak/demo-realm.json"
# The attack lab's second realm (mix-up, RFC 9207), imported beside it.
ATTACKER_REALM_FILE="$REPO_DIR/keycloak/attacker-realm.json"
KC_HOME="$CACHE_DIR/keycloak-$KEYCLOAK_VERSION"
ZIP="$CACHE_DIR/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
LOG_FILE="$CACHE_DIR/keycloak.log"
PID_FILE="$CACHE_DIR/keycloak.pid"

HTTP_PORT=8080
# Keycloak serves /health/* on the management port, not on the HTTP port.
MGMT_PORT=9000
READY_URL="http://localhost:$MGMT_PORT/health/ready"
READY_TIMEOUT="${KEYCLOAK_READY_TIMEOUT:-300}"
MIN_JAVA=21
FALLBACK_JDK=/usr/lib/jvm/temurin-25-jdk-amd64

say() { printf '[keycloak] %s\n' "$*"; }
die() { printf '[keycloak] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# --- process helpers ------------------------------------------------------

running_pid() {
    local pid
    [[ -f "$PID_FILE" ]] || return 1
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    echo "$pid"
}

port_in_use() {
    # A successful connect means something already listens there.
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints the HTTP status code of GET http://127.0.0.1:PORT/PATH, or nothing.
# bash /dev/tcp keeps curl optional (the same probe as the compose healthcheck).
http_status() {
    local port="$1" path="$2"
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
        printf "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" "$1" >&3
        IFS=" " read -r _ code _ <&3 && printf "%s" "$code"
    ' "$port" "$path" 2>/dev/null || true
}

is_ready() { [[ "$(http_status "$MGMT_PORT" /health/ready)" == 200 ]]; }

show_log_tail() {
    if [[ -f "$LOG_FILE" ]]; then
        echo "----- last 40 lines of $LOG_FILE -----" >&2
        tail -n 40 "$LOG_FILE" >&2
        echo "-----" >&2
    fi
}

# --- download and unpack --------------------------------------------------

ensure_distribution() {
    mkdir -p "$CACHE_DIR"
    if [[ -x "$KC_HOME/bin/kc.sh" ]]; then
        return 0
    fi
    if [[ ! -s "$ZIP" ]]; then
        command -v mvn >/dev/null 2>&1 ||
            die "Maven (mvn) is needed to download Keycloak. Install it (Debian/Ubuntu: apt-get install maven), or put keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip at $ZIP yourself."
        say "Downloading Keycloak $KEYCLOAK_VERSION from Maven Central (~170 MB, first run only)..."
        local t0=$SECONDS out
        # Maven prints stray ANSI resets even with -q: show its output only on failure.
        if ! out="$(mvn -B -q dependency:copy \
            -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" \
            -DoutputDirectory="$CACHE_DIR" 2>&1)"; then
            printf '%s\n' "$out" >&2
            die "Download failed. Check that Maven Central is reachable (mvn settings/proxy) and that version $KEYCLOAK_VERSION exists; then run this again."
        fi
        [[ -s "$ZIP" ]] || die "Maven finished but $ZIP is missing; delete $CACHE_DIR and try again."
        say "Downloaded in $((SECONDS - t0)) s."
    fi
    command -v unzip >/dev/null 2>&1 ||
        die "unzip is needed to unpack Keycloak. Install it (Debian/Ubuntu: apt-get install unzip) and run this again."
    say "Unpacking $ZIP (first run only)..."
    # Unpack beside the target and rename, so an interrupted unzip is never reused.
    local tmp="$CACHE_DIR/.unpack.$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    unzip -q "$ZIP" -d "$tmp" || { rm -rf "$tmp"; die "Could not unpack $ZIP; delete it and run this again to download it anew."; }
    [[ -x "$tmp/keycloak-$KEYCLOAK_VERSION/bin/kc.sh" ]] ||
        { rm -rf "$tmp"; die "$ZIP does not contain keycloak-$KEYCLOAK_VERSION/bin/kc.sh; delete it and run this again."; }
    rm -rf "$KC_HOME"
    mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$KC_HOME"
    rm -rf "$tmp"
}

# --- Java -----------------------------------------------------------------

java_major() {
    # java.specification.version is "17", "21", "25" (or "1.8" for Java 8).
    local v
    v="$("$1" -XshowSettings:properties -version 2>&1 |
        sed -n 's/^ *java\.specification\.version = //p' | head -n 1)"
    v="${v#1.}"
    [[ "$v" =~ ^[0-9]+$ ]] && echo "$v"
}

pick_java_home() {
    local major
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        major="$(java_major "$JAVA_HOME/bin/java" || true)"
        if [[ -n "$major" && "$major" -ge "$MIN_JAVA" ]]; then
            echo "$JAVA_HOME"
            return 0
        fi
        say "JAVA_HOME=$JAVA_HOME is Java ${major:-?}; Keycloak $KEYCLOAK_VERSION needs >= $MIN_JAVA, looking elsewhere." >&2
    fi
    if [[ -x "$FALLBACK_JDK/bin/java" ]]; then
        echo "$FALLBACK_JDK"
        return 0
    fi
    # Last resort: a java on PATH that is new enough.
    local java
    if java="$(command -v java)"; then
        major="$(java_major "$java" || true)"
        if [[ -n "$major" && "$major" -ge "$MIN_JAVA" ]]; then
            java="$(readlink -f "$java")"
            echo "${java%/bin/java}"
            return 0
        fi
    fi
    die "No Java >= $MIN_JAVA found (Keycloak $KEYCLOAK_VERSION needs it). Install a JDK 21 or 25 (Eclipse Temurin, or openjdk-21-jdk-headless on Debian 13 / Ubuntu 24.04; Debian 12 only has 17) and set JAVA_HOME to it."
}

# --- commands -------------------------------------------------------------

cmd_wait() {
    local t0=$SECONDS next=10 pid
    say "Waiting for Keycloak to be ready at $READY_URL (up to $READY_TIMEOUT s)..."
    while :; do
        if is_ready; then
            say "Keycloak is ready after $((SECONDS - t0)) s: http://localhost:$HTTP_PORT (admin console: admin/admin, realm 'demo')."
            return 0
        fi
        # Only a process this script started can die under us; an externally
        # started Keycloak (no pid file) is just polled.
        if [[ -f "$PID_FILE" ]] && ! pid="$(running_pid)"; then
            show_log_tail
            rm -f "$PID_FILE"
            die "Keycloak exited during startup (see the log above, full log: $LOG_FILE). Fix the cause and run: scripts/keycloak.sh start"
        fi
        if ((SECONDS - t0 >= READY_TIMEOUT)); then
            show_log_tail
            die "Keycloak was not ready after $READY_TIMEOUT s. Read $LOG_FILE; on a slow machine try KEYCLOAK_READY_TIMEOUT=600 scripts/keycloak.sh wait, or scripts/keycloak.sh stop and start again."
        fi
        if ((SECONDS - t0 >= next)); then
            say "still starting... $((SECONDS - t0)) s (log: scripts/keycloak.sh logs)"
            next=$((next + 10))
        fi
        sleep 2
    done
}

cmd_start() {
    local pid
    if pid="$(running_pid)"; then
        say "Keycloak is already running (pid $pid); not restarting it. Use 'stop' then 'start' for a fresh realm import."
        cmd_wait
        return
    fi
    rm -f "$PID_FILE"
    for port in "$HTTP_PORT" "$MGMT_PORT"; do
        if port_in_use "$port"; then
            die "Port $port is already in use by another process. Stop it (is another Keycloak or 'docker compose up' running?) and run this again."
        fi
    done
    [[ -f "$REALM_FILE" ]] || die "Realm file $REALM_FILE is missing; run this script from a checkout of the repository."
    [[ -f "$ATTACKER_REALM_FILE" ]] || die "Realm file $ATTACKER_REALM_FILE is missing; run this script from a checkout of the repository."

    ensure_distribution

    local java_home
    java_home="$(pick_java_home)"
    say "Using Java at $java_home (Java $(java_major "$java_home/bin/java"))."

    # start-dev keeps its H2 database in data/h2, and --import-realm silently
    # skips a realm that already exists: start from an empty database every
    # time so that the current demo-realm.json is what gets imported.
    rm -rf "$KC_HOME/data/h2" "$KC_HOME/data/import"
    mkdir -p "$KC_HOME/data/import"
    cp "$REALM_FILE" "$KC_HOME/data/import/demo-realm.json"
    cp "$ATTACKER_REALM_FILE" "$KC_HOME/data/import/attacker-realm.json"

    say "Starting Keycloak $KEYCLOAK_VERSION on http://localhost:$HTTP_PORT (log: $LOG_FILE)..."
    # setsid: its own session, so closing this terminal or Ctrl-C here does
    # not take the server down; the shell writes its pid before exec'ing
    # kc.sh, which forwards TERM to its java process.
    # shellcheck disable=SC2016 # expanded by the inner bash
    JAVA_HOME="$java_home" \
    KC_BOOTSTRAP_ADMIN_USERNAME="${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}" \
    KC_BOOTSTRAP_ADMIN_PASSWORD="${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}" \
    APP_BACKCHANNEL_LOGOUT_URL="${APP_BACKCHANNEL_LOGOUT_URL:-http://localhost:3000/backchannel-logout}" \
    APP2_BACKCHANNEL_LOGOUT_URL="${APP2_BACKCHANNEL_LOGOUT_URL:-http://localhost:3001/backchannel-logout}" \
    APP3_BACKCHANNEL_LOGOUT_URL="${APP3_BACKCHANNEL_LOGOUT_URL:-http://localhost:3002/backchannel-logout}" \
    APP3_JWKS_URL="${APP3_JWKS_URL:-http://localhost:3002/.well-known/jwks.json}" \
        setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
        "$KC_HOME/bin/kc.sh" start-dev --import-realm \
        --http-port "$HTTP_PORT" --health-enabled true \
        </dev/null >"$LOG_FILE" 2>&1 &
    # Let the child write its pid file before anyone reads it.
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [[ -s "$PID_FILE" ]] && break
        sleep 0.2
    done
    [[ -s "$PID_FILE" ]] || { show_log_tail; die "Keycloak did not start; see $LOG_FILE."; }
    say "Started (pid $(cat "$PID_FILE")). Readiness takes ~15 s here, longer on the first start and on slow machines."
    cmd_wait
}

cmd_stop() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "$PID_FILE"
        say "Keycloak is not running (no live pid in $PID_FILE)."
        return 0
    fi
    say "Stopping Keycloak (pid $pid)..."
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "Still running after 30 s; killing its process group."
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 20; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
    fi
    kill -0 "$pid" 2>/dev/null && die "Could not stop pid $pid; kill it by hand (kill -KILL $pid)."
    rm -f "$PID_FILE"
    say "Stopped."
}

cmd_status() {
    local pid
    if pid="$(running_pid)"; then
        if is_ready; then
            say "running (pid $pid), ready: http://localhost:$HTTP_PORT/realms/demo"
        else
            say "running (pid $pid), not ready yet (scripts/keycloak.sh wait)"
        fi
        return 0
    fi
    if is_ready; then
        say "a Keycloak not started by this script answers on port $MGMT_PORT (docker compose?)"
        return 0
    fi
    say "not running (scripts/keycloak.sh start)"
    return 3
}

cmd_logs() {
    [[ -f "$LOG_FILE" ]] || die "No log yet at $LOG_FILE; run: scripts/keycloak.sh start"
    if [[ "${1:-}" == "-f" ]]; then
        exec tail -n 100 -f "$LOG_FILE"
    fi
    cat "$LOG_FILE"
}

case "${1:-}" in
    start) cmd_start ;;
    wait) cmd_wait ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    logs) shift; cmd_logs "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
esac
