// The kernel selftests of tools/testing/selftests/mm as scenarios (scenarios/selftests/, in this project's
// words): every file names the selftest and the case it models, and a `# profiles:` line the releases where
// that case exists and must pass; here each file runs on each of them and every expectation must hold.
// The files this host can run are also in scenarios/differential/ (symlinks named selftest-*), where
// test/host/differential.test.ts compares them with the real kernel.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, readlinkSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/run.js';
import { expectationPasses } from '../src/scenario/outcome.js';
import { PROFILES, resolveKernel } from '../src/profiles/profiles.js';

const DIR = 'scenarios/selftests';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

/** the profiles a file's `# profiles: a b c` line names */
function profilesOf(file: string): string[] {
  const m = /^# profiles:(.*)$/m.exec(readFileSync(join(DIR, file), 'utf8'));
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

describe('kernel selftests as scenarios', () => {
  it('every file names its selftest, and profiles that exist (v6.18 among them)', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const f of files) {
      const text = readFileSync(join(DIR, f), 'utf8');
      expect(text, f).toMatch(/^# .*(uffd-unit-tests\.c|uffd-wp-mremap\.c|mkdirty\.c|pagemap_ioctl\.c|cow\.c|soft-dirty\.c|hugetlb-madvise\.c|madv_populate\.c|mremap_dontunmap\.c|mremap_test\.c|khugepaged\.c|split_huge_page_test\.c|gup_longterm\.c|migration\.c)/m);
      const ps = profilesOf(f);
      expect(ps, `${f}: its # profiles: line`).toContain('v6.18');
      for (const p of ps) expect(PROFILES.some((q) => q.name === p), `${f}: profile ${p}`).toBe(true);
    }
  });

  for (const f of files) {
    const sc = loadScenario(join(DIR, f));
    for (const p of profilesOf(f)) {
      it(`${f} passes on ${p}`, () => {
        const r = runScenario(sc, resolveKernel(p, [], sc.config));
        expect(r.expectations.filter((e) => !expectationPasses(e)).map((e) => `line ${e.line}: ${e.text}: ${e.detail}`)).toEqual([]);
      });
    }
  }

  it('the differential corpus links to selftest scenarios only through existing files', () => {
    const links = readdirSync('scenarios/differential').filter((f) => f.startsWith('selftest-'));
    expect(links.length).toBeGreaterThanOrEqual(1);
    for (const l of links) {
      const path = join('scenarios/differential', l);
      expect(lstatSync(path).isSymbolicLink(), l).toBe(true);
      const target = readlinkSync(path);
      expect(target.startsWith('../selftests/'), l).toBe(true);
      expect(files).toContain(target.slice('../selftests/'.length));
    }
  });
});
