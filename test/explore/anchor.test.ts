// The explorer's speed anchor (bench/check.ts, docs/check.md "The SPIN anchor"): the Promela model of
// live-snapshot is there, `mmsim check` still counts the distinct states the model was built to
// match, and the scaled scenarios are what the bench runs. When spin and gcc are installed, pan's
// count is compared with mmsim's for 2 and 3 vCPUs (seconds); without them that part is skipped.
import { describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../src/cli/main.js';
import { LIVE_SNAPSHOT_STATES } from '../../bench/check.js';
import { ROOT, scenario } from './helpers.js';

const MODEL = join(ROOT, 'bench', 'spin', 'live-snapshot.pml');
const file = (vcpus: number) => (vcpus === 2 ? 'scenarios/check/live-snapshot.yaml' : `scenarios/check/live-snapshot-${vcpus}vcpu.yaml`);

/** `mmsim check FILE -k v6.18 --json`: exit status and the search's stats */
async function check(vcpus: number): Promise<{ code: number; distinct: number; complete: boolean; ok: boolean }> {
  let out = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(['check', join(ROOT, file(vcpus)), '-k', 'v6.18', '--json', '--no-progress']);
    const [doc] = JSON.parse(out) as { stats: { distinct: number }; complete: boolean; ok: boolean }[];
    return { code, distinct: doc!.stats.distinct, complete: doc!.complete, ok: doc!.ok };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** pan's stored states for the model with `vcpus` vCPUs */
function pan(vcpus: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'mmsim-spin-test-'));
  try {
    copyFileSync(MODEL, join(dir, 'model.pml'));
    expect(spawnSync('spin', [`-DNVCPU=${vcpus}`, '-a', 'model.pml'], { cwd: dir }).status).toBe(0);
    expect(spawnSync('gcc', ['-O2', '-DSAFETY', '-w', '-o', 'pan', 'pan.c'], { cwd: dir }).status).toBe(0);
    const r = spawnSync('./pan', ['-w16'], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout).toMatch(/errors: 0/);
    return Number(/^\s*(\d+) states, stored/m.exec(r.stdout)![1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the SPIN anchor', () => {
  it('has its Promela model, parameterised by the number of vCPUs', () => {
    expect(existsSync(MODEL)).toBe(true);
    const text = readFileSync(MODEL, 'utf8');
    expect(text).toMatch(/#ifndef NVCPU/);
    expect(text).toMatch(/active \[NVCPU\] proctype vcpu/);
    expect(text).toMatch(/active proctype handler/);
  });

  it('live-snapshot with 2 vCPUs: 224 distinct states on v6.18, verdicts as expected', async () => {
    const r = await check(2);
    expect(r).toEqual({ code: 0, distinct: 224, complete: true, ok: true });
    expect(LIVE_SNAPSHOT_STATES[2]).toBe(224);
  });

  it('live-snapshot with 4 vCPUs: 34,726 distinct states on v6.18, verdicts as expected', async () => {
    const r = await check(4);
    expect(r).toEqual({ code: 0, distinct: 34_726, complete: true, ok: true });
    expect(LIVE_SNAPSHOT_STATES[4]).toBe(34_726);
  });

  it('the 5- and 6-vCPU scenarios are live-snapshot scaled as the 4-vCPU one: 2 pages per vCPU', () => {
    for (const n of [4, 5, 6]) {
      const sc = scenario(file(n));
      expect(sc.threads.map((t) => t.name)).toEqual([...Array.from({ length: n }, (_, i) => `vcpu${i}`), 'handler']);
      for (const t of sc.threads.slice(0, n)) expect(t.ops.map((op) => op.op)).toEqual(['write', 'write']);
      // the handler's loop, the setup and the conditions are those of the 4-vCPU scenario
      const four = scenario(file(4));
      expect(sc.threads[n]!.ops.map((op) => op.op)).toEqual(four.threads[4]!.ops.map((op) => op.op));
      expect(sc.threads[n]!.loop).toBe(true);
      const text = readFileSync(join(ROOT, file(n)), 'utf8');
      expect(text.match(/^ {2}- write: /gm)?.length).toBe(2 * n);
    }
  });

  it.skipIf(!have('spin') || !have('gcc'))('pan stores as many states as mmsim check counts (2 and 4 vCPUs)', async () => {
    expect(pan(2)).toBe((await check(2)).distinct);
    // mmsim's 4-vCPU count is the test above's
    expect(pan(4)).toBe(LIVE_SNAPSHOT_STATES[4]);
  });
});
