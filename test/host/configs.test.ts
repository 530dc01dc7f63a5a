// The differential corpus must hold on any host of this kind, whatever the probe finds: its scenarios'
// expectations are checked here on the model in every configuration a host was seen to have (the zero
// pages mapped or forbidden, the huge zero page on or off), with the other knobs as on these machines,
// and in the configurations other builds may have (THP always or never, soft-dirty compiled in, the
// unprivileged_userfaultfd sysctl at 1). A scenario the host cannot run as written is skipped there, as
// the differential test would skip it (configMismatch).
// The differential test itself then runs each scenario against the kernel with the probed configuration.
import { expectationPasses } from '../../src/scenario/outcome.js';
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/run.js';
import { resolveKernel } from '../../src/profiles/profiles.js';
import { KNOWN_FILE } from '../../src/host/known.js';
import { configMismatch } from '../../src/host/requirements.js';
import { hugetlbPoolConfig } from '../../src/host/hugetlb.js';
import { shmemThpConfig } from '../../src/host/shmem-thp.js';

const DIR = 'scenarios/differential';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== KNOWN_FILE && !f.startsWith('known-')).sort();
const HOST = ['soft_dirty=n', 'thp=madvise', 'pte_marker_uffd_wp=y', 'unprivileged_userfaultfd=n'];
const CONFIGS = [
  ['zero_page=y', 'use_zero_page=y'],
  ['zero_page=y', 'use_zero_page=n'],
  ['zero_page=n', 'use_zero_page=y'],
  ['zero_page=n', 'use_zero_page=n'],
  ['thp=always'],
  ['thp=never'],
  ['soft_dirty=y'],
  ['unprivileged_userfaultfd=y'],
];

describe.each(CONFIGS.map((c) => [c.join(',') as string, c] as const))('differential corpus on the model with %s', (_name, cfg) => {
  for (const f of files) {
    it(f, (ctx) => {
      const sc = loadScenario(join(DIR, f));
      // the hugetlb pool and shmem_enabled are the scenario's, as the differential run sets them (src/host/hugetlb.ts, shmem-thp.ts)
      const spec = resolveKernel('v6.18', [], [...HOST, ...cfg, ...hugetlbPoolConfig(sc), ...shmemThpConfig(sc)]);
      const why = configMismatch(sc, spec);
      if (why) return ctx.skip(why);
      const r = runScenario(sc, spec, {});
      expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.text}: ${e.detail}`)).toEqual([]);
    });
  }
});
