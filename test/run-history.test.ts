// An untraced run keeps nothing per step (issue 9, item 3): the records and schedule entries it holds
// at the end do not grow with the number of steps, while a run with history holds one per operation
// run and one per step. The schedule it prints is the same text either way, and `--schedule` takes it
// back. Objects are counted, not time.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadScenario } from '../src/scenario/load.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { Machine, MachineError } from '../src/sched/machine.js';
import { Budget, BudgetExceeded, DEFAULT_STEP_LIMIT } from '../src/sched/budget.js';
import { ScheduleText, formatSchedule, parseSchedule } from '../src/sched/schedule.js';
import { runScenario } from '../src/run.js';
import { buildObservation } from '../src/sched/observation.js';
import { touchEachPage } from '../bench/run-memory.js';

function runTouch(len: string, history: boolean): Machine {
  const sc = loadScenario('touch.yaml', touchEachPage(len));
  const m = new Machine(sc, resolveKernel('v6.18', [], sc.config), { trace: false, history });
  m.runSetup();
  m.runDefault();
  m.finish();
  return m;
}

describe('an untraced run of N steps keeps O(1) records', () => {
  const small = { h: runTouch('256K', true), n: runTouch('256K', false) };
  const large = { h: runTouch('4M', true), n: runTouch('4M', false) };

  it('the scenario touches every page (64 and 1024 pages, 5 steps each)', () => {
    expect(small.n.step).toBe(5 * 64 + 1);
    expect(large.n.step).toBe(5 * 1024 + 1);
    expect(large.n.threads.find((t) => t.name === 'vcpu')!.task!.min_flt).toBe(1023);
  });

  it('without history: one record per operation of the scenario and a schedule of a few entries, at any size', () => {
    const ops = small.n.sc.setup.length + small.n.sc.threads.reduce((n, t) => n + t.ops.length, 0);
    expect(small.n.historySize().records).toBe(ops);
    expect(large.n.historySize()).toEqual(small.n.historySize());
    expect(large.n.historySize().schedule).toBeLessThan(16);
    expect(large.n.k.tr).toBeNull();
    expect(large.n.keepsHistory).toBe(false);
    expect(() => large.n.records).toThrow(MachineError);
    expect(() => large.n.clone()).toThrow(MachineError);
  });

  it('with history: one record per operation run and one schedule entry per step (what run -q kept before)', () => {
    expect(large.h.historySize().schedule).toBe(large.h.step);
    expect(large.h.historySize().records).toBeGreaterThan(3 * 1000);
    expect(large.h.historySize().records).toBe(large.h.records.length);
  });

  it('both give the same observation: last result of each operation, in the same order, and the same schedule text', () => {
    for (const [h, n] of [[small.h, small.n], [large.h, large.n]] as const) {
      const a = buildObservation(h, h.k.spec), b = buildObservation(n, n.k.spec);
      expect(Object.keys(b.ops)).toEqual(Object.keys(a.ops));
      expect(b).toEqual(a);
    }
    expect(large.n.scheduleText()).toBe('kick handler*3 kick vcpu (handler*3 vcpu*2)*1022 handler*3 vcpu*2');
    expect(parseSchedule(large.n.scheduleText())).toEqual(large.h.taken);
  });

  it('runScenario untraced keeps no history; traced, it does', () => {
    const sc = loadScenario('touch.yaml', touchEachPage('64K'));
    const spec = resolveKernel('v6.18', [], sc.config);
    expect(runScenario(sc, spec, { trace: false }).machine.keepsHistory).toBe(false);
    expect(runScenario(sc, spec, { trace: true }).machine.keepsHistory).toBe(true);
  });
});

describe('the schedule as text', () => {
  it('prints short schedules flat, as before', () => {
    expect(formatSchedule(['vcpu', 'uffd', 'uffd', 'uffd', 'vcpu'])).toBe('vcpu uffd*3 vcpu');
    expect(formatSchedule(['a', 'b', 'a', 'b'])).toBe('a b a b');
    expect(formatSchedule([])).toBe('');
  });

  it('folds a block repeated back to back', () => {
    const steps: string[] = ['x'];
    for (let i = 0; i < 100; i++) steps.push('a', 'b', 'b');
    steps.push('a');
    expect(formatSchedule(steps)).toBe('x (a b*2)*100 a');
  });

  it('parses back to the steps it was made from (any sequence)', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 300 }), (steps) => {
      const s = new ScheduleText();
      for (const x of steps) s.push(x);
      expect(s.steps).toBe(steps.length);
      expect(parseSchedule(s.toString())).toEqual(steps);
    }), { numRuns: 300 });
  });

  it('parses groups, nested groups and the old forms; refuses unbalanced ones', () => {
    expect(parseSchedule('vcpu,uffd,uffd')).toEqual(['vcpu', 'uffd', 'uffd']);
    expect(parseSchedule('(a b*2)*2 c')).toEqual(['a', 'b', 'b', 'a', 'b', 'b', 'c']);
    expect(parseSchedule('((a) b)*2')).toEqual(['a', 'b', 'a', 'b']);
    expect(() => parseSchedule('(a b')).toThrow(/without '\)'/);
    expect(() => parseSchedule('a b)*2')).toThrow(/without '\('/);
    expect(() => parseSchedule('a-b')).toThrow(/bad schedule step/);
  });
});

describe('--max-steps bounds the default schedule', () => {
  it(`a budget's step limit replaces the default schedule's own bound of ${DEFAULT_STEP_LIMIT} steps`, () => {
    // 1 GiB: 262,144 pages, 1,310,721 steps
    const sc = loadScenario('touch.yaml', touchEachPage('1G'));
    const spec = resolveKernel('v6.18', [], sc.config);
    const r = new Budget({ maxSteps: 2 * DEFAULT_STEP_LIMIT }).run(() => runScenario(sc, spec, { trace: false }));
    expect(r.machine.step).toBeGreaterThan(DEFAULT_STEP_LIMIT);
    expect(r.ok).toBe(true);
    expect(() => new Budget({ maxSteps: 1000 }).run(() => runScenario(sc, spec, { trace: false }))).toThrow(BudgetExceeded);
  });
});
