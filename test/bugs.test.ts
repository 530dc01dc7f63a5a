// The bug corpus (../shared/reference/bug-corpus.md) as scenarios: each one passes its expectations
// with and without the patch that fixed it, and the fixed kernel's expectations fail on the buggy
// kernel's outcome, i.e. the model reproduces the bug and its fix.
import { expectationPasses } from '../src/scenario/outcome.js';
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { evalExpectations } from '../src/scenario/outcome.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { kernel, P } from './helpers.js';

const DIR = 'scenarios/bugs';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

describe('bug corpus', () => {
  it('has scenarios', () => expect(files.length).toBeGreaterThanOrEqual(7));
  for (const f of files) {
    const sc = loadScenario(join(DIR, f));
    it(`${f}${sc.bug ? ` (corpus ${sc.bug.corpus}, fixed by ${sc.bug.fixed_by})` : ''}`, () => {
      const fixed = resolveKernel(sc.kernel!, [], sc.config);
      const a = runScenario(sc, fixed);
      expect(a.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
      if (!sc.bug) return;
      const buggy = kernel(sc.kernel!, { remove: [P(sc.bug.fixed_by)] }, sc.config);
      const b = runScenario(sc, buggy);
      expect(b.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.detail}`)).toEqual([]);
      // what the fixed kernel promises does not hold on the buggy one
      const cross = evalExpectations(sc, fixed, { obs: b.observation, events: b.events });
      expect(cross.some((e) => e.ok === false)).toBe(true);
    });
  }
});
