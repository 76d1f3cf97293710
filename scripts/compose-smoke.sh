#!/usr/bin/env bash
# The production-shaped stack, end to end: writes a .env of fresh secrets, runs `docker compose up`,
# places the README's first order (with an operator key, as production requires one) and waits
# until the orders read model shows it COMPLETED. Needs a Docker engine, curl, jq and openssl
# (--config-only: Go, Node and openssl).
#
#   bash scripts/compose-smoke.sh                 the whole run; the stack is taken down afterwards
#   bash scripts/compose-smoke.sh --config-only   writes the .env to a temporary file and loads
#                                                 docker-compose.yml with it through the Compose
#                                                 Spec's loader (test/tools/compose-config, Go):
#                                                 no Docker engine needed
#
# COMPOSE_SMOKE_KEEP=1 leaves the stack running; COMPOSE_SMOKE_TIMEOUT (seconds, default 120) bounds
# the wait for COMPLETED.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[compose-smoke] $*"; }

# The secrets .env.example asks for, each freshly generated.
write_env() {
  local file=$1 key
  key=$(openssl rand -hex 16)
  {
    echo "TEMPORAL_DB_PASSWORD=$(openssl rand -hex 16)"
    echo "MONGO_ROOT_PASSWORD=$(openssl rand -hex 16)"
    echo "MONGODB_APP_PASSWORD=$(openssl rand -hex 16)"
    echo "API_KEYS=${key}:operator"
    echo "PAYLOAD_KEYS=k1:$(openssl rand -base64 32)"
    echo "BLIND_INDEX_KEY=$(openssl rand -base64 32)"
  } >"$file"
}

if [ "${1:-}" = "--config-only" ]; then
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  write_env "$dir/env"
  (cd test/tools/compose-config && GOTOOLCHAIN=local go build -o "$dir/compose-config" .)
  services=$("$dir/compose-config" docker-compose.yml "$dir/env" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(Object.keys(JSON.parse(s).services).sort().join(" ")))')
  say "docker-compose.yml loads with the generated .env: services $services"
  exit 0
fi

if [ -e .env ]; then
  say ".env exists; this script writes its own secrets and will not overwrite yours (move it away first)"
  exit 1
fi
write_env .env
api_key=$(sed -n 's/^API_KEYS=\(.*\):operator$/\1/p' .env)

down() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    say "failed; the services' last log lines:"
    docker compose logs --tail=60 || true
  fi
  if [ "${COMPOSE_SMOKE_KEEP:-}" != "1" ]; then
    docker compose down --volumes --remove-orphans || true
    rm -f .env
  fi
  exit "$status"
}
trap down EXIT

say "docker compose up (images built from this checkout; waits for every healthcheck)"
docker compose up -d --build --wait --wait-timeout 600

api=http://localhost:3000
call() { curl -sS --fail-with-body -H "Authorization: Bearer $api_key" -H 'content-type: application/json' "$@"; }

say "the README's first order"
call -XPOST "$api/inventory" -d '{"sku":"BOOK-1","quantity":10,"price":1500}' >/dev/null
ACCOUNT=$(call -XPOST "$api/accounts" -d '{"owner":"ada","initialDeposit":10000}' | jq -r .accountId)
placed=$(call -XPOST "$api/orders" -H 'Idempotency-Key: first-order' \
  -d '{"customerId":"ada","accountId":"'"$ACCOUNT"'","items":[{"sku":"BOOK-1","quantity":2}],"shippingAddress":{"line1":"1 Main St","city":"Springfield","postalCode":"12345","country":"US"}}')
say "POST /orders -> $placed"
order=$(jq -r .orderId <<<"$placed")
[ "$(jq -r .total <<<"$placed")" = "3000" ] || { say "expected a total of 3000"; exit 1; }

deadline=$(( $(date +%s) + ${COMPOSE_SMOKE_TIMEOUT:-120} ))
status=""
while [ "$(date +%s)" -lt "$deadline" ]; do
  status=$(call "$api/orders/$order" 2>/dev/null | jq -r '.status // empty' || true)
  [ "$status" = "COMPLETED" ] && break
  sleep 1
done
if [ "$status" != "COMPLETED" ]; then
  say "order $order is ${status:-not readable} after ${COMPOSE_SMOKE_TIMEOUT:-120} s, not COMPLETED"
  exit 1
fi
trail=$(call "$api/accounts/$ACCOUNT/events" | jq -c '[.events[].type]')
say "order $order COMPLETED; its account's trail: $trail"
jq -e 'index("Withdrawn") != null' <<<"$trail" >/dev/null || { say "the account was never charged"; exit 1; }
