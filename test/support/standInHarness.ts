/** The shared setup of the stand-in unit tests: one stand-in per test file, fresh namespaces, client-node clients. */
import { afterAll, beforeAll } from 'vitest';
import { KubeConfig, type ApiConstructor, type ApiType } from '@kubernetes/client-node';
import { startStandIn, type StandIn, type StandInOptions } from '../../dev/kube-standin/index.js';

/** A client-node API client talking to `standIn`. */
export function clientFor<T extends ApiType>(standIn: StandIn, api: ApiConstructor<T>): T {
  const kc = new KubeConfig();
  kc.loadFromString(standIn.kubeconfig());
  return kc.makeApiClient(api);
}

export interface StandInHarness {
  /** The file's stand-in (started in beforeAll). */
  readonly standIn: StandIn;
  /** A client of the file's stand-in. */
  client<T extends ApiType>(api: ApiConstructor<T>): T;
  /** A new namespace `<prefix>-<n>` (in the file's stand-in unless another is given), so tests do not share state. */
  freshNamespace(standIn?: StandIn): string;
}

/** Registers beforeAll/afterAll that start and close one stand-in for the calling test file. */
export function useStandIn(prefix: string, options: StandInOptions = {}): StandInHarness {
  let current: StandIn | undefined;
  let counter = 0;
  beforeAll(async () => {
    current = await startStandIn(options);
  });
  afterAll(async () => {
    await current?.close();
  });
  const started = (): StandIn => {
    if (!current) throw new Error('the stand-in starts in beforeAll: use it inside hooks and tests');
    return current;
  };
  return {
    get standIn() {
      return started();
    },
    client: (api) => clientFor(started(), api),
    freshNamespace: (standIn = started()) => {
      const ns = `${prefix}-${++counter}`;
      standIn.createNamespace(ns);
      return ns;
    },
  };
}
