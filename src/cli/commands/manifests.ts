import { stringify as toYaml } from 'yaml';
import { DNS1123_LABEL } from '../../domain/spec/jobSpec.js';
import { clusterBundle, namespaceBundle, type DispatcherPrincipal, type KubeObjectRecord } from '../../domain/render/namespaceBundle.js';
import { CLUSTER_PROFILES } from '../../settings/settingsSchema.js';
import { namespacePolicy } from '../../domain/tenant/namespacePolicy.js';
import { integerOption, oneOf, stringOption, UsageError, type Command, type ParsedArgs } from '../command.js';
import { EXIT } from '../cliIo.js';
import { CONFIG_OPTION } from '../commonOptions.js';
import { onlyTenant } from '../../domain/tenant/tenancy.js';
import { loadCliSettings } from '../loadCliSettings.js';

export const DEFAULT_MAX_CONCURRENT_DRIVERS = 10;
/** Where the OpenShift overlay puts the dispatcher's service account (infra/kubernetes/overlays/openshift). */
export const DISPATCHER_SYSTEM_NAMESPACE = 'spark-dispatch-system';
/** Stands for the Function's managed identity until the operator passes its object id. */
export const PLACEHOLDER_OBJECT_ID = '00000000-0000-0000-0000-000000000000';

const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CIDR = /^(([0-9]{1,3}\.){3}[0-9]{1,3}\/([0-9]|[12][0-9]|3[0-2])|[0-9a-fA-F:]+:[0-9a-fA-F:]*\/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$/;
const PRINCIPAL_KINDS = ['User', 'Group', 'ServiceAccount'] as const;

export const manifestsCommand: Command = {
  name: 'manifests',
  summary: 'print the Kubernetes objects a team namespace needs (RBAC, admission policy binding, quota, limits, network policies)',
  usage:
    '--namespace NAME --profile aks|openshift [--cap N] [--client-id GUID] [--dispatcher-principal KIND:NAME[:NAMESPACE]] [--include-cluster]',
  description:
    "Prints a YAML stream for `kubectl apply -f -`: the Namespace, the driver ServiceAccount with Spark's Role and the\n" +
    "binding of the driver admission policy, the dispatcher's least-privilege Role, the driver ResourceQuota, a\n" +
    "LimitRange and NetworkPolicies. Defaults come from the settings (the namespace's driverServiceAccount and\n" +
    'maxConcurrentDrivers, the priority class, the profile, the workload-identity client id). --include-cluster adds\n' +
    'what all team namespaces share: the driver PriorityClass and the driver ValidatingAdmissionPolicy (Kubernetes\n' +
    "1.30+), which holds the catalog's images: re-apply it when settings.images changes.",
  options: {
    ...CONFIG_OPTION,
    namespace: { type: 'string', description: 'the team namespace (default: settings.defaultNamespace)', valueName: 'NAME' },
    profile: { type: 'string', description: 'aks or openshift (default: settings.clusterProfile)', valueName: 'PROFILE' },
    cap: {
      type: 'string',
      description: `at most N concurrent drivers (default: maxConcurrentDrivers of the namespace, else ${DEFAULT_MAX_CONCURRENT_DRIVERS})`,
      valueName: 'N',
    },
    'client-id': {
      type: 'string',
      description: 'Azure Workload Identity client id of the drivers (aks; default: storage.auth.clientId)',
      valueName: 'GUID',
    },
    'dispatcher-principal': {
      type: 'string',
      description: `who the dispatcher is: User:OBJECT-ID (AKS, the Function's managed identity), Group:NAME or ServiceAccount:NAME[:NAMESPACE] (default ServiceAccount:spark-dispatch:${DISPATCHER_SYSTEM_NAMESPACE} on openshift)`,
      valueName: 'KIND:NAME[:NS]',
    },
    'storage-cidr': {
      type: 'string',
      multiple: true,
      description: 'where Spark pods may reach storage on 443 (repeatable; default: anywhere)',
      valueName: 'CIDR',
    },
    'api-server-cidr': {
      type: 'string',
      multiple: true,
      description: 'where the API server is (repeatable; default: anywhere on 443/6443)',
      valueName: 'CIDR',
    },
    'include-cluster': { type: 'boolean', description: 'also print the cluster-scoped driver PriorityClass and ValidatingAdmissionPolicy' },
  },
  examples: [
    'spark-dispatch manifests --namespace team-analytics --profile aks --dispatcher-principal User:8c3f1a2b-4d5e-4f60-9a7b-1c2d3e4f5a6b | kubectl apply -f -',
    'spark-dispatch manifests --namespace team-analytics --profile openshift --cap 5 --include-cluster',
  ],
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const namespaceFlag = stringOption(args, 'namespace');
    if (namespaceFlag !== undefined && !DNS1123_LABEL.test(namespaceFlag))
      throw new UsageError(`--namespace must be a Kubernetes namespace name (DNS-1123 label), not "${namespaceFlag}"`);
    const profileFlag = stringOption(args, 'profile');
    const profile = profileFlag === undefined ? undefined : oneOf(args, 'profile', CLUSTER_PROFILES, 'aks');
    // 0 is allowed: a quota of no drivers freezes the namespace on purpose.
    const cap = integerOption(args, 'cap', { min: 0, max: 100_000 });
    const clientIdFlag = stringOption(args, 'client-id');
    if (clientIdFlag !== undefined && !GUID.test(clientIdFlag)) throw new UsageError(`--client-id must be a GUID, not "${clientIdFlag}"`);
    const principalFlag = stringOption(args, 'dispatcher-principal');
    const principal = principalFlag === undefined ? undefined : parsePrincipal(principalFlag);
    const storageCidrs = cidrList(args, 'storage-cidr');
    const apiServerCidrs = cidrList(args, 'api-server-cidr');

    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    const { settings } = loaded;
    const only = onlyTenant(settings)?.tenant;
    const namespace =
      namespaceFlag ??
      only?.defaultNamespace ??
      (only && Object.keys(only.namespaces).length === 1 ? Object.keys(only.namespaces)[0] : undefined);
    if (namespace === undefined) throw new UsageError('name the team namespace with --namespace');
    const clusterProfile = profile ?? settings.clusterProfile;
    if (clientIdFlag !== undefined && clusterProfile !== 'aks')
      throw new UsageError('--client-id is for the aks profile (Azure Workload Identity)');
    const { settings: nsSettings, limits, tenant } = namespacePolicy(settings, namespace);
    if (!nsSettings)
      io.stderr.write(
        `note: ${namespace} is no tenant's namespace in settings: the dispatcher will not launch there until a tenant owns it\n`,
      );
    // The identity the team's drivers use: the tenant's (its service account is federated to it).
    const tenantClientId = tenant !== undefined ? settings.tenants[tenant]?.clientId : undefined;
    const auth = settings.storage.auth;

    let dispatcherPrincipal: DispatcherPrincipal;
    if (principal) dispatcherPrincipal = principal;
    else if (clusterProfile === 'openshift')
      dispatcherPrincipal = { kind: 'ServiceAccount', name: 'spark-dispatch', namespace: DISPATCHER_SYSTEM_NAMESPACE };
    else {
      dispatcherPrincipal = { kind: 'User', name: PLACEHOLDER_OBJECT_ID };
      io.stderr.write(
        `note: the dispatcher's RoleBinding names the placeholder User ${PLACEHOLDER_OBJECT_ID}: pass --dispatcher-principal User:<object id of the Function's managed identity>\n`,
      );
    }

    const priorityClassName = nsSettings?.priorityClassName ?? settings.driverPriorityClassName;
    const objects: KubeObjectRecord[] = [
      ...(args.values['include-cluster'] === true
        ? clusterBundle({ priorityClassName, images: Object.values(settings.images).map((entry) => entry.image) })
        : []),
      ...namespaceBundle({
        namespace,
        profile: clusterProfile,
        driverServiceAccount: nsSettings?.driverServiceAccount ?? 'spark-driver',
        priorityClassName,
        maxConcurrentDrivers: cap ?? nsSettings?.maxConcurrentDrivers ?? DEFAULT_MAX_CONCURRENT_DRIVERS,
        ...(clientIdFlag !== undefined
          ? { workloadIdentityClientId: clientIdFlag }
          : auth.mode === 'workload-identity' && (tenantClientId ?? auth.clientId)
            ? { workloadIdentityClientId: tenantClientId ?? auth.clientId }
            : {}),
        dispatcherPrincipal,
        ...(storageCidrs ? { storageEgressCidrs: storageCidrs } : {}),
        ...(apiServerCidrs ? { apiServerCidrs } : {}),
        // hadoop-azure's MsiTokenProvider gets its tokens from IMDS.
        ...(auth.mode === 'managed-identity' ? { instanceMetadataEgress: true } : {}),
        limits,
      }),
    ];
    io.stdout.write(objects.map((o) => `---\n${toYaml(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join(''));
    return EXIT.ok;
  },
};

function parsePrincipal(value: string): DispatcherPrincipal {
  const colon = value.indexOf(':');
  const kindText = colon < 0 ? value : value.slice(0, colon);
  const kind = PRINCIPAL_KINDS.find((k) => k.toLowerCase() === kindText.toLowerCase());
  const rest = colon < 0 ? '' : value.slice(colon + 1);
  if (!kind || rest === '')
    throw new UsageError(
      `--dispatcher-principal must be KIND:NAME[:NAMESPACE] with KIND one of ${PRINCIPAL_KINDS.join(', ')}, not "${value}"`,
    );
  if (kind !== 'ServiceAccount') return { kind, name: rest }; // user and group names may contain ':'
  const [name, namespace, ...extra] = rest.split(':');
  if (!name || !SUBDOMAIN.test(name) || extra.length > 0 || (namespace !== undefined && !DNS1123_LABEL.test(namespace))) {
    throw new UsageError(
      `--dispatcher-principal ServiceAccount:NAME[:NAMESPACE] needs a service account name and namespace name, not "${value}"`,
    );
  }
  return namespace === undefined ? { kind, name } : { kind, name, namespace };
}

function cidrList(args: ParsedArgs, name: string): string[] | undefined {
  const raw = args.values[name];
  const values = Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : typeof raw === 'string' ? [raw] : [];
  for (const v of values) if (!CIDR.test(v)) throw new UsageError(`--${name} must be a CIDR such as 20.60.0.0/16, not "${v}"`);
  return values.length > 0 ? values : undefined;
}
