/**
 * Measured figures in the docs live between marker comments and are written only by the command that
 * measures them (`<!-- bench:dispatch:start -->` … `<!-- bench:dispatch:end -->`), so no figure is typed
 * by hand. One pure function replaces the text between a pair; the owners table says which command
 * writes which marker, and a unit test checks every pair in the docs against it.
 */

export interface MarkerOwner {
  /** The command that writes the marker's text. */
  command: string;
  /** The script that command runs (it names the marker). */
  script: string;
  /** The page the marker stands in. */
  page: string;
}

/** Marker name → who writes it. A name is `<command>:<section>`. */
export const MARKER_OWNERS: Readonly<Record<string, MarkerOwner>> = {
  'bench:results': { command: 'npm run bench -- --write', script: 'bench/run.ts', page: 'docs/performance.md' },
  'bench:e2e': { command: 'npm run bench -- --write', script: 'bench/run.ts', page: 'docs/performance.md' },
  'soak:results': { command: 'npm run soak -- --write', script: 'scripts/soak.ts', page: 'docs/reliability.md' },
};

export interface MarkerPair {
  name: string;
  /** Offsets of the text between the start comment's end and the end comment's start. */
  from: number;
  to: number;
}

export type MarkerScan = { kind: 'ok'; pairs: MarkerPair[] } | { kind: 'malformed'; problems: string[] };

const MARKER = /<!-- ([a-z0-9-]+:[a-z0-9-]+):(start|end) -->/g;

/** Every marker pair in a text, or what is wrong with them (unclosed, unopened, nested, repeated). */
export function scanMarkers(text: string): MarkerScan {
  const pairs: MarkerPair[] = [];
  const problems: string[] = [];
  let open: { name: string; from: number } | undefined;
  const seen = new Set<string>();
  for (const match of text.matchAll(MARKER)) {
    const [whole, name = '', edge] = match;
    const at = match.index;
    if (edge === 'start') {
      if (open) problems.push(`${name}:start inside ${open.name}`);
      else if (seen.has(name)) problems.push(`${name} appears twice`);
      else open = { name, from: at + whole.length };
    } else if (!open || open.name !== name) {
      problems.push(`${name}:end without its start`);
    } else {
      pairs.push({ name, from: open.from, to: at });
      seen.add(name);
      open = undefined;
    }
  }
  if (open) problems.push(`${open.name}:start without its end`);
  return problems.length > 0 ? { kind: 'malformed', problems } : { kind: 'ok', pairs };
}

export type Replacement =
  { kind: 'replaced'; text: string } | { kind: 'missing'; name: string } | { kind: 'malformed'; problems: string[] };

/** The text with what stands between `name`'s markers replaced by `content` (on lines of its own). */
export function replaceBetweenMarkers(text: string, name: string, content: string): Replacement {
  const scan = scanMarkers(text);
  if (scan.kind === 'malformed') return scan;
  const pair = scan.pairs.find((p) => p.name === name);
  if (!pair) return { kind: 'missing', name };
  const body = content.replace(/^\n+|\n+$/g, '');
  return { kind: 'replaced', text: `${text.slice(0, pair.from)}\n${body}\n${text.slice(pair.to)}` };
}
