// What a name defined with `as:` stands for while a scenario runs (a mapping, a uffd, a message, a read
// buffer, an ioctls mask, a process), and the environment expressions are evaluated in over those values.
import type { UserfaultfdCtx, UffdMsg } from '../kernel/fs/userfaultfd.js';
import type { Env } from './expr.js';
import type { Bytes } from '../state/content.js';
import type { Snapshot } from './observe.js';
import type { PageRegion } from '../kernel/fs/proc/task_mmu.js';

export type VarValue =
  /** addrN/lenN: the same as numbers (mappings lie below 2^57), for the hot path of expressions */
  | { kind: 'mapping'; addr: bigint; len: bigint; addrN: number; lenN: number }
  | { kind: 'uffd'; ctx: UserfaultfdCtx }
  | { kind: 'msg'; msg: UffdMsg }
  | { kind: 'data'; addr: bigint; bytes: Bytes }
  | { kind: 'ioctls'; value: bigint }
  | { kind: 'process'; name: string }
  /** an open file (memfd_create, open): its inode (mm/filemap.ts) and the access the fd gives */
  | { kind: 'file'; ino: number; read: boolean; write: boolean }
  /**
   * pages a GUP caller holds (pin, vmsplice): the pfn of each page from addr on, and the FOLL_* flags they were
   * taken with (FOLL_PIN or FOLL_GET)
   */
  | { kind: 'pin'; addr: bigint; foll: number; pfns: readonly number[] };

/** the environment expressions are evaluated in: the values of the names defined so far */
export function varsEnv(vars: ReadonlyMap<string, VarValue>): Env {
  return (name: string, field: string | undefined): bigint | undefined => {
    const v = vars.get(name);
    if (!v) return undefined;
    switch (v.kind) {
      case 'mapping':
        return field === 'len' ? v.len : field === undefined || field === 'addr' ? v.addr : undefined;
      case 'msg':
        // the argument union's three words by their names in each event (UffdMsg)
        if (field === 'address' || field === undefined || field === 'end' || field === 'to') return BigInt(v.msg.address);
        if (field === 'flags' || field === 'start' || field === 'from') return BigInt(v.msg.flags);
        if (field === 'event') return BigInt(v.msg.event);
        if (field === 'ptid' || field === 'len') return BigInt(v.msg.ptid);
        return undefined;
      case 'data':
        return field === 'addr' || field === undefined ? v.addr : undefined;
      case 'ioctls':
        return v.value;
      default:
        return undefined;
    }
  };
}

/** what the data_at checks saw of the copies read into one buffer */
export interface CopyCheck {
  buffer: string;
  at: string;
  /** copies compared with the checkpoint's memory */
  copies: number;
  /** copies that differed from it (or were made before the checkpoint existed) */
  mismatches: number;
  /** the first mismatch, for people */
  detail: string | null;
}

/** the tallies a machine keeps of its copies (sched/machine.ts's Machine is one) */
export interface CopyTallies {
  readonly copies: ReadonlyMap<string, CopyCheck>;
  readonly snapshots: ReadonlyMap<string, Snapshot>;
  noteCopy(key: string, c: CopyCheck): void;
}

/**
 * what an ioctl wrote back into its argument struct (uffdio_copy.copy, uffdio_zeropage.zeropage, pm_scan_arg's
 * walk_end and the regions written to its vector), recorded whether the call succeeded or failed
 */
export interface OpOut {
  copy?: number;
  zeropage?: number;
  /** uffdio_move.move */
  move?: number;
  /** uffdio_continue.mapped */
  mapped?: number;
  /** uffdio_poison.updated */
  updated?: number;
  walk_end?: number;
  regions?: PageRegion[];
}
