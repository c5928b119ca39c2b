import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readJobMessage } from '../../src/domain/spec/jobMessage.js';
import { prepareJob } from '../../src/domain/spec/prepareJob.js';
import { problemToString } from '../../src/domain/spec/problem.js';
import { loadSettings } from '../../src/settings/loadSettings.js';

const settings = (() => {
  const r = loadSettings({ env: {}, configFile: 'examples/settings/aks.yaml', readFile: (p) => readFileSync(p, 'utf8') });
  if (!r.ok) throw new Error(r.problems.map(problemToString).join('\n'));
  return r.value.settings;
})();

describe('example job messages', () => {
  // Each message is sent to its team's queue: the template is sales', the ad-hoc script analytics'.
  it.each([
    ['examples/messages/template.json', 'sales', 'team-sales'],
    ['examples/messages/inline-script.json', 'analytics', 'team-analytics'],
  ] as const)('%s reads as a job request that the AKS example settings accept for tenant %s', (file, tenant, namespace) => {
    const own = settings.tenants[tenant]!;
    const request = readJobMessage(readFileSync(file, 'utf8'), own.intake.templates, settings.intake.maxInlineScriptBytes);
    if (!request.ok) throw new Error(request.problems.map(problemToString).join('\n'));
    const staging = own.intake.staging!;
    const staged = `abfss://${staging.filesystem}@${staging.account}.dfs.core.windows.net/${staging.prefix}${tenant}/x/main_script.py`;
    const spec = request.value.inlineScript ? { ...request.value.spec, main: staged } : request.value.spec;
    const job = prepareJob(spec, settings, { tenant, source: { kind: 'message', ref: file } });
    if (!job.ok) throw new Error(job.problems.map(problemToString).join('\n'));
    expect(job.value.namespace).toBe(namespace);
    // The other team's queue gets nowhere with the same message.
    const other = tenant === 'sales' ? 'analytics' : 'sales';
    expect(prepareJob(spec, settings, { tenant: other, source: { kind: 'message', ref: file } }).ok).toBe(false);
  });
});
