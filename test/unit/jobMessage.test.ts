import { describe, expect, it } from 'vitest';
import { readJobMessage } from '../../src/domain/spec/jobMessage.js';

const templates = {
  'daily-report': { name: 'daily-report', main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/report/main.py', args: ['--date', '{date}', '--region', '{region}'] },
};
const read = (body: unknown) => readJobMessage(body, templates, 1000);
const paths = (body: unknown) => {
  const r = read(body);
  return r.ok ? [] : r.problems.map((p) => p.path);
};

describe('readJobMessage', () => {
  it('a job spec is taken as is, from an object, a JSON string or bytes', () => {
    const spec = { name: 'x', main: 'local:///a.py' };
    for (const body of [spec, JSON.stringify(spec), Buffer.from(JSON.stringify(spec))]) {
      expect(read(body)).toEqual({ ok: true, value: { spec } });
    }
  });

  it('a template reference fills the placeholders and keeps jobKey and namespace', () => {
    const r = read({ template: 'daily-report', parameters: { date: '2026-11-23', region: 'emea' }, jobKey: 'report/2026-11-23/emea', namespace: 'team-a' });
    expect(r).toEqual({
      ok: true,
      value: {
        template: 'daily-report',
        spec: { ...templates['daily-report'], args: ['--date', '2026-11-23', '--region', 'emea'], jobKey: 'report/2026-11-23/emea', namespace: 'team-a' },
      },
    });
    expect(templates['daily-report'].args).toEqual(['--date', '{date}', '--region', '{region}']); // the template itself is untouched
  });

  it('an inline script comes out separately, with its file name', () => {
    const r = read({ name: 'adhoc', script: { content: 'print("hi")\n', fileName: 'main_script.py' } });
    expect(r).toEqual({ ok: true, value: { spec: { name: 'adhoc' }, inlineScript: { content: 'print("hi")\n', fileName: 'main_script.py' } } });
  });

  it.each([
    ['not JSON', '{"name": ', ['(root)']],
    ['a list', '[1,2]', ['(root)']],
    ['a number', 42, ['(root)']],
    ['an unknown template', { template: 'nope' }, ['template']],
    ['a missing placeholder value', { template: 'daily-report', parameters: { date: 'd' } }, ['parameters.region']],
    ['a non-string parameter', { template: 'daily-report', parameters: { date: 1, region: 'x' } }, ['parameters.date']],
    ['an unknown field next to a template', { template: 'daily-report', parameters: {}, colour: 1 }, ['colour']],
    ['main next to an inline script', { name: 'x', main: 'local:///a.py', script: { content: 'x' } }, ['main']],
    ['an empty script', { name: 'x', script: { content: '' } }, ['script.content']],
    ['an oversized script', { name: 'x', script: { content: 'x'.repeat(1001) } }, ['script.content']],
    ['a script with a NUL byte', { name: 'x', script: { content: 'a\u0000b' } }, ['script.content']],
    ['a script with a bidi override', { name: 'x', script: { content: 'a = "\u202e"' } }, ['script.content']],
    ['a script file name with a path', { name: 'x', script: { content: 'x', fileName: '../evil.py' } }, ['script.fileName']],
    ['a script file name that is not .py', { name: 'x', script: { content: 'x', fileName: 'run.sh' } }, ['script.fileName']],
  ])('refuses %s', (_, body, expected) => {
    expect(paths(body)).toEqual(expected);
  });

  it('tabs and newlines are fine in scripts', () => {
    expect(read({ name: 'x', script: { content: 'def f():\n\treturn 1\r\n' } }).ok).toBe(true);
  });
});
