// The scenario operations: what a scenario file may say (validated with zod) and the compiled form
// that both the model and the native host executor run.
import { z } from 'zod';

/** an integer; YAML gives big integers as bigint */
export const zInt = z.union([z.number().int(), z.bigint()]).transform((v) => Number(v));
import { Expr } from './expr.js';
import { MADV, MadviseName, PAGE_IS, PageIsName, UFFD_FEATURE, UffdFeatureName } from '../kernel/include/uapi.js';

/**
 * the compiled, JSON-serialisable form of one operation; `col` and `field` (its path in the file, e.g.
 * `setup.2.madvise`) place the errors of a run, such as an operation the model does not carry out
 */
export type CompiledOp = { id: string; line: number; col?: number; field?: string } & (
  /** fd: a file (memfd_create, open) mapped from byte offset `offset` */
  | { op: 'mmap'; as: string | null; addr: Expr | null; len: Expr; prot: number; flags: number; align: number; fd?: string; offset?: Expr }
  | { op: 'munmap'; addr: Expr; len: Expr }
  /** mremap(2); new_addr: the MREMAP_FIXED destination or the MREMAP_DONTUNMAP hint (0 when absent); as: the new mapping */
  | { op: 'mremap'; addr: Expr; old_len: Expr; new_len: Expr; flags: number; new_addr: Expr | null; as: string | null }
  | { op: 'mprotect'; addr: Expr; len: Expr; prot: number }
  | { op: 'madvise'; addr: Expr; len: Expr; advice: MadviseName[] }
  /** a model device: memory pressure reclaims exactly the pages of this range that MADV_PAGEOUT would take (mm/vmscan.ts) */
  | { op: 'reclaim'; addr: Expr; len: Expr }
  | { op: 'write'; addr: Expr; value: Expr; size: number }
  | { op: 'memset'; addr: Expr; len: Expr; value: number }
  | { op: 'read'; addr: Expr; len: Expr; as: string | null }
  | { op: 'fork'; as: string }
  /** exit_group(2) of the calling thread's process (a forked one): its other threads die, its mm and files go */
  | { op: 'exit'; status: number }
  | { op: 'userfaultfd'; as: string; nonblock: boolean; user_mode_only: boolean; via: 'syscall' | 'dev'; api: boolean; features: number; extra_flags?: number }
  | { op: 'uffdio_api'; uffd: string; api: number; features: number }
  | { op: 'uffdio_register'; uffd: string; addr: Expr; len: Expr; mode: number; as: string | null }
  | { op: 'uffdio_unregister'; uffd: string; addr: Expr; len: Expr }
  | { op: 'uffdio_writeprotect'; uffd: string; addr: Expr; len: Expr; mode: number }
  | { op: 'uffdio_copy'; uffd: string; dst: Expr; src: Expr; len: Expr; mode: number }
  | { op: 'uffdio_zeropage'; uffd: string; addr: Expr; len: Expr; mode: number }
  | { op: 'uffdio_move'; uffd: string; dst: Expr; src: Expr; len: Expr; mode: number }
  /** UFFDIO_CONTINUE; mode UFFDIO_CONTINUE_MODE_* */
  | { op: 'uffdio_continue'; uffd: string; addr: Expr; len: Expr; mode: number }
  /** UFFDIO_POISON; mode UFFDIO_POISON_MODE_DONTWAKE (bit1: an unknown bit) */
  | { op: 'uffdio_poison'; uffd: string; addr: Expr; len: Expr; mode: number }
  | { op: 'uffdio_wake'; uffd: string; addr: Expr; len: Expr }
  /** fork_uffd: the name a FORK message's new uffd gets (read_uffd defines it) */
  | { op: 'read_uffd'; uffd: string; as: string | null; size: number; fork_uffd?: string | null }
  | { op: 'poll_uffd'; uffd: string }
  /** file: the name is a file's (memfd_create, open), not a uffd's */
  | { op: 'close'; uffd: string; file?: boolean }
  /** text: what is written when the scenario gave a string (parsed by the kernel, not by mmsim) */
  | { op: 'clear_refs'; value: number; text?: string }
  | { op: 'setuid'; uid: number; gid: number }
  | {
      op: 'pagemap_scan'; addr: Expr; len: Expr; flags: number; category_mask: number; category_inverted: number;
      category_anyof_mask: number; return_mask: number; max_pages: number; vec_len: number; size: number;
    }
  | { op: 'split_huge_page'; addr: Expr; len: Expr }
  /** foll: FOLL_WRITE, FOLL_FORCE, FOLL_LONGTERM, and FOLL_GET for get_user_pages (else FOLL_PIN) */
  | { op: 'pin'; addr: Expr; len: Expr; foll: number; fast: boolean; as: string }
  | { op: 'unpin'; pin: string }
  | { op: 'pin_read'; pin: string; as: string | null }
  | { op: 'vmsplice'; addr: Expr; len: Expr; as: string }
  | { op: 'read_pipe'; pipe: string; as: string | null }
  | { op: 'proc_mem_write'; addr: Expr; value: Expr; size: number }
  | { op: 'proc_mem_read'; addr: Expr; len: Expr; as: string | null }
  /** swapon(2) of a swap file of `pages` pages (the header page included); swapoff(2) of it */
  | { op: 'swapon'; pages: number }
  | { op: 'swapoff' }
  /** page migration of a range (mbind MPOL_MF_MOVE / move_pages on one node): unmap, then move, two steps in a thread */
  | { op: 'migrate'; addr: Expr; len: Expr }
  /** khugepaged's visit of the 2 MiB block at addr: the scan, then (the mmap lock dropped) the collapse, two steps in a thread */
  | { op: 'khugepaged'; addr: Expr }
  /** device: move_pages(2) of the calling process (pid 0): one address and target node per page, flags MPOL_MF_* */
  | { op: 'move_pages'; pages: Expr[]; nodes: number[]; flags: number }
  /** device: the HMM test driver's HMM_DMIRROR_MIGRATE_TO_DEV on its device-coherent device (lib/test_hmm.c, spm_addr_dev0) */
  | { op: 'hmm_migrate'; addr: Expr; len: Expr; to: 'coherent' }
  /** mincore(2) of [addr, addr+len): one residency byte per page, in the result */
  | { op: 'mincore'; addr: Expr; len: Expr }
  | { op: 'checkpoint'; name: string }
  // ---- shmem and tmpfs files (mm/shmem.ts) ----
  /** memfd_create(2): flags MFD_*; the file is open O_RDWR in the calling process */
  | { op: 'memfd_create'; as: string; name: string; flags: number }
  /** open(2) of a file in the run's tmpfs directory; flags O_* (O_RDONLY 0, O_WRONLY 1, O_RDWR 2, O_CREAT 0x40) */
  | { op: 'open'; as: string; path: string; flags: number; hugetlbfs?: boolean }
  | { op: 'ftruncate'; fd: string; len: Expr }
  /** fallocate(2); mode FALLOC_FL_* */
  | { op: 'fallocate'; fd: string; mode: number; offset: Expr; len: Expr }
  /** pwrite(2) of len bytes of the byte `value` at offset */
  | { op: 'pwrite'; fd: string; offset: Expr; len: Expr; value: number }
  | { op: 'pread'; fd: string; offset: Expr; len: Expr; as: string | null }
);
export type OpName = CompiledOp['op'];

/** a number, a big integer or an expression string */
export const zExpr = z.union([z.bigint(), zInt, z.string().min(1)]);
const zName = z.string().regex(/^[A-Za-z_]\w*$/, 'a name: letters, digits and _');
const zProt = z.union([
  z.enum(['none', 'r', 'w', 'x', 'rw', 'rx', 'wx', 'rwx']),
  z.array(z.enum(['read', 'write', 'exec', 'none'])),
]);
const madviseNames = Object.keys(MADV) as [MadviseName, ...MadviseName[]];
/** feature names; bit17 is one no kernel knows yet (for the EINVAL case) */
const featureNames = [...Object.keys(UFFD_FEATURE), 'bit17'] as unknown as [UffdFeatureName, ...UffdFeatureName[]];
/** PAGEMAP_SCAN categories; bit9 is an unknown one (for the EINVAL case) */
export const SCAN_CATEGORY_NAMES = [...(Object.keys(PAGE_IS) as PageIsName[]), 'bit9'] as const;
const zCategories = z.array(z.enum(SCAN_CATEGORY_NAMES as unknown as [string, ...string[]])).default([]);

export const OP_SCHEMAS = {
  mmap: z.object({
    as: zName.optional(), addr: zExpr.optional(), len: zExpr, prot: zProt.default('rw'),
    flags: z.array(z.enum(['private', 'shared', 'anonymous', 'fixed', 'fixed_noreplace', 'noreserve', 'populate', 'hugetlb'])).optional(),
    align: zExpr.optional(), fd: zName.optional(), offset: zExpr.optional(), id: zName.optional(),
  }).strict(),
  munmap: z.object({ addr: zExpr, len: zExpr, id: zName.optional() }).strict(),
  mremap: z.object({
    addr: zExpr, old_len: zExpr, new_len: zExpr, flags: z.array(z.enum(['maymove', 'fixed', 'dontunmap', 'bit3'])).default([]),
    new_addr: zExpr.optional(), as: zName.optional(), id: zName.optional(),
  }).strict(),
  mprotect: z.object({ addr: zExpr, len: zExpr, prot: zProt, id: zName.optional() }).strict(),
  reclaim: z.object({ addr: zExpr, len: zExpr, id: zName.optional() }).strict(),
  madvise: z.object({
    addr: zExpr, len: zExpr, advice: z.union([z.enum(madviseNames), z.array(z.enum(madviseNames)).min(1)]), id: zName.optional(),
  }).strict(),
  write: z.object({ addr: zExpr, value: zExpr.default(1), size: zInt.pipe(z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)])).default(1), id: zName.optional() }).strict(),
  memset: z.object({ addr: zExpr, len: zExpr, value: zInt.pipe(z.number().min(0).max(255)), id: zName.optional() }).strict(),
  read: z.object({ addr: zExpr, len: zExpr.default(1), as: zName.optional(), id: zName.optional() }).strict(),
  fork: z.object({ as: zName, id: zName.optional() }).strict(),
  exit: z.union([zInt.pipe(z.number().min(0).max(255)), z.object({ status: zInt.pipe(z.number().min(0).max(255)).default(0), id: zName.optional() }).strict()]),
  userfaultfd: z.object({
    as: zName, flags: z.array(z.enum(['nonblock', 'cloexec', 'user_mode_only', 'bit1'])).default(['nonblock', 'cloexec']),
    via: z.enum(['syscall', 'dev']).default('syscall'), api: z.boolean().default(true),
    features: z.array(z.enum(featureNames)).default([]), id: zName.optional(),
  }).strict(),
  uffdio_api: z.object({ uffd: zName, api: zInt.default(0xaa), features: z.array(z.enum(featureNames)).default([]), id: zName.optional() }).strict(),
  uffdio_register: z.object({
    uffd: zName, addr: zExpr, len: zExpr, mode: z.array(z.enum(['missing', 'wp', 'minor', 'bit3'])).min(0), as: zName.optional(), id: zName.optional(),
  }).strict(),
  uffdio_unregister: z.object({ uffd: zName, addr: zExpr, len: zExpr, id: zName.optional() }).strict(),
  uffdio_writeprotect: z.object({
    uffd: zName, addr: zExpr, len: zExpr, mode: z.array(z.enum(['wp', 'dontwake', 'bit2'])).default([]), id: zName.optional(),
  }).strict(),
  uffdio_copy: z.object({
    uffd: zName, dst: zExpr, src: zExpr, len: zExpr, mode: z.array(z.enum(['dontwake', 'wp'])).default([]), id: zName.optional(),
  }).strict(),
  uffdio_zeropage: z.object({ uffd: zName, addr: zExpr, len: zExpr, mode: z.array(z.enum(['dontwake'])).default([]), id: zName.optional() }).strict(),
  uffdio_move: z.object({
    uffd: zName, dst: zExpr, src: zExpr, len: zExpr, mode: z.array(z.enum(['dontwake', 'allow_src_holes', 'bit2'])).default([]), id: zName.optional(),
  }).strict(),
  uffdio_wake: z.object({ uffd: zName, addr: zExpr, len: zExpr, id: zName.optional() }).strict(),
  uffdio_continue: z.object({
    uffd: zName, addr: zExpr, len: zExpr, mode: z.array(z.enum(['dontwake', 'wp', 'bit2'])).default([]), id: zName.optional(),
  }).strict(),
  uffdio_poison: z.object({
    uffd: zName, addr: zExpr, len: zExpr, mode: z.array(z.enum(['dontwake', 'bit1'])).default([]), id: zName.optional(),
  }).strict(),
  read_uffd: z.object({ uffd: zName, as: zName.optional(), size: zInt.default(32), fork_uffd: zName.optional(), id: zName.optional() }).strict(),
  poll_uffd: z.union([zName, z.object({ uffd: zName, id: zName.optional() }).strict()]),
  close: z.union([zName, z.object({ uffd: zName, id: zName.optional() }).strict(), z.object({ fd: zName, id: zName.optional() }).strict()]),
  clear_refs: z.union([zInt, z.string().min(1), z.object({ value: z.union([zInt, z.string().min(1)]), id: zName.optional() }).strict()]),
  setuid: z.union([
    zInt.pipe(z.number().min(1).max(0xfffffffe)),
    z.object({ uid: zInt.pipe(z.number().min(1).max(0xfffffffe)), gid: zInt.pipe(z.number().min(0).max(0xfffffffe)).optional(), id: zName.optional() }).strict(),
  ]),
  pagemap_scan: z.object({
    addr: zExpr, len: zExpr, flags: z.array(z.enum(['wp_matching', 'check_wpasync', 'bit2'])).default([]),
    category_mask: zCategories, category_inverted: zCategories, category_anyof: zCategories, return_mask: zCategories,
    max_pages: zInt.default(0), vec_len: zInt.default(64), size: zInt.default(96), id: zName.optional(),
  }).strict(),
  split_huge_page: z.object({ addr: zExpr, len: zExpr, id: zName.optional() }).strict(),
  pin: z.object({
    addr: zExpr, len: zExpr.default(4096), flags: z.array(z.enum(['write', 'force', 'longterm', 'get', 'fast'])).default([]), as: zName, id: zName.optional(),
  }).strict(),
  unpin: z.union([zName, z.object({ pin: zName, id: zName.optional() }).strict()]),
  pin_read: z.object({ pin: zName, as: zName.optional(), id: zName.optional() }).strict(),
  vmsplice: z.object({ addr: zExpr, len: zExpr.default(4096), as: zName, id: zName.optional() }).strict(),
  read_pipe: z.object({ pipe: zName, as: zName.optional(), id: zName.optional() }).strict(),
  proc_mem_write: z.object({ addr: zExpr, value: zExpr.default(1), size: zInt.pipe(z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)])).default(1), id: zName.optional() }).strict(),
  proc_mem_read: z.object({ addr: zExpr, len: zExpr.default(1), as: zName.optional(), id: zName.optional() }).strict(),
  swapon: z.union([
    zInt.pipe(z.number().min(1).max(1 << 24)),
    z.object({ pages: zInt.pipe(z.number().min(1).max(1 << 24)), id: zName.optional() }).strict(),
  ]),
  swapoff: z.union([z.literal(true), z.object({ id: zName.optional() }).strict()]),
  migrate: z.object({ addr: zExpr, len: zExpr, id: zName.optional() }).strict(),
  khugepaged: z.object({ addr: zExpr, id: zName.optional() }).strict(),
  move_pages: z.object({
    pages: z.array(zExpr).min(1).max(1024), nodes: z.union([zInt, z.array(zInt).min(1)]).default(0),
    flags: z.array(z.enum(['move', 'move_all', 'bit0'])).default(['move']), id: zName.optional(),
  }).strict(),
  hmm_migrate: z.object({ addr: zExpr, len: zExpr, to: z.enum(['coherent']), id: zName.optional() }).strict(),
  mincore: z.object({ addr: zExpr, len: zExpr, id: zName.optional() }).strict(),
  checkpoint: z.union([zName, z.object({ name: zName }).strict()]),
  memfd_create: z.object({
    as: zName, name: z.string().default('mmsim'),
    flags: z.array(z.enum(['cloexec', 'allow_sealing', 'hugetlb', 'noexec_seal', 'exec', 'bit5'])).default(['cloexec']), id: zName.optional(),
  }).strict(),
  open: z.object({
    as: zName, path: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a file name (letters, digits, _ . -) in the run\'s tmpfs directory'),
    flags: z.array(z.enum(['rdonly', 'wronly', 'rdwr', 'create'])).default(['rdwr', 'create']),
    fs: z.enum(['tmpfs', 'hugetlbfs']).default('tmpfs'), id: zName.optional(),
  }).strict(),
  ftruncate: z.object({ fd: zName, len: zExpr, id: zName.optional() }).strict(),
  fallocate: z.object({ fd: zName, mode: z.array(z.enum(['keep_size', 'punch_hole', 'bit2'])).default([]), offset: zExpr.default(0), len: zExpr, id: zName.optional() }).strict(),
  pwrite: z.object({ fd: zName, offset: zExpr.default(0), len: zExpr.default(1), value: zInt.pipe(z.number().min(0).max(255)).default(1), id: zName.optional() }).strict(),
  pread: z.object({ fd: zName, offset: zExpr.default(0), len: zExpr.default(1), as: zName.optional(), id: zName.optional() }).strict(),
} as const;

export const OP_NAMES = Object.keys(OP_SCHEMAS) as OpName[];

/** short help for each op, printed by error messages and docs */
export const OP_HELP: Record<OpName, string> = {
  mmap: 'mmap: { as, len, prot: rw, flags: [private, anonymous] | [shared, anonymous] | [shared] with fd, addr?, align?, fd?, offset? }',
  munmap: 'munmap: { addr, len }',
  mremap: 'mremap: { addr, old_len, new_len, flags?: [maymove, fixed, dontunmap], new_addr?, as? }',
  mprotect: 'mprotect: { addr, len, prot }',
  madvise: 'madvise: { addr, len, advice: hugepage | [hugepage, dontfork, ...] }',
  reclaim: 'reclaim: { addr, len } (a model device: memory pressure reclaims these pages, on any release; the host runs it as MADV_PAGEOUT)',
  write: 'write: { addr, value?, size?: 1|2|4|8 }',
  memset: 'memset: { addr, len, value }',
  read: 'read: { addr, len?, as? }',
  fork: 'fork: { as }',
  exit: 'exit: 0 | { status? } (exit_group(2) of this forked process: its other threads are killed, its memory and files go; the last operation of its thread)',
  userfaultfd: 'userfaultfd: { as, flags?, via?: syscall|dev, api?: true, features? }',
  uffdio_api: 'uffdio_api: { uffd, api?, features? }',
  uffdio_register: 'uffdio_register: { uffd, addr, len, mode: [missing|wp|minor] }',
  uffdio_unregister: 'uffdio_unregister: { uffd, addr, len }',
  uffdio_writeprotect: 'uffdio_writeprotect: { uffd, addr, len, mode: [] | [wp] | [dontwake] }',
  uffdio_copy: 'uffdio_copy: { uffd, dst, src, len, mode? }',
  uffdio_zeropage: 'uffdio_zeropage: { uffd, addr, len, mode? }',
  uffdio_move: 'uffdio_move: { uffd, dst, src, len, mode?: [dontwake, allow_src_holes] }',
  uffdio_wake: 'uffdio_wake: { uffd, addr, len }',
  uffdio_continue: 'uffdio_continue: { uffd, addr, len, mode?: [dontwake, wp] } (map the page-cache pages of a MINOR range)',
  uffdio_poison: 'uffdio_poison: { uffd, addr, len, mode?: [dontwake] } (put the poison marker in the none PTEs of a registered range: a later access is SIGBUS)',
  read_uffd: 'read_uffd: { uffd, as?, size?: 32, fork_uffd? }',
  poll_uffd: 'poll_uffd: uffd | { uffd } (poll with timeout 0; the result is revents)',
  close: 'close: name | { uffd } | { fd } (close(2) of the uffd or file in this process; the last reference releases it)',
  clear_refs: 'clear_refs: 4 | "text" | { value }',
  setuid: 'setuid: 65534 | { uid, gid? } (the whole process drops root: no capabilities left)',
  pagemap_scan: 'pagemap_scan: { addr, len, flags?: [wp_matching, check_wpasync], category_mask?, category_inverted?, category_anyof?, return_mask: [written, present, ...], max_pages?, vec_len? }',
  split_huge_page: 'split_huge_page: { addr, len } (debugfs split_huge_pages of this range)',
  pin: 'pin: { addr, len?: 4K, flags?: [write, force, longterm, get, fast], as } (pin_user_pages; get: get_user_pages; fast: the _fast variant, gup_fast first)',
  unpin: 'unpin: handle | { pin } (unpin_user_pages / put_page of what pin took)',
  pin_read: 'pin_read: { pin, as? } (the bytes of the pinned pages, as a device reading them sees them)',
  vmsplice: 'vmsplice: { addr, len?: 4K, as } (vmsplice(2) of the range into a new pipe: a read-only GUP reference)',
  read_pipe: 'read_pipe: { pipe, as? } (read(2) of the pipe: the pages\' bytes now; their references go)',
  proc_mem_write: 'proc_mem_write: { addr, value?, size?: 1|2|4|8 } (pwrite to /proc/self/mem: FOLL_FORCE)',
  proc_mem_read: 'proc_mem_read: { addr, len?, as? } (pread from /proc/self/mem: FOLL_FORCE)',
  swapon: 'swapon: { pages } (a swap file of that many pages, the header included; root only)',
  swapoff: 'swapoff: true (the swap file swapon made; root only)',
  migrate: 'migrate: { addr, len } (every page of the range moves to a new page: migration entries, then the copy)',
  khugepaged: 'khugepaged: { addr } (khugepaged collapses the 2 MiB block at addr: the scan, then the collapse; the result is the scan_result name)',
  move_pages: 'move_pages: { pages: [addr, ...], nodes?: 0 | [0, ...], flags?: [move] | [move_all] } (move_pages(2) of this process; the result is its return value and the status of each page)',
  mincore: 'mincore: { addr, len } (mincore(2): the result is its return value and the byte of each page, 1 where it is resident, checked as { op: ID, status: [1, 0] })',
  hmm_migrate: 'hmm_migrate: { addr, len, to: coherent } (test_hmm\'s HMM_DMIRROR_MIGRATE_TO_DEV on a device-coherent device: the pages move into device memory; model only)',
  checkpoint: 'checkpoint: name',
  memfd_create: 'memfd_create: { as, name?, flags?: [cloexec, allow_sealing, noexec_seal, exec] }',
  open: 'open: { as, path, flags?: [rdwr, create] | [rdonly] | [wronly], fs?: tmpfs | hugetlbfs } (a file in the run\'s tmpfs or hugetlbfs directory)',
  ftruncate: 'ftruncate: { fd, len }',
  fallocate: 'fallocate: { fd, mode?: [keep_size, punch_hole], offset?, len }',
  pwrite: 'pwrite: { fd, offset?, len?, value? } (len bytes of the byte value)',
  pread: 'pread: { fd, offset?, len?, as? }',
};
