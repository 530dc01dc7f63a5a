// User-visible constants: include/uapi/linux/userfaultfd.h, mman-common.h, fs.h (PAGEMAP_SCAN),
// kernel-page-flags.h and Documentation/admin-guide/mm/pagemap.rst. Values @v6.12 unless noted.

// mman
export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_NORESERVE = 0x4000;
export const MAP_POPULATE = 0x8000;
export const MAP_HUGETLB = 0x40000;
export const MAP_FIXED_NOREPLACE = 0x100000;
// mremap(2) flags (include/uapi/linux/mman.h)
export const MREMAP_MAYMOVE = 1;
export const MREMAP_FIXED = 2;
export const MREMAP_DONTUNMAP = 4;

export const MADV = {
  normal: 0, random: 1, sequential: 2, willneed: 3, dontneed: 4, free: 8, remove: 9, dontfork: 10,
  dofork: 11, mergeable: 12, unmergeable: 13, hugepage: 14, nohugepage: 15, dontdump: 16, dodump: 17,
  wipeonfork: 18, keeponfork: 19, cold: 20, pageout: 21, populate_read: 22, populate_write: 23,
  dontneed_locked: 24, collapse: 25, guard_install: 102, guard_remove: 103,
} as const;
export type MadviseName = keyof typeof MADV;

// userfaultfd(2)
export const UFFD_USER_MODE_ONLY = 1;
export const UFFD_API = 0xaa;
export const UFFD_FEATURE = {
  pagefault_flag_wp: 1 << 0,
  event_fork: 1 << 1,
  event_remap: 1 << 2,
  event_remove: 1 << 3,
  missing_hugetlbfs: 1 << 4,
  missing_shmem: 1 << 5,
  event_unmap: 1 << 6,
  sigbus: 1 << 7,
  thread_id: 1 << 8,
  minor_hugetlbfs: 1 << 9,
  minor_shmem: 1 << 10,
  exact_address: 1 << 11,
  wp_hugetlbfs_shmem: 1 << 12,
  wp_unpopulated: 1 << 13,
  poison: 1 << 14,
  wp_async: 1 << 15,
  move: 1 << 16,
} as const;
export type UffdFeatureName = keyof typeof UFFD_FEATURE;

export const UFFDIO_REGISTER_MODE_MISSING = 1 << 0;
export const UFFDIO_REGISTER_MODE_WP = 1 << 1;
export const UFFDIO_REGISTER_MODE_MINOR = 1 << 2;
export const UFFDIO_COPY_MODE_DONTWAKE = 1 << 0;
export const UFFDIO_COPY_MODE_WP = 1 << 1;
export const UFFDIO_ZEROPAGE_MODE_DONTWAKE = 1 << 0;
export const UFFDIO_CONTINUE_MODE_DONTWAKE = 1 << 0;
export const UFFDIO_CONTINUE_MODE_WP = 1 << 1;
export const UFFDIO_POISON_MODE_DONTWAKE = 1 << 0;
export const UFFDIO_WRITEPROTECT_MODE_WP = 1 << 0;
export const UFFDIO_WRITEPROTECT_MODE_DONTWAKE = 1 << 1;
export const UFFDIO_MOVE_MODE_DONTWAKE = 1 << 0;
export const UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES = 1 << 1;

// _UFFDIO_* ioctl numbers, as bits of the `ioctls` masks returned by UFFDIO_API / UFFDIO_REGISTER
export const _UFFDIO_REGISTER = 0x00;
export const _UFFDIO_UNREGISTER = 0x01;
export const _UFFDIO_WAKE = 0x02;
export const _UFFDIO_COPY = 0x03;
export const _UFFDIO_ZEROPAGE = 0x04;
export const _UFFDIO_MOVE = 0x05;
export const _UFFDIO_WRITEPROTECT = 0x06;
export const _UFFDIO_CONTINUE = 0x07;
export const _UFFDIO_POISON = 0x08;
export const _UFFDIO_API = 0x3f;

// struct uffd_msg
export const UFFD_EVENT_PAGEFAULT = 0x12;
export const UFFD_EVENT_FORK = 0x13;
export const UFFD_EVENT_REMAP = 0x14;
export const UFFD_EVENT_REMOVE = 0x15;
export const UFFD_EVENT_UNMAP = 0x16;
export const UFFD_PAGEFAULT_FLAG_WRITE = 1 << 0;
export const UFFD_PAGEFAULT_FLAG_WP = 1 << 1;
export const UFFD_PAGEFAULT_FLAG_MINOR = 1 << 2;

// /proc/PID/pagemap bits, as bit numbers of the u64 (fs/proc/task_mmu.c @v6.18, PM_*); 0-54 are the PFN (or the swap entry)
export const PM = {
  soft_dirty: 55,
  mmap_exclusive: 56,
  uffd_wp: 57,
  /** PM_GUARD_REGION: a MADV_GUARD_INSTALL marker (8e2f2aeb8b48, v6.15) */
  guard_region: 58,
  file: 61,
  swap: 62,
  present: 63,
} as const;
export type PagemapBitName = keyof typeof PM;
export const PM_PFRAME_BITS = 55;

// /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h; 32+ from include/linux/kernel-page-flags.h)
export const KPF = {
  locked: 0, error: 1, referenced: 2, uptodate: 3, dirty: 4, lru: 5, active: 6, slab: 7, writeback: 8,
  reclaim: 9, buddy: 10, mmap: 11, anon: 12, swapcache: 13, swapbacked: 14, compound_head: 15,
  compound_tail: 16, huge: 17, unevictable: 18, hwpoison: 19, nopage: 20, ksm: 21, thp: 22,
  offline: 23, zero_page: 24, idle: 25, pgtable: 26,
  reserved: 32, mlocked: 33, owner_2: 34, private: 35, private_2: 36, owner_private: 37, arch: 38,
  softdirty: 40, arch_2: 41, arch_3: 42,
} as const;
export type KpfName = keyof typeof KPF;

// PAGEMAP_SCAN (include/uapi/linux/fs.h @v6.7+)
export const PAGE_IS = {
  wpallowed: 1 << 0,
  written: 1 << 1,
  file: 1 << 2,
  present: 1 << 3,
  swapped: 1 << 4,
  pfnzero: 1 << 5,
  huge: 1 << 6,
  soft_dirty: 1 << 7,
  guard: 1 << 8,
} as const;
export type PageIsName = keyof typeof PAGE_IS;
export const PM_SCAN_WP_MATCHING = 1 << 0;
export const PM_SCAN_CHECK_WPASYNC = 1 << 1;

// clear_refs values (fs/proc/task_mmu.c enum clear_refs_types)
export const CLEAR_REFS_ALL = 1;
export const CLEAR_REFS_ANON = 2;
export const CLEAR_REFS_MAPPED = 3;
export const CLEAR_REFS_SOFT_DIRTY = 4;
export const CLEAR_REFS_MM_HIWATER_RSS = 5;
