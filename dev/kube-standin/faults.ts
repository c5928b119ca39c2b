/**
 * Fault injection: what a flaky control plane does to clients (apiserver 500s, 503s from an
 * overloaded or restarting server, 429 from API Priority and Fairness / max-in-flight with
 * Retry-After, connections reset by a load balancer, requests that never get an answer).
 * Deterministic given a seed and the same sequence of requests.
 */
import type { FaultKind, FaultRule } from './standInTypes.js';

export interface FaultDecision {
  readonly latencyMs: number;
  readonly fault?: { readonly kind: FaultKind; readonly retryAfterSeconds: number };
}

const KINDS: readonly FaultKind[] = ['500', '503', '429', 'reset', 'timeout'];
const VERBS = ['create', 'get', 'list', 'patch', 'update', 'delete', 'deletecollection', '*'];

/** mulberry32: a small seeded PRNG. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function validateFaultRules(rules: unknown): FaultRule[] {
  if (!Array.isArray(rules)) throw new Error('fault rules must be an array');
  return rules.map((rule, i) => {
    if (typeof rule !== 'object' || rule === null) throw new Error(`fault rule ${i} must be an object`);
    const r = rule as Record<string, unknown>;
    if (typeof r.rate !== 'number' || !(r.rate >= 0 && r.rate <= 1)) throw new Error(`fault rule ${i}: rate must be a number from 0 to 1`);
    if (!Array.isArray(r.kinds) || r.kinds.some((k) => !KINDS.includes(k as FaultKind)))
      throw new Error(`fault rule ${i}: kinds must be a list of ${KINDS.join(', ')}`);
    if (r.kinds.length === 0 && r.rate > 0) throw new Error(`fault rule ${i}: kinds must not be empty when rate > 0`);
    if (r.verb !== undefined && !VERBS.includes(String(r.verb)))
      throw new Error(`fault rule ${i}: verb must be one of ${VERBS.join(', ')}`);
    if (r.resource !== undefined && typeof r.resource !== 'string') throw new Error(`fault rule ${i}: resource must be a string`);
    for (const key of ['retryAfterSeconds', 'latencyMs']) {
      if (r[key] !== undefined && (typeof r[key] !== 'number' || (r[key] as number) < 0))
        throw new Error(`fault rule ${i}: ${key} must be a non-negative number`);
    }
    return structuredClone(rule as FaultRule);
  });
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private readonly random: () => number;

  constructor(seed?: number) {
    this.random = mulberry32(seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  setRules(rules: unknown): void {
    this.rules = validateFaultRules(rules);
  }

  /** The latency to add and the fault to inject (if any) for one request, rules in order; the first fault that fires wins. */
  decide(verb: string, resource: string): FaultDecision {
    let latencyMs = 0;
    let fault: FaultDecision['fault'];
    for (const rule of this.rules) {
      const verbMatches = rule.verb === undefined || rule.verb === '*' || rule.verb === verb;
      const resourceMatches = rule.resource === undefined || rule.resource === resource || resource.startsWith(`${rule.resource}/`);
      if (!verbMatches || !resourceMatches) continue;
      latencyMs += rule.latencyMs ?? 0;
      if (fault || rule.rate <= 0 || rule.kinds.length === 0) continue;
      if (this.random() < rule.rate) {
        const kind = rule.kinds[Math.floor(this.random() * rule.kinds.length)] ?? rule.kinds[0];
        if (kind) fault = { kind, retryAfterSeconds: rule.retryAfterSeconds ?? 1 };
      }
    }
    return fault ? { latencyMs, fault } : { latencyMs };
  }
}
