import type { Command } from '../command.js';
import { oneOf } from '../command.js';
import { EXIT } from '../cliIo.js';
import { CONFIG_OPTION, OUTPUT_OPTION } from '../commonOptions.js';
import { loadCliSettings } from '../loadCliSettings.js';
import { formatTable } from '../formatTable.js';

export const versionsCommand: Command = {
  name: 'versions',
  summary: 'list the Spark versions jobs may ask for (the image catalog)',
  usage: '[-o text|json]',
  options: { ...CONFIG_OPTION, ...OUTPUT_OPTION(['text', 'json'], 'text') },
  async run(args, io) {
    const format = oneOf(args, 'output', ['text', 'json'], 'text');
    const loaded = loadCliSettings(args, io);
    if (!loaded) return EXIT.infrastructure;
    const { images, defaultSparkVersion } = loaded.settings;
    const keys = Object.keys(images).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    if (format === 'json') {
      io.stdout.write(
        `${JSON.stringify({ default: defaultSparkVersion, versions: keys.map((k) => ({ version: k, ...images[k] })) }, null, 2)}\n`,
      );
      return EXIT.ok;
    }
    const rows = keys.map((k) => {
      const e = images[k]!;
      const hadoop = e.hadoopAzure === undefined || e.hadoopAzure === e.hadoop ? e.hadoop : `${e.hadoop} (hadoop-azure ${e.hadoopAzure})`;
      return [k === defaultSparkVersion ? `${k} (default)` : k, e.spark, e.python, hadoop, e.image];
    });
    io.stdout.write(formatTable(['VERSION', 'SPARK', 'PYTHON', 'HADOOP', 'IMAGE'], rows));
    io.stdout.write(`\nsettings: ${loaded.origin}\n`);
    return EXIT.ok;
  },
};
