/**
 * metav1.Status bodies exactly as k8s.io/apimachinery/pkg/api/errors builds them, and the
 * ApiError that carries one from the verb handlers to the HTTP layer.
 */
import { aggregateText, CAUSE_REASON, errorBody, type FieldError } from './fieldErrors.js';
import { qualifiedKind, qualifiedResource, type ResourceType } from './resourceTypes.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: { continue?: string };
  status: 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly body: StatusBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message ?? body.reason ?? `HTTP ${body.code}`);
    this.name = 'ApiError';
  }

  get code(): number {
    return this.body.code;
  }
}

function failure(code: number, reason: string | undefined, message: string, details?: StatusDetails): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  };
}

/** Details for a resource: group is `omitempty`, so the core group leaves it out. */
function resourceDetails(type: ResourceType, name: string, kind = type.plural): StatusDetails {
  return { name, ...(type.group ? { group: type.group } : {}), kind };
}

/** errors.NewNotFound: `pods "x" not found`, details.kind is the resource (plural). */
export function notFound(type: ResourceType, name: string): ApiError {
  return new ApiError(failure(404, 'NotFound', `${qualifiedResource(type)} "${name}" not found`, resourceDetails(type, name)));
}

/** The namespace lifecycle admission plugin answers a write into a missing namespace with NewNotFound(namespaces). */
export function namespaceNotFound(namespace: string): ApiError {
  return new ApiError(failure(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' }));
}

/** What the apiserver answers for a path no route serves. */
export function pathNotFound(): ApiError {
  return new ApiError(failure(404, 'NotFound', 'the server could not find the requested resource', {}));
}

/** errors.NewAlreadyExists (registry/rest/create.go on a taken name). */
export function alreadyExists(type: ResourceType, name: string): ApiError {
  return new ApiError(failure(409, 'AlreadyExists', `${qualifiedResource(type)} "${name}" already exists`, resourceDetails(type, name)));
}

export const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';

/** errors.NewConflict: `Operation cannot be fulfilled on pods "x": <why>`. */
export function conflict(type: ResourceType, name: string, why: string = OPTIMISTIC_LOCK_MESSAGE): ApiError {
  return new ApiError(
    failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": ${why}`, resourceDetails(type, name)),
  );
}

/**
 * rest.BeforeDelete's early precondition check: a Conflict on the GroupResource {group, Kind}, so
 * the message says `on Pod "x"` (and details.kind is the Kind), not the resource.
 */
export function preconditionConflict(type: ResourceType, name: string, why: string): ApiError {
  const kind = type.group ? `${type.kind}.${type.group}` : type.kind;
  return new ApiError(
    failure(409, 'Conflict', `Operation cannot be fulfilled on ${kind} "${name}": ${why}`, resourceDetails(type, name, type.kind)),
  );
}

/**
 * The request options (CreateOptions, UpdateOptions, PatchOptions, DeleteOptions) refused by their
 * validation: errors.NewInvalid on the GroupKind meta.k8s.io/<kind> with an empty name.
 */
export function optionsInvalid(kind: string, errors: readonly FieldError[]): ApiError {
  const causes: StatusCause[] = errors.map((e) => ({ reason: CAUSE_REASON[e.type], message: errorBody(e), field: e.field }));
  return new ApiError(
    failure(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${aggregateText(errors)}`, { group: 'meta.k8s.io', kind, causes }),
  );
}

/** errors.NewInvalid: `Pod "x" is invalid: <aggregate>`, details.kind is the Kind, one cause per field error. */
export function invalid(type: ResourceType, name: string, errors: readonly FieldError[]): ApiError {
  const causes: StatusCause[] = errors.map((e) => ({ reason: CAUSE_REASON[e.type], message: errorBody(e), field: e.field }));
  return new ApiError(
    failure(422, 'Invalid', `${qualifiedKind(type)} "${name}" is invalid: ${aggregateText(errors)}`, {
      ...resourceDetails(type, name, type.kind),
      causes,
    }),
  );
}

/** errors.NewBadRequest. */
export function badRequest(message: string): ApiError {
  return new ApiError(failure(400, 'BadRequest', message));
}

/** errors.NewForbidden (admission.NewForbidden): `pods "x" is forbidden: <why>`. */
export function forbidden(type: ResourceType, name: string, why: string, causes?: readonly StatusCause[]): ApiError {
  return new ApiError(
    failure(403, 'Forbidden', `${qualifiedResource(type)} "${name}" is forbidden: ${why}`, {
      ...resourceDetails(type, name),
      ...(causes ? { causes: [...causes] } : {}),
    }),
  );
}

/** What the apiserver answers for a verb the path does not serve. */
export function methodNotAllowed(): ApiError {
  return new ApiError(failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}));
}

/** errors.NewInternalError. */
export function internalError(message: string): ApiError {
  return new ApiError(failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }));
}

/** A plain Go error reaching the handler (errToAPIStatus fallback): 500, reason Unknown (omitted). */
export function unknownServerError(message: string): ApiError {
  return new ApiError(failure(500, undefined, message));
}

/** errors.NewServiceUnavailable. */
export function serviceUnavailable(message = 'the server is currently unable to handle the request'): ApiError {
  return new ApiError(failure(503, 'ServiceUnavailable', message));
}

/** The max-in-flight filter (apiserver/pkg/server/filters/maxinflight.go): 429 with Retry-After. */
export function tooManyRequests(retryAfterSeconds: number): ApiError {
  return new ApiError(failure(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds }), {
    'retry-after': String(retryAfterSeconds),
  });
}

/** errors.NewResourceExpired (410 Gone, reason Expired). */
export function expired(message: string, continueToken?: string): ApiError {
  const body = failure(410, 'Expired', message);
  if (continueToken) body.metadata = { continue: continueToken };
  return new ApiError(body);
}

/** NewNotAcceptableError (handlers/negotiation): 406, for an Accept the server cannot answer. */
export function notAcceptable(message: string): ApiError {
  return new ApiError(failure(406, 'NotAcceptable', message));
}

/** NewUnsupportedMediaTypeError (handlers/patch.go, negotiation). */
export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError(
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    ),
  );
}

export interface SuccessStatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success';
  details: StatusDetails;
}

/** genericregistry.Store.finalizeDelete when ReturnDeletedObject is false ("Yes we set Kind field to resource"; no code). */
export function successStatus(type: ResourceType, name: string, uid: string): SuccessStatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, ...(type.group ? { group: type.group } : {}), kind: type.plural, uid },
  };
}
