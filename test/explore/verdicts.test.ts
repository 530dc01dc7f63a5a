// The verdicts of the live-snapshot scenario on every profile the issue names: no_sigbus is violated
// on the 2018 branch (with a counterexample that ends in SIGBUS) and nowhere else; the snapshot is
// consistent everywhere; with unlimited fault retries the same bug is a livelock.
import { describe, expect, it } from 'vitest';
import { checkScenario, CheckResult } from '../../src/explore/check.js';
import { scenario, kernel, LIVE } from './helpers.js';

const sc = scenario(LIVE);
const runs = new Map<string, CheckResult>();
function check(k: string): CheckResult {
  let r = runs.get(k);
  if (!r) {
    r = checkScenario(sc, kernel(k), {});
    runs.set(k, r);
  }
  return r;
}
const cond = (r: CheckResult, name: string) => r.conditions.find((c) => c.name === name)!;

describe('live-snapshot verdicts', () => {
  it('v4.19-uffd-wp-2018: some schedule ends in SIGBUS, and the counterexample shows it', () => {
    const r = check('v4.19-uffd-wp-2018');
    expect(r.complete).toBe(true);
    const c = cond(r, 'no_sigbus');
    expect(c.holds).toBe(false);
    expect(['Sometimes', 'Always']).toContain(c.observation);
    expect(c.ok).toBe(true);
    const cx = c.counterexample!;
    expect(cx).not.toBeNull();
    expect(cx.outcome).toMatch(/signal:SIGBUS/);
    // the trace of the replay ends in do_sigbus after "FAULT_FLAG_ALLOW_RETRY missing"
    const ev = cx.replay!.events;
    expect(ev.some((e) => e.type === 'klog' && String(e.text).includes('FAULT_FLAG_ALLOW_RETRY missing'))).toBe(true);
    expect(ev.filter((e) => e.type === 'signal').at(-1)!.fn).toBe('do_sigbus');
    expect(r.ok).toBe(true);
  });

  for (const k of ['v6.12', 'v6.18', 'v4.19-uffd-wp-2018+peterx-2018-pagedirty']) {
    it(`${k}: no schedule ends in SIGBUS`, () => {
      const r = check(k);
      expect(r.complete).toBe(true);
      const c = cond(r, 'no_sigbus');
      expect(c.observation).toBe('Never');
      expect(c.holds).toBe(true);
      expect(c.counterexample).toBeNull();
      expect(r.deadlocks).toBe(0);
      expect(r.livelocks).toBe(0);
      expect(r.outcomes.every((o) => o.key === 'vcpu0=done vcpu1=done handler=idle')).toBe(true);
      expect(r.ok).toBe(true);
    });
  }

  for (const k of ['v4.19-uffd-wp-2018', 'v4.19-uffd-wp-2018+peterx-2018-pagedirty', 'v6.12', 'v6.18', 'v4.19-uffd-wp-2018+fault-retry-unlimited']) {
    it(`${k}: every saved copy is the page as it was when write-protected`, () => {
      const c = cond(check(k), 'consistent_snapshot');
      expect(c.observation).toBe('Always');
      expect(c.holds).toBe(true);
      expect(c.negative).toBe(0);
    });
  }

  it('the 2018 branch with unlimited retries loops forever instead: a livelock, found as a cycle', () => {
    const r = check('v4.19-uffd-wp-2018+fault-retry-unlimited');
    expect(r.complete).toBe(true);
    expect(cond(r, 'no_sigbus').observation).toBe('Never');
    const c = cond(r, 'no_livelock');
    expect(c.holds).toBe(false);
    expect(r.livelocks).toBeGreaterThan(0);
    expect(r.outcomes.some((o) => o.kind === 'livelock' && /vcpu\d=livelock/.test(o.key))).toBe(true);
    const cx = c.counterexample!;
    // the repeating part: the handler serves the message, the vCPU faults again
    expect(cx.loop).toMatch(/handler\*3 vcpu\d/);
    expect(cx.replay!.reproduced).toBe(true);
    expect(r.ok).toBe(true);
  });

  it('the profiles without the fix have no livelock', () => {
    for (const k of ['v4.19-uffd-wp-2018', 'v6.12']) expect(cond(check(k), 'no_livelock').observation).toBe('Never');
  });
});
