// The differential corpus: every scenario in scenarios/differential runs on this machine's kernel and on
// the model profile that matches it, and every compared field must agree, except the known differences
// listed in scenarios/differential/known-differences.yaml (docs/fidelity.md), which must still be there.
// Without the capabilities (not Linux, no root, no executor) each test is skipped with the reason.
import { expectationPasses } from '../../src/scenario/outcome.js';
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario } from '../../src/scenario/load.js';
import { differential } from '../../src/host/differential.js';
import { loadKnownDifferences, KNOWN_FILE } from '../../src/host/known.js';
import { hostUnavailable } from './available.js';

const DIR = 'scenarios/differential';
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== KNOWN_FILE && !f.startsWith('known-')).sort();
const unavailable = await hostUnavailable();

describe('differential corpus (model vs. this kernel)', () => {
  it('has at least 40 scenarios, the seed among them', () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files).toContain('seed-thp-split-uffd-wp.yaml');
  });

  for (const f of files) {
    it(f, async (ctx) => {
      if (unavailable) return ctx.skip(unavailable);
      const file = join(DIR, f);
      const sc = loadScenario(file);
      const known = loadKnownDifferences(file);
      const d = await differential(sc, known);
      if (d.kind === 'skipped') return ctx.skip(d.reason);
      expect(d.host.kind === 'ok' ? 'ok' : d.host.reason).toBe('ok');
      const differ = d.rows.filter((r) => r.status === 'differ').map((r) => `${r.field}: model ${r.model}, kernel ${r.kernel}`);
      expect(differ).toEqual([]);
      // a known difference that disappeared must leave known-differences.yaml (and docs/fidelity.md)
      for (const k of known) expect(d.rows.find((r) => r.field === k.field)?.status, k.field).toBe('known');
      // the scenario's expectations hold on both sides
      expect(d.model.expectations.filter((e) => !expectationPasses(e)).map((e) => `model, line ${e.line}: ${e.detail}`)).toEqual([]);
      expect(d.hostExpectations.filter((e) => !expectationPasses(e)).map((e) => `kernel, line ${e.line}: ${e.detail}`)).toEqual([]);
    }, 0);
  }
});
