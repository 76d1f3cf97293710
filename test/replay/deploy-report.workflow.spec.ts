import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFixtures, replayFixtures, type Fixture } from './replay-histories';

/**
 * The deploy gate's report on a refused history (npm run deploy:check, npm run replay): the
 * command the new code issued against the one the history holds, the source line that issued it,
 * and whether a patched() branch or a new build fits. Each change is planted in a small copy of
 * the saga (test/fixtures/nondeterminism/<change>/workflows.ts) and replayed against the history
 * the unchanged copy recorded (baseline.history.json).
 */
const dir = path.join('test', 'fixtures', 'nondeterminism');
const [baseline] = loadFixtures(path.resolve(dir));
const events = baseline!.history.events!;

/** The event that scheduled `activity` in the recorded history. */
const scheduled = (activity: string) =>
  events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity)!;
/** `file:line` of the first line of a fixture's workflow code that contains `text`. */
const lineOf = (change: string, text: string) => {
  const file = path.join(dir, change, 'workflows.ts');
  const index = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`${file} has no line with ${text}`);
  return `${file}:${index + 1}`;
};
const replay = async (change: string, history: Fixture = baseline!) => {
  const failures = await replayFixtures([history], path.resolve(dir, change, 'workflows.ts'));
  expect(failures.map((f) => f.file)).toEqual([history.file]);
  return failures[0]!;
};

describe('the deploy report names what changed, where, and what fits', () => {
  it('replays the recorded history on the unchanged copy of the saga', async () => {
    expect(baseline?.file).toBe(path.join(dir, 'baseline.history.json'));
    expect(await replayFixtures([baseline!], path.resolve(dir, 'baseline', 'workflows.ts'))).toEqual([]);
  });

  it('an added step: the new activity against the one the history scheduled there, its line, and a patched() branch', async () => {
    const payment = scheduled('processPayment');
    const failure = await replay('added-step');
    const source = lineOf('added-step', 'act.fraudCheck(');

    expect(failure.divergingEvent?.eventId).toBe(Number(payment.eventId));
    expect(failure.explanation).toMatchObject({
      kind: 'added',
      actual: "scheduled activity 'fraudCheck'",
      expected: `ActivityTaskScheduled 'processPayment' (event ${String(payment.eventId)})`,
      source,
      differences: [],
    });
    expect(failure.message).toContain(
      `Command:  new code scheduled activity 'fraudCheck'; history has ActivityTaskScheduled 'processPayment' (event ${String(payment.eventId)})`,
    );
    expect(failure.message).toContain(`Source:   ${source}`);
    expect(failure.message).toMatch(
      new RegExp(
        `Advice: {3}patched\\(\\) fits: a command added at ${source.replace(/\./g, '\\.')} .*if \\(patched\\('<id>'\\)\\)`,
      ),
    );
  });

  it('a removed step: the next activity where the history has the removed one, its line, and a patched() branch that keeps it', async () => {
    const reservation = scheduled('reserveItems');
    const failure = await replay('removed-step');
    const source = lineOf('removed-step', 'act.scheduleShipment(');

    expect(failure.divergingEvent?.eventId).toBe(Number(reservation.eventId));
    expect(failure.explanation).toMatchObject({
      kind: 'removed',
      actual: "scheduled activity 'scheduleShipment'",
      expected: `ActivityTaskScheduled 'reserveItems' (event ${String(reservation.eventId)})`,
      source,
    });
    expect(failure.message).toContain(
      `Command:  new code scheduled activity 'scheduleShipment'; history has ActivityTaskScheduled 'reserveItems' (event ${String(reservation.eventId)})`,
    );
    expect(failure.message).toContain(`Source:   ${source}`);
    expect(failure.message).toContain(`under \`if (!patched('<id>'))\` before ${source}`);
    expect(failure.message).toContain('freeze the old body in workflows/legacy/');
  });

  it('changed options: the same activity with the attributes that differ, its line, and a patched() branch', async () => {
    const payment = scheduled('processPayment');
    const failure = await replay('changed-options');
    const source = lineOf('changed-options', 'payments.processPayment(');

    expect(failure.divergingEvent?.eventId).toBe(Number(payment.eventId));
    expect(failure.explanation).toMatchObject({
      kind: 'changed',
      actual: "scheduled activity 'processPayment'",
      expected: `ActivityTaskScheduled 'processPayment' (event ${String(payment.eventId)})`,
      source,
      differences: [
        {
          attribute: 'activity id',
          history: `'${payment.activityTaskScheduledEventAttributes!.activityId!}'`,
          code: "'payment-baseline'",
        },
        { attribute: 'task queue', history: "the workflow's", code: "'payments'" },
        { attribute: 'start-to-close timeout', history: '60s', code: '30s' },
      ],
    });
    expect(failure.message).toContain("activity id: history '2', new code 'payment-baseline'");
    expect(failure.message).toContain(`Source:   ${source}`);
    expect(failure.message).toContain(`patched() fits: the same step with other options at ${source}`);
  });

  it('options that replay does not compare (task queue, timeouts) are not refused', async () => {
    expect(await replayFixtures([baseline!], path.resolve(dir, 'timeouts-only', 'workflows.ts'))).toEqual([]);
  });

  it('advises a new build for a saga Pinned to the very build id the change was made under', async () => {
    const failure = await replay('added-step', { ...baseline!, why: 'running, Pinned to this build 0.1.0-abc' });
    expect(failure.explanation?.advice).toMatch(/^new build: this saga is Pinned to this very build id/);
    expect(failure.explanation?.advice).toContain(
      `Only a hot fix under the same id needs patched() at ${lineOf('added-step', 'act.fraudCheck(')}`,
    );
  });
});
