import { describe, expect, it } from 'vitest';
import * as workflows from '../../workflows';
import { WORKFLOW_NAMES } from '../../workflows/client';

describe('workflow references', () => {
  it('names every workflow the worker registers, by the name it registers it under', () => {
    const registered = Object.entries(workflows)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name)
      .sort();
    expect(Object.values(WORKFLOW_NAMES).sort()).toEqual(registered);
    for (const [key, name] of Object.entries(WORKFLOW_NAMES)) expect((workflows as Record<string, { name: string }>)[key]!.name).toBe(name);
  });
});
