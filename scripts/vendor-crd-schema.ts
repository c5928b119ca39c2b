/**
 * Vendors the OpenAPI v3 schema of the Spark Operator's SparkApplication CRD (v1beta2) into
 * test/fixtures/crd, so that `npm test` checks the operator backend against the real CRD on a
 * clean clone, without the reference folder ../shared/schemas.
 *
 *   npx tsx scripts/vendor-crd-schema.ts [--commit <sha>] [--source <dir>]
 *
 * The source defaults to ../shared/schemas (relative to the repository root). The upstream commit
 * is taken from --commit, else from the source folder's README.md ("… at commit <sha> …").
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const CRD_FILE = 'sparkoperator.k8s.io_sparkapplications.yaml';
const LICENSE_FILE = 'LICENSE-spark-operator';
const VERSION = 'v1beta2';
const OUT_SCHEMA = `sparkapplication-${VERSION}.schema.json`;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function fail(message: string): never {
  console.error(`vendor-crd-schema: ${message}`);
  process.exit(1);
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * JSON that stays small without becoming one line: a value is written on one line when that line
 * fits in `width` columns, otherwise its members go one per line, indented by two.
 */
function formatJson(value: unknown, width = 120): string {
  const render = (v: unknown, indent: string, used: number): string => {
    if (!isMap(v) && !Array.isArray(v)) return JSON.stringify(v) ?? 'null';
    const line = spaced(v);
    if (indent.length + used + line.length < width) return line;
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[\n${v.map((item) => inner + render(item, inner, 0)).join(',\n')}\n${indent}]`;
    }
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries
      .map(([k, x]) => {
        const key = `${JSON.stringify(k)}: `;
        return inner + key + render(x, inner, key.length);
      })
      .join(',\n')}\n${indent}}`;
  };
  // One-line form with a space after ':' and ',' (outside strings), for readability.
  const spaced = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(spaced).join(', ')}]`;
    if (isMap(v)) {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${spaced(x)}`).join(', ')} }`;
    }
    return JSON.stringify(v) ?? 'null';
  };
  return `${render(value, '', 0)}\n`;
}

function main(): void {
  const sourceDir = resolve(repoRoot, option('--source') ?? '../shared/schemas');
  const crdPath = join(sourceDir, CRD_FILE);
  const licensePath = join(sourceDir, LICENSE_FILE);
  if (!existsSync(crdPath)) fail(`no CRD at ${crdPath} (pass --source <dir>)`);
  if (!existsSync(licensePath)) fail(`no license at ${licensePath}: the schema is not vendored without its license`);

  const crdText = readFileSync(crdPath, 'utf8');
  const crd: unknown = parseYaml(crdText, { maxAliasCount: -1 });
  if (!isMap(crd) || crd.kind !== 'CustomResourceDefinition' || !isMap(crd.spec)) fail(`${crdPath} is not a CustomResourceDefinition`);
  const spec = crd.spec as Record<string, unknown>;
  if (spec.group !== 'sparkoperator.k8s.io' || !isMap(spec.names) || spec.names.kind !== 'SparkApplication') {
    fail(`${crdPath} is not the SparkApplication CRD of sparkoperator.k8s.io`);
  }
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  const version = versions.find((v): v is Record<string, unknown> => isMap(v) && v.name === VERSION);
  if (!version) fail(`the CRD has no version ${VERSION} (found: ${versions.map((v) => (isMap(v) ? String(v.name) : '?')).join(', ')})`);
  const schema = isMap(version.schema) ? version.schema.openAPIV3Schema : undefined;
  if (!isMap(schema)) fail(`version ${VERSION} has no schema.openAPIV3Schema`);

  let commit = option('--commit');
  if (!commit) {
    const readme = join(sourceDir, 'README.md');
    const match = existsSync(readme) ? /\bcommit\s+([0-9a-f]{7,40})\b/i.exec(readFileSync(readme, 'utf8')) : null;
    commit = match?.[1];
  }
  if (!commit) fail('the upstream commit is unknown: pass --commit <sha>');

  const outDir = join(repoRoot, 'test', 'fixtures', 'crd');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, OUT_SCHEMA), formatJson(schema));
  writeFileSync(join(outDir, LICENSE_FILE), readFileSync(licensePath));

  const sha256 = createHash('sha256').update(crdText, 'utf8').digest('hex');
  const generator =
    isMap(crd.metadata) && isMap(crd.metadata.annotations) ? crd.metadata.annotations['controller-gen.kubebuilder.io/version'] : undefined;
  const readme = `# Vendored SparkApplication CRD schema

\`${OUT_SCHEMA}\` is \`spec.versions[name=${VERSION}].schema.openAPIV3Schema\` of the
SparkApplication CustomResourceDefinition of the Kubeflow Spark Operator
(https://github.com/kubeflow/spark-operator), file
\`config/crd/bases/${CRD_FILE}\` at commit ${commit}${typeof generator === 'string' ? ` (generated by controller-gen ${generator})` : ''},
converted from YAML to JSON without other changes. Source file sha256: \`${sha256}\`.

It is licensed under the Apache License 2.0: see \`${LICENSE_FILE}\`, copied from the same repository.

\`test/support/crdValidator.ts\` compiles it, with the API server's strict field validation, and
\`test/unit/renderOperator.test.ts\` checks every SparkApplication the operator backend renders
against it.

## Refreshing

1. Put the CRD (\`${CRD_FILE}\`) and the operator's \`LICENSE\` (as \`${LICENSE_FILE}\`) of the
   operator version you target in a folder, by default \`../shared/schemas\` next to this repository.
2. Run \`npx tsx scripts/vendor-crd-schema.ts --commit <sha>\` (add \`--source <dir>\` for another
   folder; without \`--commit\` the commit is read from that folder's README.md).
3. Run \`npx vitest run test/unit/renderOperator.test.ts\` and review the diff of this folder.
`;
  writeFileSync(join(outDir, 'README.md'), readme);
  console.log(`wrote ${relative(repoRoot, outDir)}/{${OUT_SCHEMA},${LICENSE_FILE},README.md} from ${crdPath} (commit ${commit})`);
}

main();
