import { describe, expect, it } from 'vitest';
import * as workflows from '../../workflows';
import { WORKFLOW_NAMES } from '../../workflows/client';
import * as baseline from '../../bench/baseline/workflows';
import { BASELINE_WORKFLOW_NAMES } from '../../bench/baseline/client';

describe('workflow references', () => {
  it('names every workflow the worker registers, by the name it registers it under', () => {
    const registered = Object.entries(workflows)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name)
      .sort();
    expect(Object.values(WORKFLOW_NAMES).sort()).toEqual(registered);
    for (const [key, name] of Object.entries(WORKFLOW_NAMES))
      expect((workflows as Record<string, { name: string }>)[key]!.name).toBe(name);
  });

  it("names the bench's baseline workflow by the name its worker registers", () => {
    const registered = Object.entries(baseline)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    expect(Object.values(BASELINE_WORKFLOW_NAMES)).toEqual(registered);
  });
});
