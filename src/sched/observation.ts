// The Observation of a run of the model (scenario/outcome.ts): how each thread ended, the last result
// of each operation, the variables, the checkpoints' snapshots, the schedule and the data_at tallies.
import type { Machine } from './machine.js';
import type { KernelSpec } from '../kernel/kernel.js';
import { SIGNAL_NAME } from '../kernel/include/signal.js';
import { numberPfns } from '../scenario/observe.js';
import { outObs, shortHex, whereIs, type Observation, type ThreadObs } from '../scenario/outcome.js';

export function buildObservation(m: Machine, spec: KernelSpec): Observation {
  const threads: Record<string, ThreadObs> = {};
  for (const t of m.threads) {
    const sig = t.status === 'signal' ? t.signal!.sig : t.status === 'killed' ? t.killedBy : 0;
    threads[t.name] = {
      state: t.status === 'ready' && t.pc >= t.ops.length ? 'done' : t.status === 'ready' ? 'unfinished' : m.idle(t) ? 'idle' : t.status,
      signal: sig ? SIGNAL_NAME[sig] ?? String(sig) : null,
      minflt: t.task?.min_flt ?? 0,
      majflt: t.task?.maj_flt ?? 0,
    };
  }
  const ops: Observation['ops'] = {};
  for (const r of m.opRecords()) ops[r.id] = r.out ? { thread: r.thread, op: r.op, errno: r.errno, result: r.result, out: outObs(r.out) } : { thread: r.thread, op: r.op, errno: r.errno, result: r.result };
  const mappings: Observation['mappings'] = {};
  const msgs: Observation['msgs'] = {};
  const buffers: Observation['buffers'] = {};
  for (const [n, v] of m.vars) if (v.kind === 'mapping') mappings[n] = { addr: '0x' + v.addr.toString(16), len: '0x' + v.len.toString(16) };
  for (const [n, v] of m.vars) {
    if (n.startsWith('\0')) continue;
    if (v.kind === 'msg') {
      msgs[n] = { event: v.msg.event, flags: v.msg.flags, address: '0x' + v.msg.address.toString(16), where: whereIs(mappings, BigInt(v.msg.address)) };
    } else if (v.kind === 'data') {
      buffers[n] = { addr: whereIs(mappings, v.addr), digest: v.bytes.digest(), hex: shortHex(v.bytes.toArray()) };
    }
  }
  return {
    scenario: m.sc.name, kernel: spec.name, release: spec.release, source: 'model', threads, ops, mappings, msgs, buffers,
    snapshots: numberPfns(Object.fromEntries(m.snapshots), (_s, _k, p) => p.pfn), deadlock: m.deadlock, schedule: m.scheduleText(),
    ...(m.copies.size ? { copies: Object.fromEntries([...m.copies].map(([key, c]) => [key, { copies: c.copies, mismatches: c.mismatches, detail: c.detail }])) } : {}),
  };
}
