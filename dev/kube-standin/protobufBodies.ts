/**
 * Request bodies in the Kubernetes protobuf encoding (application/vnd.kubernetes.protobuf), which
 * kubectl's typed create commands send (`kubectl create namespace|configmap|quota|priorityclass|
 * service`, `kubectl run`): the "k8s\0" magic, a runtime.Unknown envelope (typeMeta, raw), and the
 * object in the wire format of k8s.io/api/<group>/<version>/generated.proto. Decoded to the JSON
 * the same object would have, for the fields those commands set; other fields are skipped.
 */

type Kind = 'string' | 'bytes' | 'bool' | 'int' | 'message' | 'map' | 'time' | 'quantity' | 'intOrString';

interface FieldSpec {
  readonly name: string;
  readonly kind: Kind;
  readonly repeated?: boolean;
  /** For messages. */
  readonly schema?: Schema;
  /** For maps: the value's spec (keys are strings). */
  readonly value?: FieldSpec;
  /** An int field whose zero value JSON leaves out (`omitempty`). */
  readonly omitZero?: boolean;
}

type Schema = Readonly<Record<number, FieldSpec>>;

const str = (name: string, repeated = false): FieldSpec => ({ name, kind: 'string', repeated });
const int = (name: string, omitZero = false): FieldSpec => ({ name, kind: 'int', omitZero });
const bool = (name: string): FieldSpec => ({ name, kind: 'bool' });
const msg = (name: string, schema: Schema, repeated = false): FieldSpec => ({ name, kind: 'message', schema, repeated });
const map = (name: string, value: FieldSpec): FieldSpec => ({ name, kind: 'map', value });
const STRING_VALUE: FieldSpec = { name: 'value', kind: 'string' };
const QUANTITY_VALUE: FieldSpec = { name: 'value', kind: 'quantity' };

const OWNER_REFERENCE: Schema = {
  1: str('kind'),
  3: str('name'),
  4: str('uid'),
  5: str('apiVersion'),
  6: bool('controller'),
  7: bool('blockOwnerDeletion'),
};

const OBJECT_META: Schema = {
  1: str('name'),
  2: str('generateName'),
  3: str('namespace'),
  5: str('uid'),
  6: str('resourceVersion'),
  11: map('labels', STRING_VALUE),
  12: map('annotations', STRING_VALUE),
  13: msg('ownerReferences', OWNER_REFERENCE, true),
  14: str('finalizers', true),
};

const NAMESPACE: Schema = { 1: msg('metadata', OBJECT_META), 2: msg('spec', { 1: str('finalizers', true) }) };

const RESOURCE_QUOTA: Schema = {
  1: msg('metadata', OBJECT_META),
  2: msg('spec', {
    1: map('hard', QUANTITY_VALUE),
    2: str('scopes', true),
    3: msg('scopeSelector', { 1: msg('matchExpressions', { 1: str('scopeName'), 2: str('operator'), 3: str('values', true) }, true) }),
  }),
};

const CONFIG_MAP: Schema = {
  1: msg('metadata', OBJECT_META),
  2: map('data', STRING_VALUE),
  3: map('binaryData', { name: 'value', kind: 'bytes' }),
  4: bool('immutable'),
};

const PRIORITY_CLASS: Schema = {
  1: msg('metadata', OBJECT_META),
  2: int('value'),
  3: bool('globalDefault'),
  4: str('description'),
  5: str('preemptionPolicy'),
};

const SERVICE: Schema = {
  1: msg('metadata', OBJECT_META),
  2: msg('spec', {
    1: msg(
      'ports',
      {
        1: str('name'),
        2: str('protocol'),
        3: int('port'),
        4: { name: 'targetPort', kind: 'intOrString' },
        5: int('nodePort', true),
        6: str('appProtocol'),
      },
      true,
    ),
    2: map('selector', STRING_VALUE),
    3: str('clusterIP'),
    4: str('type'),
    5: str('externalIPs', true),
    7: str('sessionAffinity'),
    10: str('externalName'),
    18: str('clusterIPs', true),
  }),
};

const CONTAINER: Schema = {
  1: str('name'),
  2: str('image'),
  3: str('command', true),
  4: str('args', true),
  5: str('workingDir'),
  6: msg('ports', { 1: str('name'), 2: int('hostPort', true), 3: int('containerPort'), 4: str('protocol') }, true),
  7: msg('env', { 1: str('name'), 2: str('value') }, true),
  8: msg('resources', { 1: map('limits', QUANTITY_VALUE), 2: map('requests', QUANTITY_VALUE) }),
  14: str('imagePullPolicy'),
  16: bool('stdin'),
  17: bool('stdinOnce'),
  18: bool('tty'),
};

const POD: Schema = {
  1: msg('metadata', OBJECT_META),
  2: msg('spec', {
    2: msg('containers', CONTAINER, true),
    3: str('restartPolicy'),
    4: int('terminationGracePeriodSeconds'),
    5: int('activeDeadlineSeconds', true),
    6: str('dnsPolicy'),
    7: map('nodeSelector', STRING_VALUE),
    8: str('serviceAccountName'),
    10: str('nodeName'),
    19: str('schedulerName'),
    24: str('priorityClassName'),
  }),
};

const SCHEMAS: Record<string, Schema> = {
  'v1/Namespace': NAMESPACE,
  'v1/ResourceQuota': RESOURCE_QUOTA,
  'v1/ConfigMap': CONFIG_MAP,
  'v1/Service': SERVICE,
  'v1/Pod': POD,
  'scheduling.k8s.io/v1/PriorityClass': PRIORITY_CLASS,
};

export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufError';
  }
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new ProtobufError('truncated varint');
      const byte = this.buf[this.pos++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  }

  bytes(): Buffer {
    const length = Number(this.varint());
    if (this.pos + length > this.buf.length) throw new ProtobufError('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new ProtobufError(`unsupported wire type ${wireType}`);
  }
}

function toSigned(value: bigint): number {
  return Number(BigInt.asIntN(64, value));
}

function decodeScalar(spec: FieldSpec, reader: Reader, wireType: number): unknown {
  switch (spec.kind) {
    case 'string':
      return reader.bytes().toString('utf8');
    case 'bytes':
      return reader.bytes().toString('base64');
    case 'bool':
      return reader.varint() !== 0n;
    case 'int':
      return toSigned(reader.varint());
    case 'quantity': {
      const q = decodeMessage({ 1: str('string') }, reader.bytes());
      return typeof q.string === 'string' ? q.string : '0';
    }
    case 'intOrString': {
      const v = decodeMessage({ 1: int('type'), 2: int('intVal'), 3: str('strVal') }, reader.bytes());
      return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    }
    case 'time': {
      const t = decodeMessage({ 1: int('seconds') }, reader.bytes());
      return typeof t.seconds === 'number' && t.seconds !== 0
        ? new Date(t.seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
        : undefined;
    }
    case 'message':
      return decodeMessage(spec.schema ?? {}, reader.bytes());
    case 'map': {
      const entry = decodeMessage({ 1: str('key'), 2: spec.value ?? STRING_VALUE }, reader.bytes());
      return [entry.key ?? '', entry.value];
    }
  }
  void wireType;
  return undefined;
}

/** A message, with empty strings and empty messages left out as JSON's omitempty would. */
function decodeMessage(schema: Schema, buf: Buffer): Record<string, unknown> {
  const reader = new Reader(buf);
  const out: Record<string, unknown> = {};
  while (!reader.done) {
    const tag = Number(reader.varint());
    const field = tag >>> 3;
    const wireType = tag & 7;
    const spec = schema[field];
    if (!spec) {
      reader.skip(wireType);
      continue;
    }
    const value = decodeScalar(spec, reader, wireType);
    if (spec.kind === 'map') {
      const [key, v] = value as [string, unknown];
      const target = (out[spec.name] ??= {}) as Record<string, unknown>;
      target[key] = v ?? '';
    } else if (spec.repeated) {
      ((out[spec.name] ??= []) as unknown[]).push(value);
    } else if (spec.omitZero && value === 0) {
      continue;
    } else if (value !== undefined && value !== '' && !(typeof value === 'object' && value !== null && Object.keys(value).length === 0)) {
      out[spec.name] = value;
    }
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The JSON object of a protobuf request body; ProtobufError for a kind the stand-in cannot decode. */
export function decodeProtobufBody(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw new ProtobufError('provided object is not a protobuf message: missing the k8s magic prefix');
  const envelope = decodeMessage(
    { 1: msg('typeMeta', { 1: str('apiVersion'), 2: str('kind') }), 2: { name: 'raw', kind: 'bytes' } },
    body.subarray(4),
  );
  const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const key = `${typeMeta.apiVersion ?? ''}/${typeMeta.kind ?? ''}`;
  const schema = SCHEMAS[key];
  if (!schema) throw new ProtobufError(`the stand-in cannot decode ${key} from protobuf; send JSON`);
  const raw = Buffer.from(typeof envelope.raw === 'string' ? envelope.raw : '', 'base64');
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decodeMessage(schema, raw) };
}
