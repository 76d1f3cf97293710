import pino from 'pino';
import { loadConfig } from '../config';

/** Structured JSON logs for every process; `name` says which process wrote the line. */
export function createLogger(name: string) {
  return pino({ name, level: loadConfig().LOG_LEVEL });
}

export type Logger = ReturnType<typeof createLogger>;
