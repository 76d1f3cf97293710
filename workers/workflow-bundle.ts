import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type BundleOptions, type Logger } from '@temporalio/worker';

const root = path.resolve(__dirname, '..');
/** The workflow code the worker runs. */
export const defaultWorkflowsPath = path.join(root, 'workflows', 'index.ts');
/**
 * Evaluated once per V8 context of the workflow threads and shared by every workflow in it: zod,
 * warmed up first (workflows/preloaded.ts says why), then the workflows with every module they
 * import. Otherwise each new saga evaluates all of them again, about a millisecond of CPU per saga.
 * The SDK freezes what shared modules export, so these modules keep no per-saga state and build
 * the zod schemas they parse with on each call (domain/orders/shipping-address.ts);
 * test/workflow/preloaded-bundle.workflow.spec.ts checks both.
 */
export const preloadedModules = [
  path.join(root, 'workflows', 'preloaded.ts'),
  path.join(root, 'workflows', 'index.ts'),
];

export interface WorkflowBundle {
  code: string;
}

/**
 * The workflow code a worker runs, bundled once by the SDK's bundler (webpack): every module the
 * workflows import, from this repository and from node_modules, plus the workflow interceptors the
 * plugins add. The worker loads this bundle and its build id is a hash of it (workers/build-id.ts),
 * so the two cannot differ. Webpack names modules relative to its context: the repository here,
 * not the directory the process was started in, so the same checkout bundles the same code from
 * wherever it runs.
 */
export function bundleWorkflows(
  options: { workflowsPath?: string; plugins?: BundleOptions['plugins']; logger?: Logger } = {},
): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: options.workflowsPath ?? defaultWorkflowsPath,
    plugins: options.plugins,
    preloadModules: preloadedModules,
    // Webpack's statistics are INFO; a failed bundle is logged as an error and thrown.
    logger: options.logger ?? new DefaultLogger('WARN'),
    webpackConfigHook: (config) => ({ ...config, context: root }),
  });
}
