/**
 * Writes a Java properties file exactly as java.util.Properties.store does, because Spark reads
 * spark.properties with Properties.load. Keys escape space, `:`, `=`, `#`, `!`, backslash and
 * control characters; values escape the same except inner spaces (only a leading one); every
 * character outside printable ASCII becomes a \u escape with four hex digits (UTF-16 code units, so emoji become pairs).
 */

function escape(text: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const code = text.charCodeAt(i);
    switch (ch) {
      case ' ':
        out += i === 0 || isKey ? '\\ ' : ' ';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\\':
      case '=':
      case ':':
      case '#':
      case '!':
        out += `\\${ch}`;
        break;
      default:
        out += code < 0x20 || code > 0x7e ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}` : ch;
    }
  }
  return out;
}

export const escapePropertyKey = (key: string): string => escape(key, true);
export const escapePropertyValue = (value: string): string => escape(value, false);

/** Sorted by key so that the same job always yields byte-identical conf (and ConfigMap). */
export function toJavaProperties(entries: Readonly<Record<string, string>>, header?: string): string {
  const lines = header ? header.split('\n').map((line) => `# ${line}`) : [];
  for (const key of Object.keys(entries).sort()) lines.push(`${escapePropertyKey(key)}=${escapePropertyValue(entries[key]!)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Reads a properties file as java.util.Properties.load does (separators `=`, `:` or white space,
 * `\` line continuations, escapes). Used by tests and by `render` consumers that round-trip.
 */
export function parseJavaProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const rawLines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < rawLines.length; i++) {
    let line = rawLines[i]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsWithOddBackslashes(line) && i + 1 < rawLines.length) {
      line = line.slice(0, -1) + rawLines[++i]!.replace(/^[ \t\f]+/, '');
    }
    let keyEnd = 0;
    while (keyEnd < line.length) {
      const c = line[keyEnd]!;
      if (c === '\\') keyEnd += 2;
      else if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      else keyEnd++;
    }
    let valueStart = keyEnd;
    while (valueStart < line.length && /[ \t\f]/.test(line[valueStart]!)) valueStart++;
    if (valueStart < line.length && (line[valueStart] === '=' || line[valueStart] === ':')) valueStart++;
    while (valueStart < line.length && /[ \t\f]/.test(line[valueStart]!)) valueStart++;
    out[unescape(line.slice(0, keyEnd))] = unescape(line.slice(valueStart));
  }
  return out;
}

function endsWithOddBackslashes(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, seq: string) => {
    if (seq.length === 5) return String.fromCharCode(parseInt(seq.slice(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[seq] ?? seq;
  });
}
