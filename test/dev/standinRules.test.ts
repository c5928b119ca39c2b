/** The pure rules of the Kubernetes API stand-in: selectors, name syntax, patches, continue tokens. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KubeApi } from '../../dev/kube-standin/kubeApi.js';
import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
} from '../../dev/kube-standin/nameRules.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, decodeJsonPatch, PatchError } from '../../dev/kube-standin/patches.js';
import { resourceTypeByPlural } from '../../dev/kube-standin/resourceTypes.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from '../../dev/kube-standin/selectors.js';
import { ApiError } from '../../dev/kube-standin/statusObjects.js';
import { parseJavaProperties } from '../../dev/kube-standin/podSimulation.js';
import { decodeProtobufBody, ProtobufError } from '../../dev/kube-standin/protobufBodies.js';

describe('label selectors', () => {
  it('parses and matches every operator', () => {
    const labels = { app: 'spark', tier: 'driver', n: '7' };
    const cases: [string, boolean][] = [
      ['', true],
      ['app=spark', true],
      ['app==spark', true],
      ['app!=spark', false],
      ['missing!=x', true],
      ['tier in (driver,executor)', true],
      ['tier notin (driver)', false],
      ['missing notin (x)', true],
      ['app', true],
      ['!app', false],
      ['!missing', true],
      ['app=spark,tier=executor', false],
      ['n>5', true],
      ['n<5', false],
      ['app in (in, notin)', false],
      ['missing=', false],
      ['  app = spark  ,  tier  ', true],
    ];
    for (const [selector, expected] of cases)
      expect([selector, matchesLabels(parseLabelSelector(selector), labels)]).toEqual([selector, expected]);
    expect(matchesLabels(parseLabelSelector('empty='), { empty: '' })).toBe(true);
  });

  it('refuses malformed selectors', () => {
    for (const bad of ['app in spark', 'app=(x', '=x', 'a b', 'app in ()x', 'bad key!=x', 'app=bad value!', 'n>x', '!app=x']) {
      expect(() => parseLabelSelector(bad), bad).toThrow(SelectorError);
    }
  });
});

describe('field selectors', () => {
  it('parses =, == and != with escapes', () => {
    expect(parseFieldSelector('status.phase=Running,metadata.name!=a\\,b')).toEqual([
      { field: 'status.phase', operator: '=', value: 'Running' },
      { field: 'metadata.name', operator: '!=', value: 'a,b' },
    ]);
    expect(matchesFields(parseFieldSelector('spec.nodeName='), { 'spec.nodeName': '' })).toBe(true);
    expect(() => parseFieldSelector('status.phase')).toThrow(SelectorError);
  });
});

describe('name rules', () => {
  it('follow apimachinery validation', () => {
    expect(isDns1123Subdomain('a.b-c')).toEqual([]);
    expect(isDns1123Subdomain('a'.repeat(254))).toEqual(['must be no more than 253 characters']);
    expect(isDns1123Label('a.b')).toHaveLength(1);
    expect(isDns1035Label('1abc')[0]).toMatch(/^a DNS-1035 label must consist of/);
    expect(isDns1035Label('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
    expect(isQualifiedName('example.com/My_Name')).toEqual([]);
    expect(isQualifiedName('/x')).toEqual(['prefix part must be non-empty']);
    expect(isQualifiedName('a/b/c')[0]).toMatch(/^a qualified name must consist of/);
    expect(isValidLabelValue('')).toEqual([]);
    expect(isValidLabelValue('-x')).toHaveLength(1);
  });
});

describe('patches', () => {
  it('merge patch is RFC 7386', () => {
    expect(applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({ a: { c: 2, d: 3 }, l: [3] });
  });

  it('JSON patch is RFC 6902, with failing tests reported', () => {
    const doc = { metadata: { labels: { a: '1' } }, list: [1, 2, 3] };
    const ops = decodeJsonPatch([
      { op: 'add', path: '/list/-', value: 4 },
      { op: 'move', from: '/list/0', path: '/first' },
      { op: 'copy', from: '/metadata/labels', path: '/copied' },
      { op: 'remove', path: '/list/0' },
      { op: 'test', path: '/first', value: 1 },
      { op: 'add', path: '/metadata/labels/b~1c', value: 'x' },
    ]);
    expect(applyJsonPatch(doc, ops)).toEqual({ metadata: { labels: { a: '1', 'b/c': 'x' } }, list: [3, 4], first: 1, copied: { a: '1' } });
    expect(() => applyJsonPatch(doc, decodeJsonPatch([{ op: 'test', path: '/list/0', value: 9 }]))).toThrow(PatchError);
    expect(() => applyJsonPatch(doc, decodeJsonPatch([{ op: 'replace', path: '/nope', value: 1 }]))).toThrow(/doc is missing key/);
    expect(() => decodeJsonPatch({ op: 'add' })).toThrow(PatchError);
  });

  it('strategic merge patch merges keyed lists and honours $patch directives', () => {
    const pod = {
      spec: {
        containers: [
          { name: 'a', image: 'x:1' },
          { name: 'b', image: 'y:1' },
        ],
      },
      metadata: { finalizers: ['f1'] },
    };
    const patched = applyStrategicMergePatch(pod, {
      spec: {
        containers: [
          { name: 'b', image: 'y:2' },
          { name: 'a', $patch: 'delete' },
          { name: 'c', image: 'z:1' },
        ],
      },
      metadata: { finalizers: ['f2'] },
      $setElementOrder: undefined,
    });
    expect(patched).toEqual({
      spec: {
        containers: [
          { name: 'b', image: 'y:2' },
          { name: 'c', image: 'z:1' },
        ],
      },
      metadata: { finalizers: ['f1', 'f2'] },
    });
    expect(applyStrategicMergePatch(pod, { spec: { $patch: 'replace', restartPolicy: 'Never' } })).toEqual({
      spec: { restartPolicy: 'Never' },
      metadata: { finalizers: ['f1'] },
    });
    expect(applyStrategicMergePatch(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['f1'] } })).toEqual({
      ...pod,
      metadata: { finalizers: [] },
    });
  });
});

describe('java properties', () => {
  it('reads the spark.properties Spark writes', () => {
    expect(parseJavaProperties('# c\nspark.a=1\nspark.b : two words\nspark.c\\:d=x\\\n  y\n')).toEqual({
      'spark.a': '1',
      'spark.b': 'two words',
      'spark.c:d': 'xy',
    });
  });
});

describe('continue tokens', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expire (410) once the history they need is compacted, with a fresh token to carry on', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const api = new KubeApi({ gcDelayMs: 0 });
    try {
      const namespaces = resourceTypeByPlural('namespaces');
      if (!namespaces) throw new Error('no namespaces type');
      for (const name of ['a', 'b', 'c']) api.create({ type: namespaces, query: new URLSearchParams() }, { metadata: { name } });
      const first = api.list({ type: namespaces, query: new URLSearchParams({ limit: '1' }) }).body as { metadata: { continue: string } };
      // still consistent within the compaction window
      api.create({ type: namespaces, query: new URLSearchParams() }, { metadata: { name: 'aa' } });
      const second = api.list({ type: namespaces, query: new URLSearchParams({ limit: '1', continue: first.metadata.continue }) }).body as {
        items: { metadata: { name: string } }[];
      };
      expect(second.items.map((i) => i.metadata.name)).toEqual(['b']);

      vi.setSystemTime(Date.now() + 6 * 60_000);
      api.create({ type: namespaces, query: new URLSearchParams() }, { metadata: { name: 'later' } });
      let error: unknown;
      try {
        api.list({ type: namespaces, query: new URLSearchParams({ limit: '1', continue: first.metadata.continue }) });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ApiError);
      const body = (error as ApiError).body;
      expect(body).toMatchObject({ code: 410, reason: 'Expired' });
      expect(body.message).toMatch(/^The provided continue parameter is too old/);
      expect(body.metadata.continue).toBeTruthy();
    } finally {
      api.close();
    }
  });
});

describe('protobuf request bodies', () => {
  // captured from kubectl 1.32: create namespace tmp / create quota q --hard=count/pods=1 / create configmap c --from-literal=a=b / create priorityclass p --value=5
  const hex = {
    namespace: '6b3873000a0f0a02763112094e616d657370616365121b0a130a03746d7012001a0022002a0032003800420012001a020a001a002200',
    quota:
      '6b3873000a130a027631120d5265736f7572636551756f746112310a180a017112001a0764656661756c7422002a0032003800420012130a110a0a636f756e742f706f647312030a01311a001a002200',
    configMap: '6b3873000a0f0a0276311209436f6e6669674d6170121b0a110a016312001a0022002a0032003800420012060a01611201621a002200',
    priorityClass:
      '6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c617373122f0a110a017012001a0022002a003200380042001005180022002a14507265656d70744c6f7765725072696f726974791a002200',
  };

  it('decodes what kubectl create sends', () => {
    expect(decodeProtobufBody(Buffer.from(hex.namespace, 'hex'))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'tmp' },
    });
    expect(decodeProtobufBody(Buffer.from(hex.quota, 'hex'))).toEqual({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'q', namespace: 'default' },
      spec: { hard: { 'count/pods': '1' } },
    });
    expect(decodeProtobufBody(Buffer.from(hex.configMap, 'hex'))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: 'b' },
    });
    expect(decodeProtobufBody(Buffer.from(hex.priorityClass, 'hex'))).toEqual({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'p' },
      value: 5,
      globalDefault: false,
      preemptionPolicy: 'PreemptLowerPriority',
    });
    expect(() => decodeProtobufBody(Buffer.from('{}'))).toThrow(ProtobufError);
  });
});

describe('list pages as JSON text', () => {
  const type = (plural: string) => {
    const found = resourceTypeByPlural(plural);
    if (!found) throw new Error(`no ${plural} type`);
    return found;
  };
  const setUp = () => {
    const api = new KubeApi({ gcDelayMs: 0 });
    api.create({ type: type('namespaces'), query: new URLSearchParams() }, { metadata: { name: 'ns' } });
    for (const name of ['p1', 'p2', 'p3']) {
      api.create(
        { type: type('pods'), namespace: 'ns', query: new URLSearchParams() },
        { metadata: { name, labels: { role: 'driver' } }, spec: { containers: [{ name: 'c', image: 'spark:3.5.3' }] } },
      );
    }
    api.create(
      { type: type('sparkapplications'), namespace: 'ns', query: new URLSearchParams() },
      {
        apiVersion: 'sparkoperator.k8s.io/v1beta2',
        kind: 'SparkApplication',
        metadata: { name: 'app' },
        spec: {
          type: 'Python',
          mode: 'cluster',
          sparkVersion: '3.5.3',
          mainApplicationFile: 'abfss://jobs@acct.dfs.core.windows.net/x.py',
        },
      },
    );
    return api;
  };

  it('is byte for byte JSON.stringify of the list body: built-in items without kind, custom ones with it, paging metadata', () => {
    const api = setUp();
    for (const [plural, query] of [
      ['pods', { limit: '2', labelSelector: 'role=driver' }],
      ['pods', {}],
      ['sparkapplications', {}],
    ] as const) {
      const response = api.list({ type: type(plural), namespace: 'ns', query: new URLSearchParams(query) });
      expect(response.json?.()).toBe(JSON.stringify(response.body));
    }
    const page = api.list({ type: type('pods'), namespace: 'ns', query: new URLSearchParams({ limit: '2' }) });
    const parsed = JSON.parse(page.json?.() ?? '{}') as { metadata: { continue?: string }; items: Record<string, unknown>[] };
    expect(parsed.metadata.continue).toEqual(expect.any(String));
    expect(parsed.items.map((i) => [i.kind, (i.metadata as { name: string }).name])).toEqual([
      [undefined, 'p1'],
      [undefined, 'p2'],
    ]);
    const apps = JSON.parse(
      api.list({ type: type('sparkapplications'), namespace: 'ns', query: new URLSearchParams() }).json?.() ?? '{}',
    ) as { items: { kind: string }[] };
    expect(apps.items[0]?.kind).toBe('SparkApplication');
  });

  it('shows an object as it is now after a write, never a text kept from before', () => {
    const api = setUp();
    const before = JSON.parse(api.list({ type: type('pods'), namespace: 'ns', query: new URLSearchParams() }).json?.() ?? '{}') as {
      items: { metadata: { name: string; labels: Record<string, string> } }[];
    };
    expect(before.items[0]?.metadata.labels).toEqual({ role: 'driver' });
    api.patch(
      { type: type('pods'), namespace: 'ns', name: 'p1', query: new URLSearchParams() },
      { metadata: { labels: { role: 'driver', swept: 'yes' } } },
      'application/merge-patch+json',
    );
    const after = JSON.parse(
      api.list({ type: type('pods'), namespace: 'ns', query: new URLSearchParams() }).json?.() ?? '{}',
    ) as typeof before;
    expect(after.items[0]?.metadata.labels).toEqual({ role: 'driver', swept: 'yes' });
  });

  it('stored objects are frozen: code that tried to change one in place (and so every list page sharing it) throws', () => {
    const api = setUp();
    const stored = api.store.peek('pods', 'ns', 'p1');
    if (!stored) throw new Error('p1 not stored');
    expect(() => {
      (stored.metadata as { name: string }).name = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      (stored.metadata.labels as Record<string, string>).role = 'executor';
    }).toThrow(TypeError);
    expect(api.store.peek('pods', 'ns', 'p1')?.metadata.labels).toEqual({ role: 'driver' });
  });
});
