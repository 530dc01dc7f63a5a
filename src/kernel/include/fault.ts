// FAULT_FLAG_* (include/linux/mm.h @v4.19; enum fault_flag in include/linux/mm_types.h @v6.12)
export const FAULT_FLAG_WRITE = 0x001;
export const FAULT_FLAG_MKWRITE = 0x002;
export const FAULT_FLAG_ALLOW_RETRY = 0x004;
export const FAULT_FLAG_RETRY_NOWAIT = 0x008;
export const FAULT_FLAG_KILLABLE = 0x010;
export const FAULT_FLAG_TRIED = 0x020;
export const FAULT_FLAG_USER = 0x040;
export const FAULT_FLAG_REMOTE = 0x080;
export const FAULT_FLAG_INSTRUCTION = 0x100;
export const FAULT_FLAG_INTERRUPTIBLE = 0x200;
export const FAULT_FLAG_UNSHARE = 0x400;
export const FAULT_FLAG_ORIG_PTE_VALID = 0x800;
export const FAULT_FLAG_VMA_LOCK = 0x1000;

// VM_FAULT_* return codes (include/linux/mm.h @v4.19, mm_types.h @v6.12)
export const VM_FAULT_OOM = 0x000001;
export const VM_FAULT_SIGBUS = 0x000002;
export const VM_FAULT_MAJOR = 0x000004;
export const VM_FAULT_WRITE = 0x000008;
export const VM_FAULT_HWPOISON = 0x000010;
export const VM_FAULT_HWPOISON_LARGE = 0x000020;
export const VM_FAULT_SIGSEGV = 0x000040;
export const VM_FAULT_NOPAGE = 0x000100;
export const VM_FAULT_LOCKED = 0x000200;
export const VM_FAULT_RETRY = 0x000400;
export const VM_FAULT_FALLBACK = 0x000800;
export const VM_FAULT_DONE_COW = 0x001000;
export const VM_FAULT_NEEDDSYNC = 0x002000;
export const VM_FAULT_COMPLETED = 0x004000;
export const VM_FAULT_ERROR = VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE;

// x86 page-fault error code (arch/x86/include/asm/trap_pf.h)
export const X86_PF_PROT = 1 << 0;
export const X86_PF_WRITE = 1 << 1;
export const X86_PF_USER = 1 << 2;
export const X86_PF_RSVD = 1 << 3;
export const X86_PF_INSTR = 1 << 4;

export const FAULT_FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [FAULT_FLAG_WRITE, 'WRITE'], [FAULT_FLAG_MKWRITE, 'MKWRITE'], [FAULT_FLAG_ALLOW_RETRY, 'ALLOW_RETRY'],
  [FAULT_FLAG_RETRY_NOWAIT, 'RETRY_NOWAIT'], [FAULT_FLAG_KILLABLE, 'KILLABLE'], [FAULT_FLAG_TRIED, 'TRIED'],
  [FAULT_FLAG_USER, 'USER'], [FAULT_FLAG_REMOTE, 'REMOTE'], [FAULT_FLAG_INSTRUCTION, 'INSTRUCTION'],
  [FAULT_FLAG_INTERRUPTIBLE, 'INTERRUPTIBLE'], [FAULT_FLAG_UNSHARE, 'UNSHARE'],
  [FAULT_FLAG_ORIG_PTE_VALID, 'ORIG_PTE_VALID'], [FAULT_FLAG_VMA_LOCK, 'VMA_LOCK'],
];

export const VM_FAULT_NAMES: ReadonlyArray<[number, string]> = [
  [VM_FAULT_OOM, 'OOM'], [VM_FAULT_SIGBUS, 'SIGBUS'], [VM_FAULT_MAJOR, 'MAJOR'], [VM_FAULT_WRITE, 'WRITE'],
  [VM_FAULT_HWPOISON, 'HWPOISON'], [VM_FAULT_HWPOISON_LARGE, 'HWPOISON_LARGE'], [VM_FAULT_SIGSEGV, 'SIGSEGV'], [VM_FAULT_NOPAGE, 'NOPAGE'],
  [VM_FAULT_LOCKED, 'LOCKED'], [VM_FAULT_RETRY, 'RETRY'], [VM_FAULT_FALLBACK, 'FALLBACK'],
  [VM_FAULT_DONE_COW, 'DONE_COW'], [VM_FAULT_COMPLETED, 'COMPLETED'],
];

export function flagNames(v: number, table: ReadonlyArray<[number, string]>): string {
  const out = table.filter(([bit]) => (v & bit) !== 0).map(([, n]) => n);
  return out.length ? out.join('|') : '0';
}
