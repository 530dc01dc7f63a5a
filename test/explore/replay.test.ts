// A counterexample is a schedule string; `mmsim run --schedule` of it must end in the same outcome.
import { describe, expect, it } from 'vitest';
import { checkScenario } from '../../src/explore/check.js';
import { runScenario } from '../../src/run.js';
import { evalPred } from '../../src/scenario/outcome.js';
import { buildObservation } from '../../src/sched/observation.js';
import { scenario, kernel, LIVE, UNPROTECT_FIRST } from './helpers.js';

describe('replaying counterexamples', () => {
  it('the SIGBUS counterexample of live-snapshot replays to the same outcome', () => {
    const sc = scenario(LIVE);
    const spec = kernel('v4.19-uffd-wp-2018');
    const r = checkScenario(sc, spec, { trace: false });
    const cx = r.conditions.find((c) => c.name === 'no_sigbus')!.counterexample!;
    const run = runScenario(sc, spec, { schedule: cx.schedule });
    // the replay follows exactly the schedule: nothing is left for the default policy to run
    expect(run.observation.schedule).toBe(cx.schedule);
    const signals = Object.values(run.observation.threads).map((t) => t.signal);
    expect(signals.every((s) => s === 'SIGBUS')).toBe(true);
    const key = Object.entries(run.observation.threads).map(([n, t]) => `${n}=${t.state}${t.signal ? ':' + t.signal : ''}`).join(' ');
    expect(key).toBe(cx.outcome);
    const c = sc.conditions!.find((x) => x.name === 'no_sigbus')!;
    expect(evalPred(c.pred, { obs: run.observation, events: run.events }).ok).toBe(true);
  });

  it('the counterexample is the shortest: no schedule of fewer steps ends in SIGBUS', () => {
    const sc = scenario(LIVE);
    const r = checkScenario(sc, kernel('v4.19-uffd-wp-2018'), { trace: false });
    const cx = r.conditions.find((c) => c.name === 'no_sigbus')!.counterexample!;
    // vcpu faults (1), handler reads, copies, un-protects (3), vcpu retries and dies (1)
    expect(cx.steps).toBe(5);
  });

  it('an inconsistent copy replays as inconsistent', () => {
    const sc = scenario(UNPROTECT_FIRST);
    const spec = kernel('v6.12');
    const r = checkScenario(sc, spec, {});
    const c = r.conditions[0]!;
    expect(c.observation).toBe('Sometimes');
    expect(c.holds).toBe(false);
    const cx = c.counterexample!;
    expect(cx.replay!.reproduced).toBe(true);
    const run = runScenario(sc, spec, { schedule: cx.schedule });
    expect(run.observation.copies!['copy@protected']!.mismatches).toBe(1);
    expect(evalPred(sc.conditions![0]!.pred, { obs: run.observation, events: run.events }).ok).toBe(false);
  });

  it('the livelock replays until the model\'s retry guard ends the looping vCPU', () => {
    const sc = scenario(LIVE);
    const spec = kernel('v4.19-uffd-wp-2018+fault-retry-unlimited');
    const r = checkScenario(sc, spec, { trace: false });
    const cx = r.conditions.find((c) => c.name === 'no_livelock')!.counterexample!;
    const run = runScenario(sc, spec, { schedule: cx.schedule });
    const looping = cx.outcome.split(' ').filter((x) => x.endsWith('=livelock')).map((x) => x.split('=')[0]!);
    expect(looping.length).toBeGreaterThan(0);
    for (const t of looping) expect(run.observation.threads[t]!.state).toBe('livelock');
    void buildObservation;
  });
});
