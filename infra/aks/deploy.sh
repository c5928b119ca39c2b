#!/usr/bin/env bash
# spark-dispatch on AKS, from an empty resource group to a first job, in the order that works
# (docs/deploy-aks.md explains each step and how to check it):
#
#    1. the resource group;
#    2. the AKS cluster: Entra ID with Kubernetes RBAC (no Azure RBAC: the Function gets a
#       RoleBinding, not an Azure role), OIDC issuer and Workload Identity; or an existing one;
#    3. the cluster's API URL, its CA data and its OIDC issuer, and a kubeconfig for this script;
#    4. per team: the user-assigned identity of its drivers and a federated credential for each of
#       its namespaces (system:serviceaccount:<namespace>:<driver service account>), BEFORE the
#       Bicep, whose `tenants` parameter gives that identity its storage roles;
#    5. the parameters the Bicep gets: the file you wrote, plus what steps 3 and 4 found (each
#       team's driverIdentityPrincipalId and clientId, the Entra tenant, kubernetes.auth aks-entra
#       with the API URL and CA data);
#    6. infra/azure/main.bicep: the lake, Service Bus, the Function App with its managed identity
#       (outputs.json: its name, its principal id, ...);
#    7. each team namespace: `spark-dispatch manifests --dispatcher-principal User:<the Function's
#       principal id> --client-id <the team's identity>` | kubectl apply (--include-cluster once);
#    8. the code (zip deploy), until the functions are indexed;
#    9. the Event Grid subscriptions (infra/azure/storage-events.sh);
#   10. the CLI's settings: `spark-dispatch settings pull` into <out>/spark-dispatch.yaml;
#   11. a first job: you get data roles on the first team's upload container and on the ledger, the
#       wordcount example is uploaded with a job.yaml for that team, and `spark-dispatch status`
#       shows what became of it.
#
#   infra/aks/deploy.sh --resource-group RG --location LOCATION --cluster NAME \
#     --parameters infra/azure/main.parameters.json --admin-group <Entra group object id>
#
# Every step checks what exists first: run it again after changing the parameters, or after a
# failure, and it carries on. The teams and their namespaces come from the parameters file
# (`tenants` and `sparkDispatchSettings.tenants.<name>.namespaces`, as in
# infra/azure/main.parameters.tenants.example.json): one place for names the Bicep and the settings
# must agree on. Needs az (signed in, Owner or Contributor + Role Based Access Control
# Administrator on the resource group), jq, kubectl and kubelogin (`az aks install-cli`), node/npm
# (the repository, `npm ci` done) and zip.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ATTEMPTS=${SPARK_DISPATCH_WAIT_ATTEMPTS:-30}
PAUSE=${SPARK_DISPATCH_WAIT_SECONDS:-10}

usage() {
  cat >&2 <<'EOF'
usage: infra/aks/deploy.sh --resource-group RG --cluster NAME --parameters FILE [options]

  --resource-group RG         where everything but an existing cluster goes (env DEPLOY_RESOURCE_GROUP)
  --location LOCATION         for a new resource group (env DEPLOY_LOCATION)
  --cluster NAME              the AKS cluster: created when missing (env DEPLOY_CLUSTER)
  --cluster-resource-group RG an existing cluster's resource group (default: --resource-group)
  --parameters FILE           main.bicep parameters with `tenants` (env DEPLOY_PARAMETERS;
                              copy infra/azure/main.parameters.tenants.example.json)
  --admin-group OBJECT_ID     a new cluster's Kubernetes admins (an Entra group you are in) (env DEPLOY_ADMIN_GROUP)
  --admin-credentials         kubectl with the cluster's local admin account instead of your Entra sign-in
  --acr NAME                  attach this container registry (the Spark images) to the cluster (env DEPLOY_ACR)
  --node-count N              a new cluster's nodes (default 3)
  --node-vm-size SIZE         a new cluster's node size (default Standard_D4s_v5)
  --kubernetes-version V      a new cluster's Kubernetes version (default: AKS's; 1.30+ for the admission policy)
  --name-prefix PREFIX        driver identities are <PREFIX>-<team>-driver (default spark-dispatch)
  --out-dir DIR               where outputs, kubeconfig and settings go (default .spark-dispatch/deploy-aks/<RG>)
  --package ZIP               deploy this app package instead of building one
  --skip-first-job            stop after the CLI settings: no data roles for you, no upload
EOF
  exit 2
}
die() {
  echo "error: $*" >&2
  exit 1
}
step() { printf '\n== %s\n' "$*"; }

rg=${DEPLOY_RESOURCE_GROUP:-}
location=${DEPLOY_LOCATION:-}
cluster=${DEPLOY_CLUSTER:-}
cluster_rg=${DEPLOY_CLUSTER_RESOURCE_GROUP:-}
parameters=${DEPLOY_PARAMETERS:-}
admin_group=${DEPLOY_ADMIN_GROUP:-}
acr=${DEPLOY_ACR:-}
prefix=${DEPLOY_NAME_PREFIX:-spark-dispatch}
out=${DEPLOY_OUT_DIR:-}
package=""
admin_credentials=false
first_job=true
node_count=3
node_size=Standard_D4s_v5
k8s_version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --resource-group | -g) [ $# -ge 2 ] || usage; rg=$2; shift 2 ;;
    --location | -l) [ $# -ge 2 ] || usage; location=$2; shift 2 ;;
    --cluster) [ $# -ge 2 ] || usage; cluster=$2; shift 2 ;;
    --cluster-resource-group) [ $# -ge 2 ] || usage; cluster_rg=$2; shift 2 ;;
    --parameters | -p) [ $# -ge 2 ] || usage; parameters=$2; shift 2 ;;
    --admin-group) [ $# -ge 2 ] || usage; admin_group=$2; shift 2 ;;
    --admin-credentials) admin_credentials=true; shift ;;
    --acr) [ $# -ge 2 ] || usage; acr=$2; shift 2 ;;
    --node-count) [ $# -ge 2 ] || usage; node_count=$2; shift 2 ;;
    --node-vm-size) [ $# -ge 2 ] || usage; node_size=$2; shift 2 ;;
    --kubernetes-version) [ $# -ge 2 ] || usage; k8s_version=$2; shift 2 ;;
    --name-prefix) [ $# -ge 2 ] || usage; prefix=$2; shift 2 ;;
    --out-dir) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --package) [ $# -ge 2 ] || usage; package=$2; shift 2 ;;
    --skip-first-job) first_job=false; shift ;;
    -h | --help) usage ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
[ -n "$rg" ] && [ -n "$cluster" ] && [ -n "$parameters" ] || usage
[ -f "$parameters" ] || die "$parameters not found: copy infra/azure/main.parameters.tenants.example.json and fill it in"
[ -z "$package" ] || [ -f "$package" ] || die "$package not found"
cluster_rg=${cluster_rg:-$rg}
out=${out:-$ROOT/.spark-dispatch/deploy-aks/$rg}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The CLI runs with the settings this script hands it, and no others from the environment.
unset SPARK_DISPATCH_CONFIG SPARK_DISPATCH_SETTINGS
for name in $(compgen -e | grep '^SPARK_DISPATCH__' || true); do unset "$name"; done
sd() { (cd "$ROOT" && npx --no-install spark-dispatch "$@"); }

# ---------------------------------------------------------------------------------------------
step "0/11 preflight: tools, the parameters file, the build"
needed=(az jq kubectl npm npx)
$admin_credentials || needed+=(kubelogin)
[ -n "$package" ] || needed+=(zip)
for tool in "${needed[@]}"; do
  command -v "$tool" > /dev/null || die "$tool is not installed (kubectl and kubelogin: az aks install-cli)"
done
jq -e '.parameters.tenants.value | length > 0' "$parameters" > /dev/null \
  || die "$parameters has no tenants: this script gives each team its driver identity through the Bicep's tenants parameter (see infra/azure/main.parameters.tenants.example.json; one team is one entry)"
mismatch=$(jq -r '([.parameters.tenants.value[].name] | sort) as $bicep
  | ((.parameters.sparkDispatchSettings.value.tenants // {}) | keys | sort) as $settings
  | if $bicep == $settings then empty else "tenants \($bicep | join(", ")) but sparkDispatchSettings.tenants \($settings | join(", "))" end' "$parameters")
[ -z "$mismatch" ] || die "$parameters names $mismatch: the same teams, please"
[ "$(jq -r '.parameters.sparkDispatchSettings.value.storage.auth.mode // "none"' "$parameters")" = workload-identity ] \
  || die "$parameters: sparkDispatchSettings.storage.auth.mode must be workload-identity (the drivers' identities are federated to their service accounts)"
account=$(az account show --query '{subscription: id, tenant: tenantId, user: user}' --output json)
subscription=$(jq -r .subscription <<< "$account")
entra_tenant=$(jq -r .tenant <<< "$account")
echo "subscription $subscription (Entra tenant $entra_tenant), as $(jq -r '.user.name' <<< "$account")"
(cd "$ROOT" && npm run --silent build)

# ---------------------------------------------------------------------------------------------
step "1/11 resource group $rg"
if [ "$(az group exists --name "$rg")" = true ]; then
  echo "exists"
else
  [ -n "$location" ] || die "resource group $rg does not exist: pass --location to create it"
  az group create --name "$rg" --location "$location" --output none
  echo "created in $location"
fi

# ---------------------------------------------------------------------------------------------
step "2/11 AKS cluster $cluster (resource group $cluster_rg)"
aks_query='{issuer: oidcIssuerProfile.issuerUrl, workloadIdentity: securityProfile.workloadIdentity.enabled, entraId: aadProfile.managed, azureRbac: aadProfile.enableAzureRbac, fqdn: fqdn, privateFqdn: privateFqdn}'
if [ "$(az aks list --resource-group "$cluster_rg" --query "[?name=='$cluster'] | length(@)" --output tsv)" = 0 ]; then
  [ -n "$admin_group" ] || die "cluster $cluster does not exist: pass --admin-group <object id of an Entra group you are in>, its Kubernetes admins (az ad group show -g <group> --query id -o tsv)"
  create=(aks create --resource-group "$cluster_rg" --name "$cluster"
    --enable-aad --aad-admin-group-object-ids "$admin_group"
    --enable-oidc-issuer --enable-workload-identity
    --node-count "$node_count" --node-vm-size "$node_size" --generate-ssh-keys --output none)
  [ -z "$location" ] || create+=(--location "$location")
  [ -z "$k8s_version" ] || create+=(--kubernetes-version "$k8s_version")
  [ -z "$acr" ] || create+=(--attach-acr "$acr")
  echo "creating (about 10 minutes)"
  az "${create[@]}"
else
  state=$(az aks show --resource-group "$cluster_rg" --name "$cluster" --query "$aks_query" --output json)
  [ "$(jq -r '.entraId // false' <<< "$state")" = true ] \
    || die "cluster $cluster has no Entra ID integration, which the Function's RoleBinding needs: az aks update -g $cluster_rg -n $cluster --enable-aad --aad-admin-group-object-ids <group> (it cannot be undone, so this script leaves it to you)"
  if [ -z "$(jq -r '.issuer // empty' <<< "$state")" ] || [ "$(jq -r '.workloadIdentity // false' <<< "$state")" != true ]; then
    echo "enabling the OIDC issuer and Workload Identity"
    az aks update --resource-group "$cluster_rg" --name "$cluster" --enable-oidc-issuer --enable-workload-identity --output none
  fi
  if [ "$(jq -r '.azureRbac // false' <<< "$state")" = true ]; then
    echo "note: Azure RBAC for Kubernetes is on: any Azure role on the cluster adds to the RoleBindings this script creates"
  fi
  [ -z "$acr" ] || az aks update --resource-group "$cluster_rg" --name "$cluster" --attach-acr "$acr" --output none
  echo "exists"
fi

# ---------------------------------------------------------------------------------------------
step "3/11 the cluster's API URL, CA data and OIDC issuer"
state=$(az aks show --resource-group "$cluster_rg" --name "$cluster" --query "$aks_query" --output json)
issuer=$(jq -r '.issuer // empty' <<< "$state")
fqdn=$(jq -r '.fqdn // empty' <<< "$state")
[ -n "$issuer" ] || die "cluster $cluster has no OIDC issuer URL"
[ -n "$fqdn" ] || die "cluster $cluster has no public API server ($(jq -r '.privateFqdn // "no fqdn"' <<< "$state")): a private cluster needs the Function App in its network, which this script does not set up"
api_url="https://$fqdn:443"
export KUBECONFIG="$out/kubeconfig"
if $admin_credentials; then
  az aks get-credentials --resource-group "$cluster_rg" --name "$cluster" --admin --file "$KUBECONFIG" --overwrite-existing --output none
else
  az aks get-credentials --resource-group "$cluster_rg" --name "$cluster" --file "$KUBECONFIG" --overwrite-existing --output none
  # kubectl signs in with your az login (instead of a device code).
  kubelogin convert-kubeconfig --login azurecli --kubeconfig "$KUBECONFIG"
fi
chmod 600 "$KUBECONFIG"
ca_data=$(kubectl config view --raw --minify --output 'jsonpath={.clusters[0].cluster.certificate-authority-data}')
[ -n "$ca_data" ] || die "no certificate-authority-data in the kubeconfig of $cluster"
echo "API $api_url; issuer $issuer; kubeconfig $KUBECONFIG"

# ---------------------------------------------------------------------------------------------
step "4/11 each team's driver identity, federated to its namespaces"
teams_json='[]'
for team in $(jq -r '.parameters.tenants.value[].name' "$parameters"); do
  identity="$prefix-$team-driver"
  if [ "$(az identity list --resource-group "$rg" --query "[?name=='$identity'] | length(@)" --output tsv)" = 0 ]; then
    az identity create --resource-group "$rg" --name "$identity" --output none
    echo "identity $identity: created"
  else
    echo "identity $identity: exists"
  fi
  ids=$(az identity show --resource-group "$rg" --name "$identity" --query '{principalId: principalId, clientId: clientId}' --output json)
  namespaces=$(jq -r --arg t "$team" '.parameters.sparkDispatchSettings.value.tenants[$t].namespaces // {} | keys[]' "$parameters")
  [ -n "$namespaces" ] || die "$parameters: sparkDispatchSettings.tenants.$team has no namespaces"
  for ns in $namespaces; do
    sa=$(jq -r --arg t "$team" --arg ns "$ns" '.parameters.sparkDispatchSettings.value.tenants[$t].namespaces[$ns].driverServiceAccount // "spark-driver"' "$parameters")
    subject="system:serviceaccount:$ns:$sa"
    current=$(az identity federated-credential list --resource-group "$rg" --identity-name "$identity" --query "[?name=='$ns'] | [0]" --output json)
    if [ "$(jq -r '.issuer // empty' <<< "${current:-null}")" = "$issuer" ] && [ "$(jq -r '.subject // empty' <<< "${current:-null}")" = "$subject" ]; then
      echo "  federated credential $ns: exists ($subject)"
    else
      az identity federated-credential create --resource-group "$rg" --identity-name "$identity" --name "$ns" \
        --issuer "$issuer" --subject "$subject" --audiences api://AzureADTokenExchange --output none
      echo "  federated credential $ns: $subject"
    fi
  done
  teams_json=$(jq --arg name "$team" --arg identity "$identity" --argjson ids "$ids" --arg namespaces "$namespaces" \
    '. + [{name: $name, identity: $identity, principalId: $ids.principalId, clientId: $ids.clientId, namespaces: ($namespaces | split("\n"))}]' <<< "$teams_json")
done
echo "$teams_json" > "$out/teams.json"

# ---------------------------------------------------------------------------------------------
step "5/11 the Bicep's parameters, with what the steps before found"
jq --argjson teams "$teams_json" --arg tenant "$entra_tenant" --arg apiUrl "$api_url" --arg caData "$ca_data" '
  def team($name): $teams[] | select(.name == $name);
  .parameters.tenants.value |= map(.driverIdentityPrincipalId = team(.name).principalId)
  | .parameters.sparkDispatchSettings.value.tenants |= with_entries(.value.clientId = team(.key).clientId)
  | .parameters.sparkDispatchSettings.value.storage.auth.tenantId = $tenant
  | .parameters.sparkDispatchSettings.value.kubernetes = ((.parameters.sparkDispatchSettings.value.kubernetes // {})
      + {auth: {mode: "aks-entra", apiUrl: $apiUrl, caData: $caData}})
' "$parameters" > "$out/main.parameters.json"
jq '.parameters.sparkDispatchSettings.value' "$out/main.parameters.json" > "$out/settings.json"
echo "$out/main.parameters.json"

# ---------------------------------------------------------------------------------------------
step "6/11 infrastructure: infra/azure/main.bicep"
az deployment group create --resource-group "$rg" --name spark-dispatch-infra \
  --template-file "$ROOT/infra/azure/main.bicep" --parameters "@$out/main.parameters.json" \
  --query properties.outputs --output json > "$out/outputs.json"
output() { jq -er --arg name "$1" '.[$name].value' "$out/outputs.json" || die "$out/outputs.json has no output $1"; }
app=$(output functionAppName)
function_principal=$(output functionAppPrincipalId)
lake=$(output adlsAccountName)
echo "Function App $app (principal id $function_principal); lake $lake; outputs $out/outputs.json"

# ---------------------------------------------------------------------------------------------
step "7/11 team namespaces: RBAC, Workload Identity, quota, admission policy"
include_cluster=(--include-cluster)
# (fd 3: nothing in the loop may read the list as its stdin)
while IFS=$'\t' read -r -u 3 ns client_id; do
  echo "namespace $ns"
  sd manifests --config "$out/settings.json" --namespace "$ns" --profile aks --client-id "$client_id" \
    --dispatcher-principal "User:$function_principal" ${include_cluster[@]+"${include_cluster[@]}"} | kubectl apply -f -
  include_cluster=()
done 3< <(jq -r '.[] | .clientId as $client | .namespaces[] | [., $client] | @tsv' <<< "$teams_json")

# ---------------------------------------------------------------------------------------------
step "8/11 code: $app"
if [ -z "$package" ]; then
  # Production dependencies only, built apart: your node_modules stay as they are.
  stage="$out/package"
  rm -rf "$stage" "$out/app.zip"
  mkdir -p "$stage"
  # The functions and what they import (tsconfig.app.json): no dev/ stack, no CLI.
  (cd "$ROOT" && npm run build:app --silent -- --outDir "$stage/dist")
  cp "$ROOT/host.json" "$ROOT/package.json" "$ROOT/package-lock.json" "$stage/"
  (cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  (cd "$stage" && zip -qr "$out/app.zip" dist host.json package.json node_modules)
  package="$out/app.zip"
fi
az functionapp deployment source config-zip --resource-group "$rg" --name "$app" --src "$package" --output none
indexed() {
  case "$found" in *" storageEvents "*) ;; *) return 1 ;; esac
  case "$found" in *" sweeper "*) ;; *) return 1 ;; esac
  case "$found" in *" jobMessages"*) return 0 ;; *) return 1 ;; esac
}
for attempt in $(seq 1 "$ATTEMPTS"); do
  found=" $(az functionapp function list --resource-group "$rg" --name "$app" --query '[].name' --output tsv | sed 's#.*/##' | tr '\n' ' ') "
  indexed && break
  [ "$attempt" -lt "$ATTEMPTS" ] || die "the functions of $app are not indexed:$found"
  echo "waiting for the functions to be indexed (attempt $attempt of $ATTEMPTS):$found"
  sleep "$PAUSE"
done
echo "functions:$found"

# ---------------------------------------------------------------------------------------------
step "9/11 Event Grid subscriptions to storageEvents"
"$ROOT/infra/azure/storage-events.sh" --resource-group "$rg" --outputs "$out/outputs.json"

# ---------------------------------------------------------------------------------------------
step "10/11 the CLI's settings"
sd settings pull --app "$app" --resource-group "$rg" --out "$out/spark-dispatch.yaml"

if ! $first_job; then
  printf '\ndone. Next: export SPARK_DISPATCH_CONFIG=%s; spark-dispatch status\n' "$out/spark-dispatch.yaml"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
team=$(jq -r '.[0].name' <<< "$teams_json")
ns=$(jq -r '.[0].namespaces[0]' <<< "$teams_json")
step "11/11 a first job: wordcount for team $team in $ns"
upload=$(jq -c --arg t "$team" '.parameters.sparkDispatchSettings.value.tenants[$t].intake.scriptUploads[0] // empty' "$out/main.parameters.json")
[ -n "$upload" ] || die "team $team has no intake.scriptUploads in its settings: nothing to upload to"
upload_account=$(jq -r .account <<< "$upload")
upload_fs=$(jq -r .filesystem <<< "$upload")
upload_prefix=$(jq -r '(.prefix // "") | sub("^/+"; "") | if . == "" or endswith("/") then . else . + "/" end' <<< "$upload")
ledger_container=$(jq -r '.parameters.ledgerContainerName.value // "spark-dispatch-ledger"' "$out/main.parameters.json")

# You, as the CLI signs in: data roles to upload and to read the ledger (the Bicep gives none to people).
if [ "$(jq -r .user.type <<< "$account")" = user ]; then
  me=$(az ad signed-in-user show --query id --output tsv)
  me_type=User
else
  me=$(az ad sp show --id "$(jq -r .user.name <<< "$account")" --query id --output tsv)
  me_type=ServicePrincipal
fi
grant() { # role, account, container
  local scope="/subscriptions/$subscription/resourceGroups/$rg/providers/Microsoft.Storage/storageAccounts/$2/blobServices/default/containers/$3"
  if [ "$(az role assignment list --assignee "$me" --role "$1" --scope "$scope" --query 'length(@)' --output tsv)" = 0 ]; then
    az role assignment create --assignee-object-id "$me" --assignee-principal-type "$me_type" --role "$1" --scope "$scope" --output none
    echo "you ($me): $1 on $2/$3"
  else
    echo "you ($me): $1 on $2/$3 (had it)"
  fi
}
grant "Storage Blob Data Contributor" "$upload_account" "$upload_fs"
grant "Storage Blob Data Reader" "$lake" "$ledger_container"

# A job.yaml for this team (the example's own names its demo account): it counts the words of its script.
mkdir -p "$out/wordcount"
cat > "$out/wordcount/job.yaml" <<EOF
# The first job of $team: wordcount over its own script, uploaded by infra/aks/deploy.sh.
name: wordcount
namespace: $ns
args:
  - abfss://$upload_fs@$upload_account.dfs.core.windows.net/${upload_prefix}wordcount/main.py
  - abfss://$upload_fs@$upload_account.dfs.core.windows.net/wordcount-output/
EOF
config="$out/spark-dispatch.yaml"
# A new role assignment takes a few minutes to apply: the upload is tried until it does.
uploaded=""
for attempt in $(seq 1 "$ATTEMPTS"); do
  if uploaded=$(sd upload "$ROOT/examples/wordcount/main.py" --job wordcount --job-file "$out/wordcount/job.yaml" --tenant "$team" --config "$config" 2> "$out/upload.err"); then break; fi
  uploaded=""
  echo "upload refused (a role assignment still applying?), attempt $attempt of $ATTEMPTS: $(head -n 1 "$out/upload.err")"
  sleep "$PAUSE"
done
[ -n "$uploaded" ] || { cat "$out/upload.err" >&2; die "the upload did not pass"; }
echo "$uploaded"
job=$(sed -n 's/^ *job id: *\([0-9a-f]*\).*/\1/p' <<< "$uploaded" | head -n 1)
[ -n "$job" ] || die "the upload printed no job id"
record=""
for attempt in $(seq 1 "$ATTEMPTS"); do
  if record=$(sd status "$job" --config "$config" --output json 2> /dev/null); then break; fi
  record=""
  echo "waiting for job $job in the ledger (attempt $attempt of $ATTEMPTS)"
  sleep "$PAUSE"
done
[ -n "$record" ] || die "job $job never reached the ledger: is the Event Grid subscription delivering? (docs/deploy-aks.md, step 9)"
sd status "$job" --config "$config"
if [ "$(jq -r '.state // empty' <<< "$record")" = rejected ]; then
  die "the first job was refused: its reasons are above"
fi
printf '\ndone. Next: export SPARK_DISPATCH_CONFIG=%s KUBECONFIG=%s; spark-dispatch status; spark-dispatch logs %s\n' "$config" "$KUBECONFIG" "$job"
