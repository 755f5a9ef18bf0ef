#!/usr/bin/env bash
# Builds the image and tests the scaled stack of docker-compose.yml (three app replicas,
# Redis, HAProxy) through the load balancer's port:
#   1. a camera and a viewer on two different replicas share a session, and the viewer
#      receives the camera's verdict for a real cat photo;
#   2. every app container runs as a non-root user;
#   3. SIGTERM stops every replica with exit code 0 after a graceful shutdown;
#   4. `docker compose down` and `up` keep the session's history (Redis volume).
#
# Uses ../shared/tools/offline-docker when it exists (machines without registry access),
# otherwise a running Docker engine, and skips with a message when there is neither.
# The stack runs under its own project name and host port, so it never touches other
# containers, and it is always taken down (with its volume) at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

PROJECT=catdog-live-test
OFFLINE_DOCKER=../shared/tools/offline-docker
# Time allowed for `up --wait` to see every container healthy, in seconds.
UP_TIMEOUT_SECONDS=300

log() { printf 'docker-test: %s\n' "$*" >&2; }

if [ -x "$OFFLINE_DOCKER" ]; then
  log "using $OFFLINE_DOCKER"
  "$OFFLINE_DOCKER" up
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  log "using the running Docker engine"
  OFFLINE_DOCKER=
else
  log "SKIPPED: neither a running Docker engine nor $OFFLINE_DOCKER is available"
  exit 0
fi

# Registries may be unreachable, so every base image must exist locally before the build.
# The names come from the FROM lines and the compose file, so they never drift apart.
# shellcheck disable=SC2016 # the Node.js program is single-quoted on purpose
read_images() {
  awk 'toupper($1) == "FROM" { print $2 } toupper($3) == "AS" { print "stage:" $4 }' Dockerfile
  docker compose -f docker-compose.yml config --format json | node -e '
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      for (const service of Object.values(JSON.parse(text).services)) {
        if (!service.build) console.log(service.image);
      }
    });'
}
mapfile -t image_lines < <(read_images)
stages=() images=()
for line in "${image_lines[@]}"; do
  case "$line" in stage:*) stages+=("${line#stage:}") ;; esac
done
for line in "${image_lines[@]}"; do
  case "$line" in stage:*) continue ;; esac
  [[ " ${stages[*]} " == *" $line "* ]] && continue
  [[ " ${images[*]} " == *" $line "* ]] || images+=("$line")
done
log "base images: ${images[*]}"
if [ -n "$OFFLINE_DOCKER" ]; then
  "$OFFLINE_DOCKER" images "${images[@]}"
fi

# A free host port for the load balancer, so that a server on 4000 is left alone.
CATDOG_PORT=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
export CATDOG_PORT
# Only the npm registry is reachable on offline machines, and tfjs-node's install script
# downloads from elsewhere, so the image is built for the wasm backend there.
if [ -n "$OFFLINE_DOCKER" ]; then export CATDOG_TFJS_NODE=skip; fi
BASE_URL="http://127.0.0.1:$CATDOG_PORT"

compose() { docker compose -p "$PROJECT" -f docker-compose.yml "$@"; }

cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    log "failed; last log lines of the stack:"
    compose logs --no-color --tail 40 >&2 || true
  fi
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT

log "building the image (never pulls: base images are local)"
compose build

log "starting the stack on $BASE_URL"
compose up -d --wait --wait-timeout "$UP_TIMEOUT_SECONDS"

log "check 1: a camera and a viewer on different replicas share a session"
SESSION_ID=$(npx tsx test/docker/stack-check.ts share "$BASE_URL")

log "check 2: app containers run as a non-root user"
mapfile -t app_containers < <(compose ps -q app)
[ "${#app_containers[@]}" -ge 3 ] || { log "expected 3 app containers, found ${#app_containers[@]}"; exit 1; }
for container in "${app_containers[@]}"; do
  uid=$(docker exec "$container" id -u)
  user=$(docker exec "$container" id -un)
  if [ "$uid" = 0 ]; then log "container $container runs as root"; exit 1; fi
  log "container ${container:0:12} runs as $user (uid $uid)"
done

log "check 3: SIGTERM from docker compose stop ends every replica cleanly"
compose stop app
for container in "${app_containers[@]}"; do
  exit_code=$(docker inspect --format '{{.State.ExitCode}}' "$container")
  if [ "$exit_code" != 0 ]; then log "container $container exited with code $exit_code after SIGTERM"; exit 1; fi
  docker logs "$container" 2>&1 | grep -q '"msg":"shutdown complete"' \
    || { log "container $container did not log a completed shutdown"; exit 1; }
done

log "check 4: docker compose down, then up, keeps the session history"
compose down
compose up -d --wait --wait-timeout "$UP_TIMEOUT_SECONDS"
npx tsx test/docker/stack-check.ts history "$BASE_URL" "$SESSION_ID"

log "all checks passed"
