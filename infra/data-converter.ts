import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';

/**
 * The data converter every Temporal client, worker and replayer of this platform uses. One place,
 * so payload encoding (for example encryption) changes everywhere at once.
 */
export function dataConverter(_config: Config): DataConverter {
  return {};
}
