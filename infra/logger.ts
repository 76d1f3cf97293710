import pino from 'pino';
import { loadConfig } from '../config';

/** Structured JSON logs for every process; `name` says which process wrote the line. */
export function createLogger(name: string, level: string = loadConfig().LOG_LEVEL) {
  return pino({ name, level });
}

export type Logger = ReturnType<typeof createLogger>;
