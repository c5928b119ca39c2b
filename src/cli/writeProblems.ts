import { problemToString, type Problem } from '../domain/spec/problem.js';

/** `invalid  FILE: N problems` and one line per problem: what validate, render and submit print. */
export function writeProblems(out: { write(text: string): unknown }, file: string, problems: readonly Problem[]): void {
  out.write(`invalid  ${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
  for (const p of problems) out.write(`  - ${problemToString(p)}\n`);
}
