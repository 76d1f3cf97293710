import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { searchAttributes } from '../../infra/search-attribute-keys';
import { provisionTimeSkippingServer } from '../../servers/temporal-test-server';
import { quietRuntime } from './quiet-runtime';

/**
 * Temporal's time-skipping test server (timers of hours pass in milliseconds), knowing the search
 * attributes the saga sets. The caller tears it down.
 */
export async function openTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const executable = await provisionTimeSkippingServer();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: executable } },
  });
  // The test server knows no custom search attributes until they are added (its CLI flag differs from the dev server's).
  const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(searchAttributes.map((k) => [k.name, KEYWORD])),
    });
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}
