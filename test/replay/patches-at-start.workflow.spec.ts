import { describe, expect, it } from 'vitest';
import { workerParts } from '../../composition';
import {
  SAGA_BASELINE_2026_12,
  SAGA_BREAKER_WAIT,
  SAGA_LOCAL_CREATE_ORDER,
  SAGA_PATCHES_AT_START,
  SAGA_POINT_OF_NO_RETURN,
  SAGA_STEP_TABLE,
} from '../../workflows/patches';
import { scenariosRecordedWith } from '../../scripts/saga-scenarios';
import { useTimeSkippingWorker } from '../helpers/time-skipping-worker';
import { localActivityOf } from '../../scripts/replay/events';
import { describeEvent, loadFixtures, patchIdOf, replayFixtures } from './replay-histories';
import { completedSaga } from './completed-saga';
import { splitAfterLocalMarker } from './split-after-local-marker';

/**
 * A history can hold createOrder's local activity marker at the end of one workflow task and what
 * the saga did with its result (the next step's commands) in the next. A replay hands the result to the
 * saga in the marker's task, before it announces the patches of the next one: a patch first asked
 * there reads as absent although the history holds its marker. So the saga asks its steps'
 * patches in its first task (SAGA_PATCHES_AT_START, workflows/patches.ts).
 */
describe('the saga asks its patches before createOrder runs (saga-patches-at-start)', () => {
  const t = useTimeSkippingWorker('patches-at-start', (db) => ({ activities: workerParts({ db }).activities }));

  it(
    "records every patch a new saga's steps ask (saga-baseline-2026-12 stands for them all) before createOrder's marker, and replays with the marker ending its task",
    { timeout: 60_000 },
    async () => {
      const { orderId, history } = await completedSaga(t, 'patches');
      const marker = history.events!.map(describeEvent).indexOf("MarkerRecorded (local activity 'createOrder')");
      const split = splitAfterLocalMarker(history, 'createOrder');
      expect(split.events!.map(describeEvent).slice(marker, marker + 2)).toEqual([
        "MarkerRecorded (local activity 'createOrder')",
        'WorkflowTaskScheduled',
      ]);
      const failures = await replayFixtures([
        { file: `saga ${orderId}`, history },
        { file: `saga ${orderId}, createOrder's marker ending its task`, history: split },
      ]);
      expect(failures.map((f) => f.message)).toEqual([]);
      expect(history.events!.slice(0, marker).flatMap((e) => patchIdOf(e) ?? [])).toEqual([SAGA_BASELINE_2026_12]);
    },
  );

  it('has a history of every saga path recorded with it, each with those patches before createOrder, that replays split too', async () => {
    const tagged = loadFixtures().filter((f) => f.file.endsWith(`.${SAGA_PATCHES_AT_START}.json`));
    expect(
      tagged.map((f) => f.file.split('/').pop()!.split('.')[0]!).sort(),
      `record them with: npm run record-histories -- --tag ${SAGA_PATCHES_AT_START}`,
    ).toEqual(
      scenariosRecordedWith(SAGA_PATCHES_AT_START)
        .map((s) => s.name)
        .sort(),
    );
    const sagas = tagged.filter((f) => f.history.events!.some((e) => localActivityOf(e) === 'createOrder'));
    for (const f of sagas) {
      const marker = f.history.events!.findIndex((e) => localActivityOf(e) === 'createOrder');
      expect(
        f.history.events!.slice(0, marker).flatMap((e) => patchIdOf(e) ?? []),
        f.file,
      ).toEqual([
        SAGA_POINT_OF_NO_RETURN,
        SAGA_STEP_TABLE,
        SAGA_LOCAL_CREATE_ORDER,
        SAGA_PATCHES_AT_START,
        SAGA_BREAKER_WAIT,
      ]);
    }
    const split = sagas.map((f) => ({
      file: `${f.file}, createOrder's marker ending its task`,
      history: splitAfterLocalMarker(f.history, 'createOrder'),
    }));
    expect((await replayFixtures(split)).map((f) => f.message)).toEqual([]);
  });

  it('a saga that asked saga-breaker-wait after createOrder cannot replay such a history: the failure this avoids', async () => {
    const [fixture] = loadFixtures().filter((f) => f.file.endsWith('/breaker-wait.saga-local-create-order.json'));
    const split = {
      file: `${fixture!.file}, createOrder's marker ending its task`,
      history: splitAfterLocalMarker(fixture!.history, 'createOrder'),
    };
    const failures = await replayFixtures([fixture!, split]);
    expect(failures.map((f) => [f.file, f.message])).toEqual([
      [
        split.file,
        expect.stringContaining(
          `Non-deprecated patch marker encountered for change ${SAGA_BREAKER_WAIT}, but there is no corresponding change command`,
        ),
      ],
    ]);
  });
});
