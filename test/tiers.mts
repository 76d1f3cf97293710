/**
 * The test tiers. A spec file's name says its tier (`*.unit.spec.ts`, `*.workflow.spec.ts`,
 * `*.int.spec.ts`, `*.e2e.spec.ts`); the tier says which of the run's shared servers it needs, and
 * only tiers that need one get the global setup that starts them (test/global-setup.ts).
 * vitest.config.mts builds one vitest project per tier from this list.
 */
export type SharedServer = 'temporal' | 'mongodb';

export interface Tier {
  /** The vitest project's name: `vitest run --project <name>`, `npm run test:<name>`. */
  project: 'unit' | 'workflow' | 'integration' | 'e2e';
  /** The file name's tier mark: `<name>.<mark>.spec.ts`. */
  mark: 'unit' | 'workflow' | 'int' | 'e2e';
  /** The servers test/global-setup.ts obtains for this tier; none means no global setup at all. */
  servers: readonly SharedServer[];
}

export const TIERS: readonly Tier[] = [
  // Pure logic and files on disk: no server, no Java, no Go build, no workflow bundle.
  { project: 'unit', mark: 'unit', servers: [] },
  // The saga in Temporal's time-skipping server (each file starts its own) with the real activities
  // on the run's MongoDB, and the replay of recorded histories (no server at all).
  { project: 'workflow', mark: 'workflow', servers: ['mongodb'] },
  { project: 'integration', mark: 'int', servers: ['temporal', 'mongodb'] },
  // Processes started as users start them; some start servers of their own besides the shared ones.
  { project: 'e2e', mark: 'e2e', servers: ['temporal', 'mongodb'] },
];

/** Where a tier's spec files are, relative to the repository root. */
export const specGlob = (tier: Tier) => `test/**/*.${tier.mark}.spec.ts`;

/** The tier a spec file's name puts it in, if any. */
export function tierOf(file: string): Tier | undefined {
  return TIERS.find((tier) => file.endsWith(`.${tier.mark}.spec.ts`));
}
