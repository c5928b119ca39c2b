import { describe, expect, it } from 'vitest';
import { readJobMessage } from '../../src/domain/spec/jobMessage.js';

const templates = {
  'daily-report': {
    name: 'daily-report',
    main: 'abfss://jobs@sparkdispatchdemo.dfs.core.windows.net/report/main.py',
    args: ['--date', '{date}', '--region', '{region}'],
  },
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
    const r = read({
      template: 'daily-report',
      parameters: { date: '2026-11-23', region: 'emea' },
      jobKey: 'report/2026-11-23/emea',
      namespace: 'team-a',
    });
    expect(r).toEqual({
      ok: true,
      value: {
        template: 'daily-report',
        spec: {
          ...templates['daily-report'],
          args: ['--date', '2026-11-23', '--region', 'emea'],
          jobKey: 'report/2026-11-23/emea',
          namespace: 'team-a',
        },
      },
    });
    expect(templates['daily-report'].args).toEqual(['--date', '{date}', '--region', '{region}']); // the template itself is untouched
  });

  it('an inline script comes out separately, with its file name', () => {
    const r = read({ name: 'adhoc', script: { content: 'print("hi")\n', fileName: 'main_script.py' } });
    expect(r).toEqual({
      ok: true,
      value: { spec: { name: 'adhoc' }, inlineScript: { content: 'print("hi")\n', fileName: 'main_script.py' } },
    });
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

  const deep = (levels: number): unknown => {
    let value: unknown = 'x';
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };
  const problems = (body: unknown) => {
    const r = read(body);
    return r.ok ? [] : r.problems;
  };

  it('refuses a decoded body nested too deep before reading any of it', () => {
    expect(problems({ template: 'daily-report', parameters: deep(5000) })).toEqual([
      { path: 'parameters.a.a.a… (128 levels down)', expected: 'a message nested at most 128 levels deep', found: 'more than 128 levels' },
    ]);
    expect(problems(deep(129))[0]?.expected).toBe('a message nested at most 128 levels deep');
    // 128 levels pass the bound (the job spec schema then says what is wrong with them).
    expect(read(deep(128)).ok).toBe(true);
  });

  it('refuses a decoded body over 256 KiB, as text, bytes or a value', () => {
    const args = Array.from({ length: 30_000 }, (_, i) => `argument-${i}`);
    expect(problems({ name: 'x', main: 'local:///a.py', args })).toEqual([
      { path: '(root)', expected: 'a message of at most 256 KiB', found: 'more than 256 KiB as JSON (the limit is passed at args[15200])' },
    ]);
    const text = JSON.stringify({ name: 'x', main: 'local:///a.py', args });
    expect(problems(text)).toEqual([{ path: '(root)', expected: 'a document of at most 256 KiB', found: 'at least 487 KiB' }]);
    expect(problems(Buffer.from(text))).toEqual([{ path: '(root)', expected: 'a message of at most 256 KiB', found: '488 KiB' }]);
  });

  it('refuses bytes that are not UTF-8, saying where; a byte-order mark is fine', () => {
    const spec = { name: 'x', main: 'local:///a.py' };
    expect(problems(Buffer.from([0x7b, 0x22, 0xc3, 0x28]))).toEqual([
      {
        path: '(root)',
        expected: 'a JSON message in UTF-8 text',
        found: 'bytes that are not UTF-8 (from byte 2, 0xc3)',
        hint: 'save it as UTF-8 text',
      },
    ]);
    expect(problems(Buffer.from(`\ufeff${JSON.stringify(spec)}`, 'utf16le'))[0]).toMatchObject({
      hint: 'it looks like UTF-16 text: save it as UTF-8',
    });
    expect(read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(spec))]))).toEqual({
      ok: true,
      value: { spec },
    });
  });

  it('tabs and newlines are fine in scripts', () => {
    expect(read({ name: 'x', script: { content: 'def f():\n\treturn 1\r\n' } }).ok).toBe(true);
  });
});
