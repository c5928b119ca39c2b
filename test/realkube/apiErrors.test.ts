/**
 * The API server's own words, on both servers: each case below answered differently on the
 * stand-in before it was checked against a real kube-apiserver (docs/testing.md lists them), and
 * is the same in 1.20 and in today's Kubernetes source.
 */
import { describe, expect, it } from 'vitest';
import { contractServers, useContractServer } from '../support/contractServers.js';

describe.each(contractServers())('API answers on $name', (choice) => {
  const server = useContractServer(choice, 'answers');
  const configMaps = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;

  it('a delete whose uid or resourceVersion precondition fails: 409 on the Kind, from the early check', async () => {
    const ns = await server.namespace([]);
    const created = await server.raw('POST', configMaps(ns), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held' } });
    const { uid, resourceVersion } = created.body.metadata as { uid: string; resourceVersion: string };
    const wrongUid = await server.raw('DELETE', `${configMaps(ns)}/held`, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { uid: 'not-the-uid' },
    });
    expect(wrongUid).toEqual({
      status: 409,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `Operation cannot be fulfilled on ConfigMap "held": the UID in the precondition (not-the-uid) does not match the UID in record (${uid}). The object might have been deleted and then recreated`,
        reason: 'Conflict',
        details: { name: 'held', kind: 'ConfigMap' },
        code: 409,
      },
    });
    const staleVersion = await server.raw('DELETE', `${configMaps(ns)}/held`, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { resourceVersion: '1' },
    });
    expect(staleVersion.body.message).toBe(
      `Operation cannot be fulfilled on ConfigMap "held": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (${resourceVersion}). The object might have been modified`,
    );
  });

  it('an unsupported dryRun value: 422 on the request options', async () => {
    const ns = await server.namespace([]);
    const answer = await server.raw('POST', `${configMaps(ns)}?dryRun=Some`, { metadata: { name: 'x' } });
    expect(answer).toMatchObject({
      status: 422,
      body: {
        message: 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: supported values: "All"',
        reason: 'Invalid',
        details: {
          group: 'meta.k8s.io',
          kind: 'CreateOptions',
          causes: [
            { reason: 'FieldValueNotSupported', message: 'Unsupported value: []string{"Some"}: supported values: "All"', field: 'dryRun' },
          ],
        },
      },
    });
    expect((await server.raw('DELETE', `${configMaps(ns)}/x?dryRun=All&dryRun=Later`)).body.message).toBe(
      'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"All", "Later"}: supported values: "All"',
    );
  });

  it('a Service port 0: the port and the targetPort defaulted from it are both refused', async () => {
    const ns = await server.namespace([]);
    const answer = await server.raw('POST', `/api/v1/namespaces/${ns}/services`, {
      metadata: { name: 'svc' },
      spec: { ports: [{ port: 0 }] },
    });
    expect(answer.status).toBe(422);
    expect(answer.body.message).toBe(
      'Service "svc" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]',
    );
  });

  it('fields the type does not have are dropped, not stored', async () => {
    const ns = await server.namespace([]);
    const answer = await server.raw('POST', configMaps(ns), { metadata: { name: 'extra', color: 'blue' }, data: { a: 'b' }, bogus: 1 });
    expect(answer.status).toBe(201);
    expect(answer.body).not.toHaveProperty('bogus');
    expect(answer.body.metadata).not.toHaveProperty('color');
    expect(answer.body.data).toEqual({ a: 'b' });
  });

  it('a PriorityClass starts at generation 1', async () => {
    const name = `answers-${choice.name}-${Date.now()}`;
    const answer = await server.raw('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name },
      value: 7,
    });
    expect(answer.body).toMatchObject({ metadata: { name, generation: 1 }, value: 7, preemptionPolicy: 'PreemptLowerPriority' });
    await server.raw('DELETE', `/apis/scheduling.k8s.io/v1/priorityclasses/${name}`);
  });

  it('a terminating namespace: the Namespace as deleted (no grace period), then 403 for new content, with the NamespaceTerminating cause', async () => {
    const ns = await server.namespace([]);
    // A finalizer holds the namespace in Terminating on both servers until it is released.
    await server.raw('POST', configMaps(ns), { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    const deleted = await server.raw('DELETE', `/api/v1/namespaces/${ns}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.metadata).not.toHaveProperty('deletionGracePeriodSeconds');
    expect(deleted.body).toMatchObject({
      kind: 'Namespace',
      metadata: { name: ns, deletionTimestamp: expect.any(String) },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Terminating' },
    });
    const late = await server.raw('POST', configMaps(ns), { metadata: { name: 'late' } });
    expect(late).toMatchObject({
      status: 403,
      body: {
        message: `configmaps "late" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        reason: 'Forbidden',
        details: {
          name: 'late',
          kind: 'configmaps',
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }],
        },
      },
    });
    await server.raw(
      'PATCH',
      `${configMaps(ns)}/held`,
      { metadata: { finalizers: null } },
      { contentType: 'application/merge-patch+json' },
    );
  });

  it.each([
    [
      'not JSON',
      'x{}',
      "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character 'x' looking for beginning of value (787b7d)",
    ],
    [
      'cut off',
      '{"metadata":{"name":"abcdefghijklmnopqrstuvwxyz0123456789"',
      `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: unexpected end of JSON input ({"metadata":{"name":"abcdefghi ...)`,
    ],
    [
      'an array',
      '[1]',
      'the object provided is unrecognized (must be of type ConfigMap): couldn\'t get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" } (5b315d)',
    ],
    [
      'empty',
      '',
      "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)",
    ],
    [
      'another core kind',
      '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}',
      'Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion',
    ],
    [
      'an unknown kind',
      '{"apiVersion":"v1","kind":"Bogus","metadata":{"name":"b"}}',
      'Bogus in version "v1" cannot be handled as a ConfigMap: no kind "Bogus" is registered for version "v1" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"',
    ],
    [
      'an unknown version',
      '{"apiVersion":"v2","kind":"ConfigMap","metadata":{"name":"v"}}',
      'ConfigMap in version "v2" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for version "v2" in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"',
    ],
  ])("a body that is %s: 400 in the decoder's words", async (_what, body, message) => {
    const answer = await server.raw('POST', configMaps('default'), body);
    expect(answer).toMatchObject({ status: 400, body: { kind: 'Status', reason: 'BadRequest', code: 400, message } });
  });

  it('a field of the wrong JSON type: 400 "… cannot be handled as a ConfigMap: …"', async () => {
    const answer = await server.raw('POST', configMaps('default'), { metadata: { name: 'typed' }, data: 5 });
    expect(answer.status).toBe(400);
    // The rest is the JSON library's: json-iterator in 1.20, encoding/json's words (the stand-in's) since 1.23.
    expect(answer.body.message).toMatch(/^ConfigMap in version "v1" cannot be handled as a ConfigMap: /);
  });

  describe('metadata alone (Accept: as=PartialObjectMetadata), what a launch asks its creates for', () => {
    const metadataOnly = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
    const listOnly = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
    const configMap = (name: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, labels: { a: 'b' } },
      data: { big: 'x'.repeat(100) },
    });

    it('a create and a read answer PartialObjectMetadata with the metadata as stored, and nothing else', async () => {
      const ns = await server.namespace([]);
      const created = await server.raw('POST', configMaps(ns), configMap('meta'), { accept: `${metadataOnly},application/json` });
      expect(created.status).toBe(201);
      expect(Object.keys(created.body).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
      expect(created.body).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1' });
      const full = await server.raw('GET', `${configMaps(ns)}/meta`);
      const stored = full.body.metadata as Record<string, unknown>;
      expect(created.body.metadata).toMatchObject({
        name: 'meta',
        namespace: ns,
        uid: stored['uid'],
        resourceVersion: stored['resourceVersion'],
        labels: { a: 'b' },
      });
      const read = await server.raw('GET', `${configMaps(ns)}/meta`, undefined, { accept: metadataOnly });
      expect(read.body).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { uid: stored['uid'] } });
    });

    it('an Accept the server cannot answer: 406 before the create acts; the object form asked of a list: 406 naming the list', async () => {
      const ns = await server.namespace([]);
      const refused = await server.raw('POST', configMaps(ns), configMap('never'), {
        accept: 'application/json;as=Foo;g=meta.k8s.io;v=v1',
      });
      expect(refused).toEqual({
        status: 406,
        body: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
          reason: 'NotAcceptable',
          code: 406,
        },
      });
      expect((await server.raw('GET', `${configMaps(ns)}/never`)).status).toBe(404);
      const ofList = await server.raw('GET', configMaps(ns), undefined, { accept: metadataOnly });
      expect(ofList.status).toBe(406);
      expect(ofList.body.message).toBe('you requested PartialObjectMetadata, but the requested object is a list (*core.ConfigMapList)');
      await server.raw('POST', configMaps(ns), configMap('listed'));
      const list = await server.raw('GET', configMaps(ns), undefined, { accept: listOnly });
      expect(list.body).toMatchObject({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' });
      expect((list.body.items as { kind: string; metadata: { name: string } }[]).map((i) => [i.kind, i.metadata.name])).toContainEqual([
        'PartialObjectMetadata',
        'listed',
      ]);
    });
  });
});
