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
  it.each(['examples/messages/template.json', 'examples/messages/inline-script.json'])('%s reads as a job request that the AKS example settings accept', (file) => {
    const request = readJobMessage(readFileSync(file, 'utf8'), settings.intake.templates, settings.intake.maxInlineScriptBytes);
    if (!request.ok) throw new Error(request.problems.map(problemToString).join('\n'));
    const spec = request.value.inlineScript ? { ...request.value.spec, main: 'abfss://jobs@contosolake.dfs.core.windows.net/_staging/inline/x/main_script.py', namespace: 'team-analytics' } : request.value.spec;
    const job = prepareJob(spec, settings, { source: { kind: 'message', ref: file } });
    if (!job.ok) throw new Error(job.problems.map(problemToString).join('\n'));
    expect(job.value.namespace).toMatch(/^team-/);
  });
});
