import { stringify as toYaml } from 'yaml';
import { BACKENDS } from '../../domain/spec/jobSpec.js';
import { operatorBackendProblems } from '../../domain/spec/operatorBackend.js';
import { renderList } from '../../domain/render/render.js';
import { oneOf, stringOption, UsageError, type Command } from '../command.js';
import { EXIT } from '../cliIo.js';
import { cliTenant } from '../cliTenant.js';
import { TENANT_OPTION, CONFIG_OPTION, OUTPUT_OPTION } from '../commonOptions.js';
import { loadCliSettings } from '../loadCliSettings.js';
import { readJobFile } from '../readJobFile.js';
import { writeProblems } from '../writeProblems.js';

export const renderCommand: Command = {
  name: 'render',
  summary: 'print the Kubernetes objects a job would create, without touching a cluster',
  usage: 'FILE [--backend native|operator] [-o yaml|json]',
  description: 'Prints a v1 List in creation order. The launcher adds ownerReferences to the driver pod when it creates them.',
  options: {
    ...CONFIG_OPTION,
    ...TENANT_OPTION,
    backend: {
      type: 'string',
      description: 'native (Pod, ConfigMap, Service) or operator (SparkApplication); default: the spec, else settings',
      valueName: 'BACKEND',
    },
    ...OUTPUT_OPTION(['yaml', 'json'], 'yaml'),
  },
  examples: [
    'spark-dispatch render examples/wordcount/spec.yaml',
    'spark-dispatch render examples/wordcount/spec.yaml --backend operator -o json',
  ],
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('name exactly one job file');
    const format = oneOf(args, 'output', ['yaml', 'json'], 'yaml');
    const backendFlag = stringOption(args, 'backend');
    const backend = backendFlag === undefined ? undefined : oneOf(args, 'backend', BACKENDS, 'native');
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;

    const file = args.positionals[0]!;
    const result = readJobFile(file, io.cwd, loaded.settings, cliTenant(args, loaded.settings).id);
    if (!result.ok) {
      writeProblems(io.stderr, file, result.problems);
      return EXIT.invalid;
    }
    // --backend operator on a native job: the operator backend's refusals still apply.
    if (backend === 'operator' && result.value.backend !== 'operator') {
      const problems = operatorBackendProblems(result.value, loaded.settings);
      if (problems.length > 0) {
        writeProblems(io.stderr, file, problems);
        return EXIT.invalid;
      }
    }
    const list = renderList(result.value, backend);
    io.stdout.write(
      format === 'json' ? `${JSON.stringify(list, null, 2)}\n` : toYaml(list, { lineWidth: 0, aliasDuplicateObjects: false }),
    );
    return EXIT.ok;
  },
};
