// include/linux/mm.h vm_flags bits @v4.19 and @v6.12 (low 32 bits; the few high bits we need are kept apart).
export const VM_NONE = 0x00000000;
export const VM_READ = 0x00000001;
export const VM_WRITE = 0x00000002;
export const VM_EXEC = 0x00000004;
export const VM_SHARED = 0x00000008;
export const VM_MAYREAD = 0x00000010;
export const VM_MAYWRITE = 0x00000020;
export const VM_MAYEXEC = 0x00000040;
export const VM_MAYSHARE = 0x00000080;
export const VM_GROWSDOWN = 0x00000100;
export const VM_UFFD_MISSING = 0x00000200;
export const VM_PFNMAP = 0x00000400;
export const VM_DENYWRITE = 0x00000800;
/** VM_MAYBE_GUARD (49e14dabed7a's series, v6.19, 6.18.y): a guard region may be in the VMA; it reuses VM_DENYWRITE's bit (gone in v5.15) */
export const VM_MAYBE_GUARD = 0x00000800;
export const VM_UFFD_WP = 0x00001000;
export const VM_LOCKED = 0x00002000;
export const VM_IO = 0x00004000;
export const VM_SEQ_READ = 0x00008000;
export const VM_RAND_READ = 0x00010000;
export const VM_DONTCOPY = 0x00020000;
export const VM_DONTEXPAND = 0x00040000;
export const VM_LOCKONFAULT = 0x00080000;
export const VM_ACCOUNT = 0x00100000;
export const VM_NORESERVE = 0x00200000;
export const VM_HUGETLB = 0x00400000;
export const VM_SYNC = 0x00800000;
export const VM_ARCH_1 = 0x01000000;
export const VM_WIPEONFORK = 0x02000000;
export const VM_DONTDUMP = 0x04000000;
export const VM_SOFTDIRTY = 0x08000000; // 0 when CONFIG_MEM_SOFT_DIRTY=n: see vmFlagSoftdirty()
export const VM_MIXEDMAP = 0x10000000;
export const VM_HUGEPAGE = 0x20000000;
export const VM_NOHUGEPAGE = 0x40000000;
export const VM_MERGEABLE = 0x80000000;

// High vm_flags (bit number minus 32), stored in VmArea.vm_flags_hi.
export const VM_HI_UFFD_MINOR = 1 << (38 - 32);
/**
 * VM_UFFD_MINOR as the whole 64-bit value (bit 38), for handle_userfault's `reason` only: a VMA keeps it in
 * vm_flags_hi (VM_HI_UFFD_MINOR). As a number past 32 bits it has no bit in common with the low flags.
 */
export const VM_UFFD_MINOR = 2 ** 38;

export const VM_UFFD_MISSING_WP = VM_UFFD_MISSING | VM_UFFD_WP;
export const VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
export const VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;
/**
 * VM_STICKY ("mm: implement sticky VMA flags", 64212ba02e66, with 49e14dabed7a): flags that do not stop a merge
 * and that the merged VMA keeps if any part had them. Only VM_MAYBE_GUARD here (VM_SOFTDIRTY, which a later patch
 * of the series adds, is ignored by merges on every release already); never set without the row guard-vma-flag
 */
export const VM_STICKY = VM_MAYBE_GUARD;

export const VM_FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [VM_READ, 'VM_READ'], [VM_WRITE, 'VM_WRITE'], [VM_EXEC, 'VM_EXEC'], [VM_SHARED, 'VM_SHARED'],
  [VM_MAYREAD, 'VM_MAYREAD'], [VM_MAYWRITE, 'VM_MAYWRITE'], [VM_MAYEXEC, 'VM_MAYEXEC'],
  [VM_MAYSHARE, 'VM_MAYSHARE'], [VM_GROWSDOWN, 'VM_GROWSDOWN'], [VM_UFFD_MISSING, 'VM_UFFD_MISSING'],
  [VM_PFNMAP, 'VM_PFNMAP'], [VM_UFFD_WP, 'VM_UFFD_WP'], [VM_LOCKED, 'VM_LOCKED'], [VM_IO, 'VM_IO'],
  [VM_DONTCOPY, 'VM_DONTCOPY'], [VM_DONTEXPAND, 'VM_DONTEXPAND'], [VM_ACCOUNT, 'VM_ACCOUNT'],
  [VM_NORESERVE, 'VM_NORESERVE'], [VM_WIPEONFORK, 'VM_WIPEONFORK'], [VM_DONTDUMP, 'VM_DONTDUMP'],
  [VM_SOFTDIRTY, 'VM_SOFTDIRTY'], [VM_MIXEDMAP, 'VM_MIXEDMAP'], [VM_HUGEPAGE, 'VM_HUGEPAGE'],
  [VM_NOHUGEPAGE, 'VM_NOHUGEPAGE'], [VM_MERGEABLE, 'VM_MERGEABLE'], [VM_MAYBE_GUARD, 'VM_MAYBE_GUARD'],
];

export function vmFlagsToString(flags: number): string {
  const names = VM_FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n);
  return names.join('|') || '0';
}
