/**
 * Runs a ValidatingAdmissionPolicy and its binding against an admission request the way the API
 * server does (k8s.io/apiserver plugin/policy/validating), with a real CEL evaluator
 * (@bufbuild/cel, RE2 regular expressions as Kubernetes has them):
 *   1. the binding's namespaceSelector and the policy's resourceRules decide whether it applies;
 *   2. the binding's paramRef is looked up (parameterNotFoundAction when it is missing);
 *   3. every matchCondition must be true (an error counts as a failure: failurePolicy Fail);
 *   4. variables are evaluated in order, each seeing the ones before (an erroring variable is left
 *      out, so that using it is an error, as in Kubernetes);
 *   5. a validation that is false or errors denies the request with its message.
 * Only what spark-dispatch's policy uses is implemented: label selectors by matchLabels, no
 * objectSelector, no auditAnnotations, no messageExpression.
 */
import { isCelError, run } from '@bufbuild/cel';

export type Json = Record<string, unknown>;
export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface UserInfo {
  readonly username: string;
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export interface AdmissionRequest {
  readonly operation: Operation;
  /** Plural resource name of the core group (pods, configmaps, …). */
  readonly resource: string;
  readonly namespace: string;
  readonly userInfo: UserInfo;
  /** The object after the request (CREATE, UPDATE); null for DELETE. */
  readonly object: Json | null;
  /** The stored object (UPDATE, DELETE); null for CREATE. */
  readonly oldObject: Json | null;
}

export interface AdmissionResult {
  /** Whether the policy applies to the request at all (binding, rules and match conditions). */
  readonly applies: boolean;
  /** The messages of the validations that refused the request (false or error). */
  readonly denials: readonly string[];
  /** Validations and variables that did not evaluate (a well-formed request should cause none). */
  readonly errors: readonly string[];
}

interface Rule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
}
interface PolicySpec {
  failurePolicy: string;
  paramKind?: { apiVersion: string; kind: string };
  matchConstraints: { resourceRules: Rule[] };
  matchConditions?: { name: string; expression: string }[];
  variables?: { name: string; expression: string }[];
  validations: { expression: string; message: string }[];
}
interface BindingSpec {
  policyName: string;
  paramRef?: { name: string; namespace: string; parameterNotFoundAction: 'Allow' | 'Deny' };
  matchResources?: { namespaceSelector?: { matchLabels?: Record<string, string> } };
  validationActions: string[];
}

const specOf = <T>(object: Json): T => object.spec as T;
const nameOf = (object: Json): string => (object.metadata as { name: string }).name;
const namespaceOf = (object: Json): string | undefined => (object.metadata as { namespace?: string }).namespace;

/** CEL maps are JS Maps to @bufbuild/cel; lists stay arrays; numbers are CEL doubles, which no expression here compares. */
function toCel(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

function evaluate(expression: string, bindings: Record<string, unknown>): { value?: unknown; error?: string } {
  const result = run(expression, bindings as never);
  return isCelError(result) ? { error: result.message } : { value: result };
}

/**
 * Admits `request` against `policy` bound by `binding`. `objects` are what the cluster stores, for
 * the paramRef (here: the driver ServiceAccount).
 */
export function admit(policy: Json, binding: Json, objects: readonly Json[], request: AdmissionRequest): AdmissionResult {
  const spec = specOf<PolicySpec>(policy);
  const bindingSpec = specOf<BindingSpec>(binding);
  const none: AdmissionResult = { applies: false, denials: [], errors: [] };
  if (bindingSpec.policyName !== nameOf(policy)) return none;
  const selector = bindingSpec.matchResources?.namespaceSelector?.matchLabels ?? {};
  const namespaceLabels: Record<string, string> = { 'kubernetes.io/metadata.name': request.namespace };
  if (!Object.entries(selector).every(([k, v]) => namespaceLabels[k] === v)) return none;
  const ruleMatches = spec.matchConstraints.resourceRules.some(
    (r) =>
      r.apiGroups.includes('') &&
      r.apiVersions.includes('v1') &&
      r.operations.includes(request.operation) &&
      r.resources.includes(request.resource),
  );
  if (!ruleMatches) return none;

  let params: Json | null = null;
  if (bindingSpec.paramRef) {
    const { name, namespace, parameterNotFoundAction } = bindingSpec.paramRef;
    const kind = spec.paramKind;
    const found = objects.find(
      (o) => o.apiVersion === kind?.apiVersion && o.kind === kind?.kind && nameOf(o) === name && namespaceOf(o) === namespace,
    );
    if (!found)
      return parameterNotFoundAction === 'Deny'
        ? { applies: true, denials: [`no params found for binding ${nameOf(binding)}`], errors: [] }
        : none;
    params = found;
  }

  const bindings: Record<string, unknown> = {
    object: toCel(request.object),
    oldObject: toCel(request.oldObject),
    params: toCel(params),
    request: toCel({
      operation: request.operation,
      namespace: request.namespace,
      resource: { group: '', version: 'v1', resource: request.resource },
      userInfo: request.userInfo,
    }),
  };
  const errors: string[] = [];
  for (const condition of spec.matchConditions ?? []) {
    const { value, error } = evaluate(condition.expression, bindings);
    if (error !== undefined) return { applies: true, denials: [`matchCondition ${condition.name}: ${error}`], errors: [condition.name] };
    if (value !== true) return none;
  }

  const variables = new Map<string, unknown>();
  for (const variable of spec.variables ?? []) {
    const { value, error } = evaluate(variable.expression, { ...bindings, variables: variables });
    if (error === undefined) variables.set(variable.name, value);
    else errors.push(`variables.${variable.name}: ${error}`);
  }
  const denials: string[] = [];
  for (const validation of spec.validations) {
    const { value, error } = evaluate(validation.expression, { ...bindings, variables });
    if (error !== undefined) errors.push(`${validation.message}: ${error}`);
    if (value !== true) denials.push(validation.message);
  }
  if (!bindingSpec.validationActions.includes('Deny')) return { applies: true, denials: [], errors };
  return { applies: true, denials, errors };
}
