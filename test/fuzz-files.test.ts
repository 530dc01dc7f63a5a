// Scenario-file fuzzing (mmsim fuzz --files): a short seeded run of mutated project scenarios and hostile
// inputs through `mmsim run`, in this process; every input exits 0, 1, 2 (positioned) or 3 within budget.
import { describe, expect, it } from 'vitest';
import { fileFuzz, positioned } from '../src/fuzz/files.js';
import { runInProcess } from '../src/cli/fuzz.js';

describe('mmsim fuzz --files', () => {
  it('a seeded run of 120 inputs finds no crash, no unpositioned error and no overrun', async () => {
    const stats = await fileFuzz({ dir: 'scenarios', seed: 7, runs: 120, maxTimeS: 5, maxMemory: '1G', exec: runInProcess });
    expect(stats.runs).toBe(120);
    expect(stats.findings.map((f) => `run ${f.run}: ${f.why}: ${f.what}: ${f.stderr}`)).toEqual([]);
    // the inputs reach every kind of outcome, not only load errors
    expect(stats.byExit[0]).toBeGreaterThan(5);
    expect(stats.byExit[2]).toBeGreaterThan(5);
  }, 0);

  it('the checks can fail: an exit 4, an unpositioned exit 2 and an overrun are findings', async () => {
    const answers = [{ exit: 4, stderr: 'mmsim: internal error' }, { exit: 2, stderr: 'mmsim: something went wrong\n' }, { exit: 0, stderr: '' }];
    let i = 0;
    const stats = await fileFuzz({ dir: 'scenarios', seed: 1, runs: 3, maxTimeS: 1, maxMemory: '1G', exec: async () => answers[i++]! });
    expect(stats.findings.map((f) => f.why)).toEqual(['internal error (exit 4)', 'exit 2 without file:line:column']);
    expect(positioned('mmsim: /x/y.yaml:3:5: setup.0: bad\n', '/x/y.yaml')).toBe(true);
    expect(positioned('mmsim: /x/y.yaml: bad\n', '/x/y.yaml')).toBe(false);
  });
});
