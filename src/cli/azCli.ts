/** Runs the Azure CLI (`az`), the way in for what only the management plane knows (a Function App's settings). */
import { spawn } from 'node:child_process';
import { DispatchError } from '../shared/errors.js';
import type { AzRunner, CliIo } from './cliIo.js';

/** `az <args>` as a child process: its exit code and output (127 when az is not installed). */
export const runAz: AzRunner = (args) =>
  new Promise((resolvePromise) => {
    let stdout = '';
    let stderr = '';
    // On Windows az is az.cmd, which only a shell runs.
    const child = spawn('az', [...args], { shell: process.platform === 'win32', stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error: NodeJS.ErrnoException) =>
      resolvePromise({ code: error.code === 'ENOENT' ? 127 : 1, stdout, stderr: stderr || error.message }),
    );
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });

/**
 * `az <args> --output json`, parsed; a failure becomes a DispatchError that says what to do:
 * install az, `az login`, or which right is missing.
 */
export async function azJson(io: CliIo, args: readonly string[], doing: string): Promise<unknown> {
  const az = io.azure?.az ?? runAz;
  const result = await az([...args, '--output', 'json']);
  if (result.code === 127)
    throw new DispatchError(
      'configuration',
      `${doing}: the Azure CLI (az) is not installed: see https://aka.ms/azure-cli, then \`az login\``,
    );
  if (result.code !== 0) {
    const said = result.stderr
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(0, 3)
      .join(' ');
    if (/az login|AADSTS|expired|Please run/i.test(said))
      throw new DispatchError('unauthorized', `${doing}: the Azure CLI is not signed in: run \`az login\` (az said: ${said})`);
    if (/AuthorizationFailed|does not have authorization|Forbidden/i.test(said))
      throw new DispatchError('forbidden', `${doing}: ${said}`, { serverMessage: said });
    throw new DispatchError('configuration', `${doing}: az ${args.slice(0, 3).join(' ')} failed: ${said || `exit code ${result.code}`}`);
  }
  try {
    return JSON.parse(result.stdout) as unknown;
  } catch (error) {
    throw new DispatchError('configuration', `${doing}: az ${args.slice(0, 3).join(' ')} printed no JSON`, { cause: error });
  }
}
