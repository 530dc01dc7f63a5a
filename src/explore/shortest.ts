// Shortest schedules to given states, in the full transition graph: every enabled step of every state,
// whatever reduction the search used, so that a counterexample does not depend on the order in which
// the search (one worker or several) happened to explore. Breadth-first from the root, threads in
// index order within each state: the first path found to a state is the shortest one and, among the
// shortest, the least as a sequence of thread indices. Run after the search, only as deep as the
// deepest request needs (the search found each target at some depth: a bound).
import type { Machine } from '../sched/machine.js';
import { FingerprintSet, StateHasher } from './hash.js';
import { enabledThreads, stepOnce } from './search.js';

export interface ShortestRequest {
  /** target group indices: a path to a state of any of them answers the request */
  groups: Set<number>;
  /** the search found a target at this depth: the answer is no longer */
  bound: number;
}

/**
 * For each request, the thread indices of the least shortest path from `root` (untouched) to a target
 * state (null when none is within its bound). `targets` maps a state's fingerprint to its group.
 */
export function shortestSchedules(root: Machine, targets: FingerprintSet, requests: ShortestRequest[]): (number[] | null)[] {
  const answers: (number[] | null)[] = requests.map(() => null);
  let open = requests.length;
  if (open === 0) return answers;
  const maxDepth = Math.max(...requests.map((r) => r.bound));
  const h = new StateHasher();
  const seen = new FingerprintSet(12);
  let parent = new Int32Array(1024);
  let via = new Uint8Array(1024);
  let nodes = 0;
  const addNode = (p: number, t: number): number => {
    if (nodes >= parent.length) {
      const np = new Int32Array(parent.length * 2);
      np.set(parent);
      parent = np;
      const nv = new Uint8Array(via.length * 2);
      nv.set(via);
      via = nv;
    }
    parent[nodes] = p;
    via[nodes] = t;
    return nodes++;
  };
  const pathOf = (n: number): number[] => {
    const out: number[] = [];
    for (let v = n; v > 0; v = parent[v]!) out.push(via[v]!);
    return out.reverse();
  };
  const hit = (hi: number, lo: number, n: number, depth: number) => {
    const g = targets.get(hi, lo);
    if (g < 0) return;
    for (let i = 0; i < requests.length; i++) {
      if (answers[i] === null && depth <= requests[i]!.bound && requests[i]!.groups.has(g)) {
        answers[i] = pathOf(n);
        open--;
      }
    }
  };
  h.reset();
  root.fingerprint(h);
  const r0 = addNode(-1, 0);
  seen.add(h.fullHi(), h.fullLo(), r0);
  hit(h.fullHi(), h.fullLo(), r0, 0);
  let level: { m: Machine; n: number }[] = [{ m: root.clone(), n: r0 }];
  for (let depth = 1; open > 0 && depth <= maxDepth && level.length; depth++) {
    const next: { m: Machine; n: number }[] = [];
    for (const { m, n } of level) {
      const en = enabledThreads(m);
      for (let j = 0; j < en.length; j++) {
        const t = en[j]!;
        const c = j === en.length - 1 ? m : m.clone();
        stepOnce(c, t);
        h.reset();
        c.fingerprint(h);
        const hi = h.fullHi(), lo = h.fullLo();
        if (seen.get(hi, lo) >= 0) continue;
        const cn = addNode(n, t);
        seen.add(hi, lo, cn);
        hit(hi, lo, cn, depth);
        if (open === 0) return answers;
        next.push({ m: c, n: cn });
      }
    }
    level = next;
  }
  return answers;
}
