#!/usr/bin/env bash
# The Event Grid subscriptions that deliver the lake's storage events to the storageEvents
# function: created (or updated) after the code is deployed, with a WebHook endpoint carrying the
# Event Grid extension's system key, as Microsoft's Flex Consumption samples do in their azd
# postdeploy hook (Azure-Samples/functions-quickstart-javascript-azd-eventgrid-blob and
# Azure-Samples/functions-e2e-blob-pdf-to-text, scripts/post-up.sh: `az functionapp keys list
# --query systemKeys.<extension>_extension`, then a webhook subscription on the system topic the
# Bicep made). Those samples use a blob trigger (blobs_extension, /runtime/webhooks/blobs);
# storageEvents is an Event Grid trigger: eventgrid_extension, /runtime/webhooks/eventgrid
# (https://learn.microsoft.com/azure/azure-functions/event-grid-how-tos).
#
#   infra/azure/storage-events.sh --resource-group RG --outputs outputs.json
#
# outputs.json: the outputs of the main.bicep deployment (`az deployment group create …
# --query properties.outputs`, or `az deployment group show -g RG -n NAME --query properties.outputs`).
#
# The order that works on a fresh subscription (.github/workflows/deploy.yml follows it):
#   1. main.bicep: the system topic, the dead-letter container and the topic's role on it;
#   2. the code, deployed and indexed: the host creates the eventgrid_extension system key when it
#      starts with an Event Grid trigger, and answers Event Grid's validation handshake;
#   3. this script: wait for the key, PUT each subscription main.bicep describes (output
#      storageEventSubscriptions) with destination.properties.endpointUrl =
#      https://<host>/runtime/webhooks/eventgrid?functionName=storageEvents&code=<key>, and wait
#      until Event Grid has validated the endpoint (provisioningState Succeeded).
# A PUT replaces a subscription of the same name, so this also turns the AzureFunction-endpoint
# subscriptions of earlier deployments into webhooks.
#
# Through the ARM API (az rest) rather than `az eventgrid system-topic event-subscription create`:
# that command has no option for dead-lettering with the topic's identity (the host account
# refuses shared keys), which the bodies keep as before.
#
# The key is a secret: it is never printed (masked in GitHub Actions), never on a command line
# (jq reads it from the environment), and only written to a private temporary file for az rest.
set -euo pipefail

API_VERSION=2025-02-15
ATTEMPTS=${SPARK_DISPATCH_WAIT_ATTEMPTS:-30}
PAUSE=${SPARK_DISPATCH_WAIT_SECONDS:-10}

usage() { echo "usage: $0 --resource-group RG --outputs OUTPUTS_JSON" >&2; exit 2; }
rg=""
outputs=""
while [ $# -gt 0 ]; do
  case "$1" in
    --resource-group | -g) [ $# -ge 2 ] || usage; rg=$2; shift 2 ;;
    --outputs) [ $# -ge 2 ] || usage; outputs=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$rg" ] && [ -n "$outputs" ] || usage
[ -f "$outputs" ] || { echo "error: $outputs not found" >&2; exit 2; }

output() {
  jq -er --arg name "$1" '.[$name].value' "$outputs" || { echo "error: $outputs has no output $1: is it the outputs of infra/azure/main.bicep?" >&2; exit 2; }
}
app=$(output functionAppName)
host=$(output functionAppHostName)
topic=$(output eventGridSystemTopicId)
function_name=$(output storageEventsFunctionName)
count=$(jq -e '.storageEventSubscriptions.value | length' "$outputs") || { echo "error: $outputs has no output storageEventSubscriptions" >&2; exit 2; }

# 1. The system key: it appears once the host has started with the code.
key=""
for attempt in $(seq 1 "$ATTEMPTS"); do
  key=$(az functionapp keys list --resource-group "$rg" --name "$app" --query systemKeys.eventgrid_extension --output tsv || true)
  [ -n "$key" ] && break
  echo "waiting for the eventgrid_extension system key of $app (attempt $attempt of $ATTEMPTS)"
  sleep "$PAUSE"
done
if [ -z "$key" ]; then
  echo "error: $app has no eventgrid_extension system key: is the code deployed, and the $function_name function indexed?" >&2
  exit 1
fi
export SPARK_DISPATCH_EVENTGRID_KEY=$key
encoded=$(jq -rn 'env.SPARK_DISPATCH_EVENTGRID_KEY | @uri')
if [ "${GITHUB_ACTIONS:-}" = true ]; then
  echo "::add-mask::$key"
  echo "::add-mask::$encoded"
fi

# 2. The webhook.
export SPARK_DISPATCH_WEBHOOK
SPARK_DISPATCH_WEBHOOK=$(jq -rn --arg host "$host" --arg function "$function_name" \
  '"https://\($host)/runtime/webhooks/eventgrid?functionName=\($function | @uri)&code=\(env.SPARK_DISPATCH_EVENTGRID_KEY | @uri)"')

private=$(mktemp -d)
trap 'rm -rf "$private"' EXIT
chmod 700 "$private"

# 3. Each subscription: PUT, then wait for Event Grid's verdict; a failed validation (a host still
# starting) is tried again.
for i in $(seq 0 $((count - 1))); do
  name=$(jq -er --argjson i "$i" '.storageEventSubscriptions.value[$i].name' "$outputs")
  uri="$topic/eventSubscriptions/$name?api-version=$API_VERSION"
  (umask 077 && jq --argjson i "$i" \
    '{ properties: (.storageEventSubscriptions.value[$i].properties | .destination.properties.endpointUrl = env.SPARK_DISPATCH_WEBHOOK) }' \
    "$outputs" > "$private/body.json")
  state=""
  for attempt in $(seq 1 "$ATTEMPTS"); do
    if az rest --method put --uri "$uri" --body "@$private/body.json" --headers Content-Type=application/json --output none; then
      for poll in $(seq 1 "$ATTEMPTS"); do
        state=$(az rest --method get --uri "$uri" --query properties.provisioningState --output tsv)
        case "$state" in Succeeded | Failed | Canceled) break ;; esac
        sleep "$PAUSE"
      done
      [ "$state" = Succeeded ] && break
    fi
    echo "event subscription $name: ${state:-not created} (attempt $attempt of $ATTEMPTS)"
    sleep "$PAUSE"
  done
  rm -f "$private/body.json"
  if [ "$state" != Succeeded ]; then
    echo "error: event subscription $name is ${state:-not created}: Event Grid could not validate https://$host/runtime/webhooks/eventgrid?functionName=$function_name" >&2
    exit 1
  fi
  echo "event subscription $name: Succeeded (WebHook to $function_name on $host)"
done
