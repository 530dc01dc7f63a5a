// A plain run keeps its records and schedule as columns (src/sched/records.ts) and makes them into
// objects when asked; a copy of a machine (the explorer's) keeps an object per record. Both must give
// the same records: every scenario of the corpus with threads runs its default schedule on a fresh
// machine (columns) and on a copy made after the setup (objects), and once without history (the last
// record of each operation, in columns), and the three agree record for record.
import { describe, expect, it } from 'vitest';
import { scenarioFiles } from './helpers.js';
import { loadScenario } from '../src/scenario/load.js';
import { resolveKernel } from '../src/profiles/profiles.js';
import { Machine, type OpRecord } from '../src/sched/machine.js';

const corpus = scenarioFiles();

/** what a run leaves: its records, schedule and last records, or what it threw */
function attempt<T>(f: () => T): T | string {
  try {
    return f();
  } catch (e) {
    return `threw ${(e as Error).name}: ${(e as Error).message}`;
  }
}

/** the last record of each operation id, in the order the ids first ran (what opRecords gives without history) */
function lastById(records: OpRecord[]): OpRecord[] {
  const m = new Map<string, OpRecord>();
  for (const r of records) m.set(r.id, r);
  return [...m.values()];
}

describe('records kept as columns are the records a copy keeps as objects', () => {
  let compared = 0;
  for (const file of corpus) {
    const sc = loadScenario(file);
    if (!sc.kernel || sc.threads.length === 0 || sc.schedule) continue;
    it(file, () => {
      const spec = resolveKernel(sc.kernel!, [], sc.config);
      const columns = attempt(() => {
        const m = new Machine(sc, spec, { trace: false });
        m.runSetup();
        m.runDefault();
        return { records: m.records, taken: m.taken, size: m.historySize() };
      });
      const objects = attempt(() => {
        const root = new Machine(sc, spec, { trace: false });
        root.runSetup();
        const m = root.clone();
        m.runDefault();
        return { records: m.records, taken: m.taken, size: m.historySize() };
      });
      const last = attempt(() => {
        const m = new Machine(sc, spec, { trace: false, history: false });
        m.runSetup();
        m.runDefault();
        return [...m.opRecords()];
      });
      if (typeof columns === 'string' || typeof objects === 'string' || typeof last === 'string') {
        expect(objects).toEqual(columns);
        return;
      }
      compared++;
      expect(columns.records).toEqual(objects.records);
      // the same keys in the same order (output prints these objects)
      expect(columns.records.map((r) => Object.keys(r).join())).toEqual(objects.records.map((r) => Object.keys(r).join()));
      expect(columns.taken).toEqual(objects.taken);
      expect(columns.size).toEqual(objects.size);
      expect(last).toEqual(lastById(columns.records));
    });
  }
  it('compared scenarios that ran', () => expect(compared).toBeGreaterThan(50));
});

describe('record columns past their first chunks', () => {
  it('give back every record and schedule entry pushed, across chunk boundaries', async () => {
    const { RecordLog, IntLog, LastRecords } = await import('../src/sched/records.js');
    const log = new RecordLog(), ints = new IntLog(), last = new LastRecords(10_000);
    const errnoOf = (i: number) => (i % 7 === 0 ? 'EAGAIN' : i % 11 === 0 ? 'SKIPPED' : null);
    const resultOf = (i: number) => (i % 3 === 0 ? null : i % 3 === 1 ? '0' : `0x${i.toString(16)}`);
    for (let i = 0; i < 10_000; i++) {
      log.push(i % 5 === 0 ? -(i + 1) : i, 2 ** 33 + i, errnoOf(i), resultOf(i), i % 13 === 0 ? { copy: i } : undefined);
      ints.push(i * 3 - 7);
      last.note(i, i, errnoOf(i), resultOf(i), undefined);
    }
    expect(log.length).toBe(10_000);
    expect(ints.length).toBe(10_000);
    for (let i = 0; i < 10_000; i++) {
      expect(log.ref(i)).toBe(i % 5 === 0 ? -(i + 1) : i);
      expect(log.errno(i)).toBe(errnoOf(i));
      expect(log.result(i)).toBe(resultOf(i));
      expect(log.out(i)).toEqual(i % 13 === 0 ? { copy: i } : undefined);
      expect(ints.at(i)).toBe(i * 3 - 7);
      expect(last.errno(i)).toBe(errnoOf(i));
      expect(last.result(i)).toBe(resultOf(i));
      expect(last.order.at(i)).toBe(i);
    }
  });
});
