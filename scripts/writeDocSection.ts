import { readFileSync, writeFileSync } from 'node:fs';
import { replaceBetweenMarkers } from './docMarkers.js';

/** Writes `content` between `name`'s markers in `page`; throws (a script's failure) when the markers are not there. */
export function writeDocSection(page: string, name: string, content: string): void {
  const result = replaceBetweenMarkers(readFileSync(page, 'utf8'), name, content);
  if (result.kind === 'missing') throw new Error(`${page} has no <!-- ${name}:start --> … <!-- ${name}:end --> pair`);
  if (result.kind === 'malformed') throw new Error(`${page}: ${result.problems.join('; ')}`);
  writeFileSync(page, result.text);
}
