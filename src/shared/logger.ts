/**
 * Structured logs: every line is one JSON object carrying the job key and the ids of the message
 * or event and of the invocation, so one job can be followed across message, launch, sweep and ledger.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined | readonly string[]>>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` too. */
  with(fields: LogFields): Logger;
}

export interface LogSink {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export function jsonLogger(sink: LogSink, base: LogFields = {}): Logger {
  const line = (level: string, message: string, fields: LogFields = {}) => JSON.stringify({ level, message, ...base, ...fields });
  return {
    info: (m, f) => sink.info(line('info', m, f)),
    warn: (m, f) => sink.warn(line('warn', m, f)),
    error: (m, f) => sink.error(line('error', m, f)),
    with: (fields) => jsonLogger(sink, { ...base, ...fields }),
  };
}

export const SILENT: Logger = { info: () => {}, warn: () => {}, error: () => {}, with: () => SILENT };
