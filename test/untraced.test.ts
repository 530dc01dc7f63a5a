// A run that records no trace (mmsim run -q) observes exactly what a traced run observes: the same
// final observation, expectation results and condition results, for every scenario of the corpus on
// its kernel. Scenarios whose expectations read the trace (klog:, event:) record it anyway.
import { scenarioFiles } from './helpers.js';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario, scenarioReadsTrace, type RunResult } from '../src/run.js';
import { resolveKernel } from '../src/profiles/profiles.js';

const corpus = scenarioFiles();

/** the run's result, or the message of what it threw (a scenario may end in an error on purpose) */
function attempt(f: () => RunResult): RunResult | string {
  try {
    return f();
  } catch (e) {
    return `threw ${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe('an untraced run gives the observation and expectations of a traced one', () => {
  it('covers the corpus', () => expect(corpus.length).toBeGreaterThan(100));
  for (const file of corpus) {
    const sc = loadScenario(file);
    if (!sc.kernel) continue;
    it(file, () => {
      const spec = resolveKernel(sc.kernel!, [], sc.config);
      const traced = attempt(() => runScenario(sc, spec, { trace: true }));
      const untraced = attempt(() => runScenario(sc, spec, { trace: false }));
      if (typeof traced === 'string' || typeof untraced === 'string') {
        expect(untraced).toEqual(traced);
        return;
      }
      expect(untraced.observation).toEqual(traced.observation);
      expect(untraced.expectations).toEqual(traced.expectations);
      expect(untraced.conditions).toEqual(traced.conditions);
      expect(untraced.ok).toBe(traced.ok);
      // untraced means no events were recorded, unless the scenario's expectations read them
      if (scenarioReadsTrace(sc)) expect(untraced.events).toEqual(traced.events);
      else expect(untraced.events).toEqual([]);
    });
  }
});
