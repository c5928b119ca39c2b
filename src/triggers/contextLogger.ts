import type { InvocationContext } from '@azure/functions';
import { jsonLogger, type Logger } from '../shared/logger.js';

/** Structured log lines through the invocation's logger, each carrying the invocation id. */
export function contextLogger(context: InvocationContext): Logger {
  return jsonLogger(
    { info: (l) => context.info(l), warn: (l) => context.warn(l), error: (l) => context.error(l) },
    { invocationId: context.invocationId, functionName: context.functionName },
  );
}
