/**
 * What the Function App's package contains: tsconfig.app.json compiles functions/ and exactly the
 * files they import (statically or with import()), which is what `npm run build:app` emits into
 * the zip that .github/workflows/deploy.yml and infra/aks/deploy.sh deploy. The development stack
 * (dev/), the CLI, tests and scripts must not be in it, and what is in it must run with production
 * dependencies only (`npm ci --omit=dev`).
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The repository files tsc would emit for tsconfig.app.json, as repository paths. */
function appFiles(): string[] {
  const configPath = join(ROOT, 'tsconfig.app.json');
  const read = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, configPath);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  return program
    .getSourceFiles()
    .filter((f) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/'))
    .map((f) => relative(ROOT, f.fileName))
    .sort();
}

/** Bare module specifiers a file imports (static, type-only excluded, and import()). */
function packagesImported(path: string): string[] {
  const source = ts.createSourceFile(path, readFileSync(join(ROOT, path), 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier))
      found.push(node.moduleSpecifier.text);
    if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      found.push(node.moduleSpecifier.text);
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    )
      found.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((s) => !s.startsWith('.')).map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('the Function App package (tsconfig.app.json)', () => {
  const files = appFiles();

  it('holds the three functions and the product code they import, nothing else', () => {
    expect(files.filter((f) => f.startsWith('functions/'))).toEqual([
      'functions/jobMessages.ts',
      'functions/storageEvents.ts',
      'functions/sweeper.ts',
    ]);
    const outside = files.filter((f) => !f.startsWith('functions/') && !f.startsWith('src/'));
    expect(outside).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/cli/'))).toEqual([]);
    // The use cases, the adapters and the runtime that wires them are there: the functions load them lazily.
    for (const needed of [
      'src/usecases/handleJobMessage.ts',
      'src/usecases/handleStorageEvents.ts',
      'src/usecases/sweep.ts',
      'src/runtime/functionsRuntime.ts',
      'src/triggers/jobMessagesHandler.ts',
    ]) {
      expect(files).toContain(needed);
    }
  });

  it('lists its folders: every one is product code', () => {
    const folders = [...new Set(files.map((f) => dirname(f)))].sort();
    expect(folders.every((f) => f === 'functions' || f.startsWith('src/'))).toBe(true);
    // Written out so a change to what ships shows up in review.
    expect(folders).toMatchInlineSnapshot(`
      [
        "functions",
        "src/adapters",
        "src/adapters/blob",
        "src/adapters/kubernetes",
        "src/adapters/serviceBus",
        "src/domain/intake",
        "src/domain/render",
        "src/domain/spec",
        "src/domain/sweep",
        "src/domain/tenant",
        "src/runtime",
        "src/settings",
        "src/shared",
        "src/telemetry",
        "src/triggers",
        "src/usecases",
      ]
    `);
  });

  it('needs only production dependencies and Node built-ins', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const needed = [...new Set(files.flatMap(packagesImported))].filter((m) => !m.startsWith('node:') && !builtins.has(m)).sort();
    expect(needed.filter((m) => !(m in pkg.dependencies))).toEqual([]);
    expect(needed).toContain('@azure/functions');
  });
});
