// The patch table: every behaviour of the model that differs between kernel versions is one row here,
// named after the upstream commit that introduced it (or the out-of-tree branch / mailing-list proposal).
// Model code asks kernel.has(PATCH.x); profiles (profiles.ts) are sets of these rows.

export type PatchKind = 'upstream' | 'out-of-tree' | 'proposal';

export interface PatchDef {
  /** the name used on the command line (--patch +id) */
  readonly id: string;
  /** 12-hex commit id; for a proposal that never became a commit, '' and `ref` names the mail */
  readonly commit: string;
  readonly subject: string;
  readonly author: string;
  /** first release that has it (upstream), or where it lived (out-of-tree / proposal) */
  readonly release: string;
  readonly kind: PatchKind;
  /** what changes in the model, in one line */
  readonly summary: string;
  /** Message-ID or URL of the mail/branch, for rows without an upstream commit */
  readonly ref?: string;
  /** rows that must be present for this one to make sense */
  readonly requires?: readonly string[];
}

export interface Patch extends PatchDef {
  readonly index: number;
}

const rows = {
  // ---- the 2018 out-of-tree branch (Andrea Arcangeli's aa.git "userfault", as Peter Xu ran it) ----
  uffdWp2018Branch: {
    id: 'uffd-wp-2018-branch',
    commit: 'b16cb9fcb76b',
    subject: 'userfaultfd: wp: support write protection for userfault vma range (+ the WP fault hooks and UFFDIO_WRITEPROTECT)',
    author: 'Andrea Arcangeli, Shaohua Li',
    release: 'aa.git userfault (2018, out of tree)',
    kind: 'out-of-tree',
    summary: 'UFFDIO_REGISTER_MODE_WP and UFFDIO_WRITEPROTECT via change_protection(newprot, dirty_accountable = !wp); every write fault in a VM_UFFD_WP VMA (do_wp_page, wp_huge_pmd) goes to handle_userfault; must_wait tests !pte_write/!pmd_write for WP; a WP request also wakes',
    ref: 'aa.git b16cb9fcb76bec59cbe1427e73246dc81a4942e2 and aa97daa6e54f2cfed1a6f1f38f9629608b8aadcc (cited in the thread); posted as "[PATCH RFC 00/24] userfaultfd: write protection support" 20190121075722.7945-1-peterx@redhat.com',
  },
  // ---- the three fixes proposed in the 2018 thread ----------------------------------------------
  peterx2018SplitMkdirty: {
    id: 'peterx-2018-split-mkdirty', commit: '', subject: 'mm: hugepage: mark splitted page dirty when needed',
    author: 'Peter Xu', release: 'proposal 2018-09-04 (not merged)', kind: 'proposal',
    summary: '__split_huge_pmd_locked: pte_mkdirty every PTE when the huge PMD was dirty',
    ref: '20180904075510.22338-1-peterx@redhat.com', requires: ['uffd-wp-2018-branch'],
  },
  peterx2018PageDirty: {
    id: 'peterx-2018-pagedirty', commit: '',
    subject: 'mm/mprotect: test PageDirty() too before making a PTE writable (alternative in the 2018-09-07 reply)',
    author: 'Peter Xu', release: 'proposal 2018-09-07 (not merged)', kind: 'proposal',
    summary: 'change_pte_range: dirty = pte_dirty() || PageDirty(pte_page()) (PF_HEAD: the head of a PTE-mapped THP)',
    ref: 'Re: [PATCH] mm: hugepage: mark splitted page dirty when needed (Peter Xu, 2018-09-07)', requires: ['uffd-wp-2018-branch'],
  },
  glisse2018NoDirtyAccountable: {
    id: 'glisse-2018-no-dirty-accountable', commit: '',
    subject: 'mwriteprotect_range: call change_protection() with dirty_accountable = 0 (suggestion in the 2018-09-07 reply)',
    author: 'Jérôme Glisse', release: 'proposal 2018-09-07 (not merged)', kind: 'proposal',
    summary: 'un-protect passes dirty_accountable 0, so change_pte_range never sets the write bit',
    ref: 'Re: [PATCH] mm: hugepage: mark splitted page dirty when needed (Jérôme Glisse, 2018-09-07)', requires: ['uffd-wp-2018-branch'],
  },
  // ---- before v4.19 (every profile has them; listed so they can be taken out) -------------------
  softDirtyVmaReuse: {
    id: 'soft-dirty-vma-reuse', commit: 'd9104d1ca966', subject: 'mm: track vma changes with VM_SOFTDIRTY bit',
    author: 'Cyrill Gorcunov', release: 'v3.12', kind: 'upstream',
    summary: 'every new VMA gets VM_SOFTDIRTY and pagemap reports its pages soft-dirty until clear_refs 4',
  },
  softDirtyPteHole: {
    id: 'soft-dirty-pte-hole', commit: '68b5a6524856', subject: 'mm: softdirty: respect VM_SOFTDIRTY in PTE holes',
    author: 'Peter Feiner', release: 'v3.17', kind: 'upstream',
    summary: 'pagemap reports VM_SOFTDIRTY for addresses with no page table yet, not only for none PTEs',
    requires: ['soft-dirty-vma-reuse'],
  },
  softDirtyHoleBeforeVma: {
    id: 'soft-dirty-hole-before-vma', commit: '81d0fa623c5b', subject: 'mm: softdirty: unmapped addresses between VMAs are clean',
    author: 'Peter Feiner', release: 'v3.18', kind: 'upstream',
    summary: 'an unmapped address in a page-table hole reads clean; before, the hole took VM_SOFTDIRTY from the first VMA above it',
    ref: 'bug-corpus 23 ("addresses before VMAs in PTE holes aren\'t softdirty", id not confirmed there): 81d0fa623c5b is Peter Feiner\'s 2014-10-09 rewrite of pagemap_pte_hole/pagemap_pte_range (blame of fs/proc/task_mmu.c)',
    requires: ['soft-dirty-pte-hole'],
  },
  softDirtyMergeIgnore: {
    id: 'soft-dirty-merge-ignore', commit: '34228d473efe', subject: 'mm: ignore VM_SOFTDIRTY on VMA merging',
    author: 'Cyrill Gorcunov', release: 'v3.14', kind: 'upstream',
    summary: 'is_mergeable_vma compares the flags without VM_SOFTDIRTY (the merged VMA is marked soft-dirty by its caller); before, from d9104d1ca966, a new mapping (whose flags lack VM_SOFTDIRTY until mmap_region sets it) never merged with a soft-dirty neighbour, so every mmap() next to another made a VMA of its own (the gimp report: max_map_count reached)',
    requires: ['soft-dirty-vma-reuse'],
  },
  softDirtyThpSplit: {
    id: 'soft-dirty-thp-split', commit: '804dd150468c', subject: 'soft_dirty: fix soft_dirty during THP split',
    author: 'Andrea Arcangeli', release: 'v4.8', kind: 'upstream',
    summary: 'a PMD split copies the PMD\'s soft-dirty bit to every PTE',
  },
  // ---- what the 4.19 baseline has that the releases before it did not (the profiles v3.11 .. v4.15) ----
  // Each row is a behaviour of the model that an older release lacks or had otherwise; a release without a
  // row whose old behaviour the model does not carry out refuses it (`not modelled`), see docs/fidelity.md.
  clearRefsHiwaterRss: {
    id: 'clear-refs-hiwater-rss', commit: '695f05593693', subject: 'fs/proc/task_mmu.c: add user-space support for resetting mm->hiwater_rss (peak RSS)',
    author: 'Petr Cermak', release: 'v4.0', kind: 'upstream',
    summary: 'writing 5 to clear_refs (CLEAR_REFS_MM_HIWATER_RSS) resets the peak RSS; before, 5 is past CLEAR_REFS_LAST: EINVAL',
  },
  kpageflagsZeroPage: {
    id: 'kpageflags-zero-page', commit: '56873f43abdc', subject: 'mm:add KPF_ZERO_PAGE flag for /proc/kpageflags',
    author: 'Yalin Wang', release: 'v4.0', kind: 'upstream',
    summary: '/proc/kpageflags reports the zero page and the huge zero page with KPF_ZERO_PAGE (bit 24), the huge one with KPF_THP too; before, neither bit (the huge zero page is not on an LRU list)',
  },
  pagemapFlagsV2: {
    id: 'pagemap-flags-v2', commit: 'deb945441b94', subject: 'pagemap: switch to the new format and do some cleanup',
    author: 'Konstantin Khlebnikov', release: 'v4.3', kind: 'upstream',
    summary: 'pagemap bits 55-60 are flags (55 soft-dirty) from boot; before, they held PAGE_SHIFT (12) until the first write of 4 to any clear_refs switched the whole kernel to the "v2" flags (541c237c0923, v3.11)',
  },
  pagemapMmapExclusive: {
    id: 'pagemap-mmap-exclusive', commit: '77bb499bb60f', subject: 'pagemap: add mmap-exclusive bit for marking pages mapped only here',
    author: 'Konstantin Khlebnikov', release: 'v4.3', kind: 'upstream',
    summary: 'pagemap bit 56 PM_MMAP_EXCLUSIVE for a page mapped once; before, bit 56 is 0 (a v2 flag bit nothing set)',
  },
  userfaultfdSyscall: {
    id: 'userfaultfd', commit: '86039bd3b4e6', subject: 'userfaultfd: add new syscall to provide memory externalization',
    author: 'Andrea Arcangeli', release: 'v4.3', kind: 'upstream',
    summary: 'the userfaultfd(2) system call exists; before, it is ENOSYS (no syscall number)',
  },
  thpRefcountRework: {
    id: 'thp-refcount-rework', commit: '53f9263baba6', subject: 'mm: rework mapcount accounting to enable 4k mapping of THPs',
    author: 'Kirill A. Shutemov', release: 'v4.5', kind: 'upstream',
    summary: 'the THP refcounting rework: a huge PMD can be split while its page stays compound (PTE-mapped THP, split_huge_pmd, thp_split_pmd); before, every PMD split split the page itself (split_huge_page), which the model does not carry out: without the row a huge PMD is refused (not modelled). The series also brought debugfs split_huge_pages: ENOENT before',
  },
  shmemHuge: {
    id: 'shmem-huge', commit: '800d8c63b2e9', subject: 'shmem: add huge pages support',
    author: 'Kirill A. Shutemov', release: 'v4.8', kind: 'upstream',
    summary: 'shmem and tmpfs may keep PMD-sized folios in the page cache and map them with a PMD: /sys/kernel/mm/transparent_hugepage/shmem_enabled and the huge= mount option exist; before, every shmem page is a small page and that file is absent (a config override of shmem_enabled is refused)',
    requires: ['thp-refcount-rework'],
  },
  splitHugePagesRange: {
    id: 'split-huge-pages-range', commit: 'fa6c02315f74', subject: 'mm: huge_memory: a new debugfs interface for splitting THP tests',
    author: 'Zi Yan', release: 'v5.13', kind: 'upstream',
    summary: 'debugfs split_huge_pages takes "<pid>,<start>,<end>" and splits the THPs mapped there (the split_huge_page operation); before, it took only "1" (every THP of the system): the range is EINVAL',
  },
  madvFree: {
    id: 'madv-free', commit: '854e9ed09ded', subject: 'mm: support madvise(MADV_FREE)',
    author: 'Minchan Kim', release: 'v4.5', kind: 'upstream',
    summary: 'MADV_FREE is a known advice; before, EINVAL',
  },
  madvFreeLazyfreeLru: {
    id: 'madv-free-lazyfree-lru', commit: 'f7ad2a6cb9f7', subject: 'mm: move MADV_FREE pages into LRU_INACTIVE_FILE list',
    author: 'Shaohua Li', release: 'v4.12', kind: 'upstream',
    summary: 'MADV_FREE clears PG_swapbacked of the pages it frees lazily and moves them to the inactive file list (the MADV_FREE the model carries out); before (v4.5 .. v4.11), they stayed swap-backed on the anonymous LRU: refused there (not modelled)',
    requires: ['madv-free'],
  },
  madvWipeonfork: {
    id: 'madv-wipeonfork', commit: 'd2cd9ede6e19', subject: 'mm,fork: introduce MADV_WIPEONFORK',
    author: 'Rik van Riel', release: 'v4.14', kind: 'upstream',
    summary: 'MADV_WIPEONFORK and MADV_KEEPONFORK are known advices; before, EINVAL',
  },
  mapFixedNoreplace: {
    id: 'map-fixed-noreplace', commit: 'a4ff8e8620d3', subject: 'mm: introduce MAP_FIXED_NOREPLACE',
    author: 'Michal Hocko', release: 'v4.17', kind: 'upstream',
    summary: 'MAP_FIXED_NOREPLACE maps at the address or fails with EEXIST; before, the flag is unknown and ignored, the address only a hint (the model places a hinted mapping only where the range is free, and refuses the rest)',
  },
  // ---- oldfile: the x86 swap PTE layout by release (corpus 20 on v3.11-rc4) ----------------------------
  x86SwapL1tf: {
    id: 'x86-swap-l1tf', commit: '958f338e96f8', subject: "Merge branch 'l1tf-final' of git://git.kernel.org/pub/scm/linux/kernel/git/tip/tip",
    author: 'Linus Torvalds', release: 'v4.19', kind: 'upstream',
    summary: 'x86 swap PTEs in the L1TF-safe layout (the l1tf series: type in bits 59-63, the offset inverted from bit 9, _PAGE_SWP_SOFT_DIRTY in bit 1); before, the model has the v3.11 layout (type in bits 1-5, offset from bit 9, _PAGE_SWP_SOFT_DIRTY in bit 7, _PAGE_PSE, from 179ef71cbc08): the layouts of v3.12 .. v4.18 (NUMA balancing, 00839ee3b299) are not modelled and reclaim is refused there',
  },
  // ---- oldfile: memfd_create's flags by release (shmem on the v4.7 .. v4.15 profiles) ----------------
  memfdHugetlb: {
    id: 'memfd-hugetlb', commit: '749df87bd7be', subject: 'mm/shmem: add hugetlbfs support to memfd_create()',
    author: 'Mike Kravetz', release: 'v4.14', kind: 'upstream',
    summary: 'memfd_create takes MFD_HUGETLB (a hugetlbfs file; refused by the model as such); before, the flag is unknown and the call EINVAL',
  },
  memfdNoexecSeal: {
    id: 'memfd-noexec-seal', commit: '105ff5339f49', subject: 'mm/memfd: add MFD_NOEXEC_SEAL and MFD_EXEC',
    author: 'Daniel Verkamp', release: 'v6.3', kind: 'upstream',
    summary: 'memfd_create takes MFD_NOEXEC_SEAL (sealed against exec, F_SEAL_EXEC, sealing allowed) and MFD_EXEC; before, both flags are unknown and the call EINVAL',
  },
  // ---- v5.2 .. v5.5 ------------------------------------------------------------------------------
  uffdSysctlUnprivileged: {
    id: 'uffd-sysctl-unprivileged', commit: 'cefdca0a86be', subject: 'userfaultfd/sysctl: add vm.unprivileged_userfaultfd',
    author: 'Peter Xu', release: 'v5.2', kind: 'upstream',
    summary: 'userfaultfd(2) is refused (EPERM) without CAP_SYS_PTRACE when vm.unprivileged_userfaultfd is 0 (its default is 1 until d0d4730ac2e4)',
  },
  madvCold: {
    id: 'madv-cold', commit: '9c276cc65a58', subject: 'mm: introduce MADV_COLD',
    author: 'Minchan Kim', release: 'v5.4', kind: 'upstream',
    summary: 'MADV_COLD is a known advice: the folios mapped only by the caller are deactivated (anonymous memory and shmem); EINVAL before',
  },
  madvPageout: {
    id: 'madv-pageout', commit: '1a4e58cce84e', subject: 'mm: introduce MADV_PAGEOUT',
    author: 'Minchan Kim', release: 'v5.4', kind: 'upstream',
    summary: 'MADV_PAGEOUT is a known advice: the folios mapped only by the caller are reclaimed (anonymous memory to swap; shmem from its page cache to swap); EINVAL before',
  },
  uffdEventForkCap: {
    id: 'uffd-event-fork-cap', commit: '3c1c24d91ffd', subject: 'userfaultfd: require CAP_SYS_PTRACE for UFFD_FEATURE_EVENT_FORK',
    author: 'Mike Rapoport', release: 'v5.5', kind: 'upstream',
    summary: 'UFFDIO_API asking for UFFD_FEATURE_EVENT_FORK is refused (EPERM) without CAP_SYS_PTRACE (also in 4.19.y and 5.4.y stable, not in 4.19.0)',
  },
  // ---- v5.7 --------------------------------------------------------------------------------------
  faultFlagInterruptible: {
    id: 'fault-flag-interruptible', commit: 'c270a7eedcf2', subject: 'mm: introduce FAULT_FLAG_INTERRUPTIBLE',
    author: 'Peter Xu', release: 'v5.7', kind: 'upstream',
    summary: 'x86 user faults start with FAULT_FLAG_DEFAULT = ALLOW_RETRY|KILLABLE|INTERRUPTIBLE (a user write is 0x255, not 0x55)',
  },
  faultDirtyDropsLock: {
    id: 'fault-dirty-drops-lock', commit: '89b15332af7c', subject: 'mm: drop mmap_sem before calling balance_dirty_pages() in write fault',
    author: 'Johannes Weiner', release: 'v5.5', kind: 'upstream',
    summary: 'fault_dirty_shared_page: a write fault that dirties a clean shared file page (shmem) on its first attempt with ALLOW_RETRY drops the mmap lock around balance_dirty_pages and returns VM_FAULT_RETRY (its work done); the retry finds the PTE writable, and counts the fault (TRIED: major from v5.9 accounting)',
  },
  faultCompleted: {
    id: 'fault-completed', commit: 'd92725256b4f', subject: 'mm: avoid unnecessary page fault retires on shared memory types',
    author: 'Peter Xu', release: 'v5.19', kind: 'upstream',
    summary: 'fault_dirty_shared_page returns VM_FAULT_COMPLETED instead of VM_FAULT_RETRY: the CPU fault is done (a minor fault); GUP takes the lock again and retries the page with FOLL_TRIED, so a further fault of that page (a uffd-wp PTE made by the first) counts as major',
    requires: ['fault-dirty-drops-lock'],
  },
  faultRetryUnlimited: {
    id: 'fault-retry-unlimited', commit: '4064b9827063', subject: 'mm: allow VM_FAULT_RETRY for multiple times',
    author: 'Peter Xu', release: 'v5.7', kind: 'upstream',
    summary: 'on VM_FAULT_RETRY the arch handler keeps ALLOW_RETRY and adds TRIED: a user fault retries as often as needed',
  },
  uffdWpPteBit: {
    id: 'uffd-wp-pte-bit', commit: '5a281062af1d', subject: 'userfaultfd: wp: add WP pagetable tracking to x86',
    author: 'Andrea Arcangeli', release: 'v5.7', kind: 'upstream',
    summary: '_PAGE_UFFD_WP is bit 10 (SOFTW2) of PTEs/PMDs and part of _PAGE_CHG_MASK; _PAGE_SWP_UFFD_WP is bit 2 of swap PTEs',
  },
  uffdWpApplyBit: {
    id: 'uffd-wp-apply-bit', commit: '292924b26024', subject: 'userfaultfd: wp: apply _PAGE_UFFD_WP bit',
    author: 'Peter Xu', release: 'v5.7', kind: 'upstream',
    summary: 'change_protection sets/clears the uffd-wp bit; a PMD split carries it to every PTE',
    requires: ['uffd-wp-pte-bit'],
  },
  uffdWpFaultHook: {
    id: 'uffd-wp-fault-hook', commit: '529b930b87d9', subject: 'userfaultfd: wp: hook userfault handler to write protection fault',
    author: 'Andrea Arcangeli', release: 'v5.7', kind: 'upstream',
    summary: 'do_wp_page / wp_huge_pmd report a write fault only when the PTE/PMD carries the uffd-wp bit (userfaultfd_pte_wp)',
    requires: ['uffd-wp-pte-bit'],
  },
  uffdWpIoctl: {
    id: 'uffd-wp-ioctl', commit: '63b2d4174c4a', subject: 'userfaultfd: wp: add the writeprotect API to userfaultfd ioctl',
    author: 'Andrea Arcangeli', release: 'v5.7', kind: 'upstream',
    summary: 'UFFDIO_REGISTER_MODE_WP and UFFDIO_WRITEPROTECT upstream: change_protection(MM_CP_UFFD_WP | MM_CP_UFFD_WP_RESOLVE), no dirty accounting; with "userfaultfd: wp: don\'t wake up when doing write protect" (same series) only un-protect wakes; UFFD_FEATURE_PAGEFAULT_FLAG_WP offered',
    requires: ['uffd-wp-apply-bit'],
  },
  // ---- v5.8 / v5.9 -------------------------------------------------------------------------------
  thpCowSplitsPmd: {
    id: 'thp-cow-splits-pmd', commit: '3917c80280c9', subject: 'thp: change CoW semantics for anon-THP',
    author: 'Kirill A. Shutemov', release: 'v5.8', kind: 'upstream',
    summary: 'do_huge_pmd_wp_page no longer copies a THP: it reuses it or splits the PMD and falls back to the PTE level (the huge zero page included)',
  },
  uffdSimplifyFaultHandling: {
    id: 'uffd-simplify-fault-handling', commit: 'f9bf352224d7', subject: 'userfaultfd: simplify fault handling',
    author: 'Linus Torvalds', release: 'v5.9', kind: 'upstream',
    summary: 'handle_userfault sleeps once and returns plain VM_FAULT_RETRY (no VM_FAULT_MAJOR)',
  },
  faultAccountingInCore: {
    id: 'fault-accounting-in-core', commit: 'bce617edecad', subject: 'mm: do page fault accounting in handle_mm_fault',
    author: 'Peter Xu', release: 'v5.9', kind: 'upstream',
    summary: 'min_flt/maj_flt are counted in handle_mm_fault (mm_account_fault): retries are not counted, a fault with FAULT_FLAG_TRIED is major (x86: 968614fc7b84 "mm/x86: use general page fault accounting")',
  },
  doWpPageSimplification: {
    id: 'do-wp-page-simplification', commit: '09854ba94c6a', subject: 'mm: do_wp_page() simplification',
    author: 'Linus Torvalds', release: 'v5.9', kind: 'upstream',
    summary: 'an anonymous page is reused on a write fault only when page_count() == 1, so a PTE-mapped THP subpage is copied',
  },
  // ---- GUP, pins, FOLL_FORCE and unsharing (v4.9 .. v6.2; mm/gup.c) ---------------------------------
  follCow: {
    id: 'foll-cow', commit: '19be0eaffa3a', subject: 'mm: remove gup_flags FOLL_WRITE games from __get_user_pages()',
    author: 'Linus Torvalds', release: 'v4.9', kind: 'upstream',
    summary: 'after a COW fault in a VMA without VM_WRITE, faultin_page sets FOLL_COW and keeps FOLL_WRITE; follow_page_pte follows a read-only PTE for writing only when FOLL_FORCE, FOLL_COW and pte_dirty (can_follow_write_pte); before, FOLL_WRITE was dropped and the retry followed whatever page was mapped (Dirty COW)',
  },
  thpFollForceCow: {
    id: 'thp-foll-force-cow', commit: '8310d48b125d', subject: 'mm/huge_memory.c: respect FOLL_FORCE/FOLL_COW for thp',
    author: 'Keno Fischer', release: 'v4.10', kind: 'upstream',
    summary: 'follow_trans_huge_pmd follows a read-only huge PMD for writing when FOLL_FORCE, FOLL_COW and pmd_dirty (can_follow_write_pmd); before, a FOLL_FORCE write to a read-only THP never followed and GUP faulted forever',
    requires: ['foll-cow'],
  },
  touchPmdWriteOnly: {
    id: 'touch-pmd-write-only', commit: 'a8f97366452e', subject: 'mm, thp: Do not make page table dirty unconditionally in touch_p[mu]d()',
    author: 'Kirill A. Shutemov', release: 'v4.15', kind: 'upstream',
    summary: 'FOLL_TOUCH marks a huge PMD dirty only for FOLL_WRITE; before, every GUP touch (a /proc/PID/mem read too) set the PMD dirty bit, which can_follow_write_pmd then trusted (Huge Dirty COW)',
  },
  gupPinCounting: {
    id: 'gup-pin-counting', commit: '3faa52c03f44', subject: 'mm/gup: track FOLL_PIN pages',
    author: 'John Hubbard', release: 'v5.7', kind: 'upstream',
    summary: 'FOLL_PIN adds GUP_PIN_COUNTING_BIAS (1024) to a small folio\'s refcount, and 1 to a large folio\'s refcount and _pincount (47e29d32afba); page_maybe_dma_pinned tells pinned pages; before, a pinning caller took a plain reference (get_user_pages)',
  },
  gupForceCowBreak: {
    id: 'gup-force-cow-break', commit: '17839856fd58', subject: 'gup: document and work around "COW can break either way" issue',
    author: 'Linus Torvalds', release: 'v5.8', kind: 'upstream',
    summary: 'GUP with FOLL_GET or FOLL_PIN in a COW mapping asks for write access (should_force_cow_break), so even a read GUP breaks COW and holds a page of its own mm; can_follow_write_pte no longer needs FOLL_FORCE',
  },
  gupNoForceCowBreak: {
    id: 'gup-no-force-cow-break', commit: 'a308c71bf1e6', subject: 'mm/gup: Remove enfornced COW mechanism',
    author: 'Peter Xu', release: 'v5.9', kind: 'upstream',
    summary: 'the forced COW break of 17839856fd58 is gone again (do_wp_page reuses by page_count since 09854ba94c6a); can_follow_write_pte needs FOLL_FORCE again',
  },
  forkEarlyCowPinned: {
    id: 'fork-early-cow-pinned', commit: '70e806e4e645', subject: 'mm: Do early cow for pinned pages during fork() for ptes',
    author: 'Peter Xu', release: 'v5.9', kind: 'upstream',
    summary: 'fork of an mm with MMF_HAS_PINNED (008cfe4418b3) gives the child a copy of a maybe-DMA-pinned anonymous page (copy_present_page) and leaves the parent\'s PTE writable; a pinned THP\'s PMD is split first (d042035eaf5f)',
    requires: ['gup-pin-counting'],
  },
  gupRoPinUnshare: {
    id: 'gup-ro-pin-unshare', commit: 'a7f226604170', subject: 'mm/gup: trigger FAULT_FLAG_UNSHARE when R/O-pinning a possibly shared anonymous page',
    author: 'David Hildenbrand', release: 'v5.19', kind: 'upstream',
    summary: 'FOLL_PIN without FOLL_WRITE does not follow a read-only anonymous page that is not PageAnonExclusive (gup_must_unshare, -EMLINK) and faults it with FAULT_FLAG_UNSHARE first (the fault side is c89357e27f20 "mm: support GUP-triggered unsharing of anonymous pages", same release, which nothing else triggers): do_wp_page / do_huge_pmd_wp_page copy a possibly shared page into an exclusive one that stays read-only (keeping soft-dirty and uffd-wp), or mark a reusable one exclusive',
    requires: ['anon-exclusive'],
  },
  noSwapcachePinned: {
    id: 'no-swapcache-pinned', commit: 'feb889fb40fa', subject: "mm: don't put pinned pages into the swap cache",
    author: 'Linus Torvalds', release: 'v5.11', kind: 'upstream',
    summary: 'reclaim (shrink_folio_list) keeps a maybe-DMA-pinned anonymous folio that is not in the swap cache yet where it is: no swap slot, no unmap, not activated; before, MADV_PAGEOUT swapped a pinned page out and the pin went stale',
    requires: ['gup-pin-counting'],
  },
  follForceAnonExclusive: {
    id: 'foll-force-anon-exclusive', commit: '5535be309971', subject: 'mm/gup: fix FOLL_FORCE COW security issue and remove FOLL_COW',
    author: 'David Hildenbrand', release: 'v6.0', kind: 'upstream',
    summary: 'a FOLL_FORCE write follows a read-only PTE/PMD only to an exclusive anonymous page of a private mapping without VM_WRITE (and not while soft-dirty or uffd-wp tracking wants the write fault); FOLL_COW and the pte_dirty rule are gone',
    requires: ['anon-exclusive'],
  },
  gupHugetlbNoForceWrite: {
    id: 'gup-hugetlb-no-force-write', commit: 'f347454d0341', subject: 'mm/gup: disallow FOLL_FORCE|FOLL_WRITE on hugetlb mappings',
    author: 'David Hildenbrand', release: 'v6.2', kind: 'upstream',
    summary: 'check_vma_flags refuses a FOLL_FORCE write into a hugetlb VMA without VM_WRITE (-EFAULT: a /proc/self/mem write of a read-only private hugetlb mapping is EIO), since hugetlb has no fake write fault; before, the forced write went through follow_hugetlb_page and a COW fault (not modelled before this row: the run stops)',
  },
  hugetlbFollForceWrite: {
    id: 'hugetlb-foll-force-write', commit: '052ccfbcc6cd', subject: 'mm/hugetlb: support FOLL_FORCE|FOLL_WRITE',
    author: 'Guillaume Morin', release: 'v6.14', kind: 'upstream',
    summary: 'a FOLL_FORCE write into a private hugetlb mapping without VM_WRITE is allowed again: can_follow_write_pmd follows a read-only huge entry of an exclusive anonymous page, and hugetlb_wp breaks COW without making the entry writable',
    requires: ['gup-hugetlb-no-force-write'],
  },
  gupLongtermRoCow: {
    id: 'gup-longterm-ro-cow', commit: '84209e87c696', subject: 'mm/gup: reliable R/O long-term pinning in COW mappings',
    author: 'David Hildenbrand', release: 'v6.2', kind: 'upstream',
    summary: 'a FOLL_LONGTERM R/O pin of a page that is not anonymous (the shared zero page) in a COW mapping unshares it too (gup_must_unshare), so the pin holds an exclusive anonymous page',
    requires: ['gup-ro-pin-unshare'],
  },
  // ---- v5.11 .. v5.19 ----------------------------------------------------------------------------
  uffdWpMmget: {
    id: 'uffd-wp-mmget', commit: 'cb185d5f1ebf', subject: 'userfaultfd: fix a race between writeprotect and exit_mmap()',
    author: 'Nadav Amit', release: 'v5.15', kind: 'upstream', requires: ['uffd-wp-ioctl'],
    summary: 'UFFDIO_WRITEPROTECT takes mmget_not_zero() of the context\'s mm as COPY and ZEROPAGE do: once the process that owns the registered range exited it is ESRCH; before, mwriteprotect_range walked an mm whose VMAs exit_mmap had freed (CVE-2021-47461; the model refuses that case as not modelled on the releases before)',
  },
  uffdUserModeOnly: {
    id: 'uffd-user-mode-only', commit: '37cd0575b851', subject: 'userfaultfd: add UFFD_USER_MODE_ONLY',
    author: 'Lokesh Gidra', release: 'v5.11', kind: 'upstream',
    summary: 'userfaultfd(UFFD_USER_MODE_ONLY): kernel-mode faults on the range get SIGBUS instead of a message',
  },
  uffdSysctlUserModeOnly: {
    id: 'uffd-sysctl-user-mode-only', commit: 'd0d4730ac2e4', subject: 'userfaultfd: add user-mode only option to unprivileged_userfaultfd sysctl knob',
    author: 'Lokesh Gidra', release: 'v5.11', kind: 'upstream',
    summary: 'userfaultfd(UFFD_USER_MODE_ONLY) is allowed without CAP_SYS_PTRACE whatever vm.unprivileged_userfaultfd says; the sysctl\'s default becomes 0',
    requires: ['uffd-sysctl-unprivileged', 'uffd-user-mode-only'],
  },
  uffdMinorHugetlbfs: {
    id: 'uffd-minor-hugetlbfs', commit: '7677f7fd8be7', subject: 'userfaultfd: add minor fault registration mode',
    author: 'Axel Rasmussen', release: 'v5.13', kind: 'upstream',
    summary: 'UFFDIO_REGISTER_MODE_MINOR and UFFDIO_CONTINUE; REGISTER reports WRITEPROTECT/CONTINUE only for the modes asked; UFFD_FEATURE_MINOR_HUGETLBFS',
  },
  uffdWpForkChildVma: {
    id: 'uffd-wp-fork-child-vma', commit: '8f34f1eac382', subject: 'mm/userfaultfd: fix uffd-wp special cases for fork()',
    author: 'Peter Xu', release: 'v5.14', kind: 'upstream',
    summary: 'fork keeps a PTE\'s uffd-wp bit only when the child\'s VMA is registered for WP (before: the parent\'s VMA was tested), and the copy fork makes of a maybe-pinned page keeps it there (before: writable, without the bit)',
    requires: ['uffd-wp-apply-bit'],
  },
  uffdMinorShmem: {
    id: 'uffd-minor-shmem', commit: 'c949b097ef2e', subject: 'userfaultfd/shmem: support minor fault registration for shmem',
    author: 'Axel Rasmussen', release: 'v5.14', kind: 'upstream',
    summary: 'UFFD_FEATURE_MINOR_SHMEM is offered',
  },
  pagemapUffdWp: {
    id: 'pagemap-uffd-wp', commit: 'fb8e37f35a2f', subject: 'mm/pagemap: export uffd-wp protection information',
    author: 'Peter Xu', release: 'v5.14', kind: 'upstream',
    summary: 'pagemap bit 57 PM_UFFD_WP',
  },
  madvPopulate: {
    id: 'madv-populate', commit: '4ca9b3859dac', subject: 'mm/madvise: introduce MADV_POPULATE_(READ|WRITE) to prefault page tables',
    author: 'David Hildenbrand', release: 'v5.14', kind: 'upstream',
    summary: 'MADV_POPULATE_READ / MADV_POPULATE_WRITE fault a range in',
  },
  mfillUnconditionalMkdirty: {
    id: 'mfill-unconditional-mkdirty', commit: '9ae0f87d009c', subject: 'mm/shmem: unconditionally set pte dirty in mfill_atomic_install_pte',
    author: 'Axel Rasmussen', release: 'v5.16', kind: 'upstream',
    summary: 'UFFDIO_COPY PTEs are dirty even in read-only VMAs',
  },
  uffdExactAddress: {
    id: 'uffd-exact-address', commit: '824ddc601adc', subject: 'userfaultfd: provide unmasked address on page-fault',
    author: 'Nadav Amit', release: 'v5.18', kind: 'upstream',
    summary: 'UFFD_FEATURE_EXACT_ADDRESS: the message carries the faulting address, not the page',
  },
  anonExclusive: {
    id: 'anon-exclusive', commit: '6c287605fd56', subject: 'mm: remember exclusively mapped anonymous pages with PG_anon_exclusive',
    author: 'David Hildenbrand', release: 'v5.19', kind: 'upstream',
    summary: 'PG_anon_exclusive on new anon pages and on every subpage at PMD split; do_wp_page/do_huge_pmd_wp_page reuse exclusive pages; kpageflags bit 34',
  },
  pteMarkers: {
    id: 'pte-markers', commit: '5c041f5d1f23', subject: 'mm: teach core mm about pte markers',
    author: 'Peter Xu', release: 'v5.19', kind: 'upstream',
    summary: 'PTE markers (a swap type) exist: uffd-wp markers count as none for must_wait and faults',
  },
  uffdWpShmem: {
    id: 'uffd-wp-shmem', commit: 'b1f9e876862d', subject: 'mm/uffd: enable write protection for shmem & hugetlbfs',
    author: 'Peter Xu', release: 'v5.19', kind: 'upstream',
    summary: 'UFFD_FEATURE_WP_HUGETLBFS_SHMEM is offered (with CONFIG_PTE_MARKER_UFFD_WP)',
  },
  // ---- v6.0 .. v6.4 ------------------------------------------------------------------------------
  mprotectExclusiveAnonWritable: {
    id: 'mprotect-exclusive-anon-writable', commit: '64fe24a3e05e',
    subject: 'mm/mprotect: try avoiding write faults for exclusive anonymous pages when changing protection',
    author: 'David Hildenbrand', release: 'v6.0', kind: 'upstream',
    summary: 'mprotect of a private VM_WRITE VMA makes dirty, exclusive anon PTEs writable at once (can_change_pte_writable)',
  },
  softDirtyCanChangeFix: {
    id: 'soft-dirty-can-change-fix', commit: '76aefad628aa', subject: 'mm/mprotect: fix soft-dirty check in can_change_pte_writable()',
    author: 'Peter Xu', release: 'v6.0', kind: 'upstream',
    summary: 'can_change_pte_writable refuses while soft-dirty tracking needs the write fault (VM_SOFTDIRTY cleared), not the other way round',
  },
  uffdUnregisterResetsWp: {
    id: 'uffd-unregister-resets-wp', commit: 'f369b07c8614', subject: 'mm/uffd: reset write protection when unregister with wp-mode',
    author: 'Peter Xu', release: 'v6.0', kind: 'upstream',
    summary: 'UFFDIO_UNREGISTER of a WP range clears the uffd-wp bits first (uffd_wp_range(false))',
  },
  // ---- the userfaultfd file's release (close of the last reference) ---------------------------------
  uffdReleaseResetsWp: {
    id: 'uffd-release-resets-wp', commit: 'c88033efe9a3', subject: 'mm/userfaultfd: reset ptes when close() for wr-protected ones',
    author: 'Peter Xu', release: 'v6.9', kind: 'upstream',
    summary: 'the release of a uffd (close of its last reference) clears the uffd-wp bits of its WP-registered VMAs first, as UFFDIO_UNREGISTER does since f369b07c8614; before, the bits (and markers) stayed in the unregistered range; Cc: stable, in 6.6.y and 6.8.y',
    requires: ['uffd-unregister-resets-wp'],
  },
  uffdReleaseRetry: {
    id: 'uffd-release-retry', commit: 'fe4cdc2c4e24', subject: 'mm/userfaultfd: fix release hang over concurrent GUP',
    author: 'Peter Xu', release: 'v6.15', kind: 'upstream',
    summary: 'handle_userfault on a context being released returns VM_FAULT_RETRY with the fault lock dropped, tested after the ALLOW_RETRY and RETRY_NOWAIT checks; before, VM_FAULT_NOPAGE, tested before them (a fault without ALLOW_RETRY got NOPAGE, not SIGBUS; GUP could spin under the mmap lock); Cc: stable, in 6.12.y',
  },
  thpSplitCarriesDirty: {
    id: 'thp-split-carries-dirty', commit: '0ccf7f168e17', subject: 'mm/thp: carry over dirty bit when thp splits on pmd',
    author: 'Peter Xu', release: 'v6.1', kind: 'upstream',
    summary: '__split_huge_pmd_locked: pte_mkdirty every PTE of a dirty PMD (v6.1-rc1)',
  },
  thpSplitDirtyPartlyReverted: {
    id: 'thp-split-dirty-partly-reverted', commit: '624a2c94f5b7', subject: 'Partly revert "mm/thp: carry over dirty bit when thp splits on pmd"',
    author: 'Peter Xu', release: 'v6.1', kind: 'upstream',
    summary: 'takes the present-PTE pte_mkdirty out again before v6.1 (sparc64); PG_dirty and migration entries keep the dirty bit',
  },
  migrationKeepsYoungDirty: {
    id: 'migration-keeps-young-dirty', commit: '2e3468778dbe', subject: 'mm: remember young/dirty bit for page migrations',
    author: 'Peter Xu', release: 'v6.1', kind: 'upstream',
    summary: 'a PTE restored from a migration entry (page migration, split_huge_page) keeps its accessed and dirty bits',
  },
  madvCollapse: {
    id: 'madv-collapse', commit: '7d8faaf15545', subject: 'mm/madvise: introduce MADV_COLLAPSE sync hugepage collapse',
    author: 'Zach O\'Keefe', release: 'v6.1', kind: 'upstream',
    summary: 'MADV_COLLAPSE copies a PTE-mapped range into a new THP; refused (EINVAL) while a PTE carries uffd-wp',
  },
  uffdDevNode: {
    id: 'uffd-dev-node', commit: '2d5de004e009', subject: 'userfaultfd: add /dev/userfaultfd for fine grained access control',
    author: 'Axel Rasmussen', release: 'v6.1', kind: 'upstream',
    summary: 'open("/dev/userfaultfd") + USERFAULTFD_IOC_NEW creates a uffd',
  },
  // ---- device-coherent memory and move_pages(2) (corpus 38; mm/memremap.ts, mm/migrate.ts) ----------
  deviceCoherent: {
    id: 'device-coherent', commit: 'f25cbb7a95a2', subject: 'mm: add zone device coherent type memory support',
    author: 'Alex Sierra', release: 'v6.0', kind: 'upstream',
    summary: 'MEMORY_DEVICE_COHERENT: ZONE_DEVICE pages the CPU maps with ordinary present PTEs, on no LRU; with the same series (3218f8712d6b: vm_normal_page returns them and add_page_for_migration/do_pages_stat_array refuse them with -ENOENT; 4c2e0f764eb4, 25b80162d550: test_hmm\'s coherent devices, spm_addr_dev0) HMM_DMIRROR_MIGRATE_TO_DEV moves anonymous pages into such memory; before, the hmm_migrate operation has no device to use',
  },
  followPageNonLruPut: {
    id: 'follow-page-nonlru-put', commit: 'f7091ed64ec8', subject: 'mm: fix the handling Non-LRU pages returned by follow_page',
    author: 'Haiyue Wang', release: 'v6.1', kind: 'upstream', requires: ['device-coherent'],
    summary: 'add_page_for_migration drops the FOLL_GET reference of a zone-device page it refuses (-ENOENT); before (3218f8712d6b, v6.0), every move_pages(2) of a device-coherent page leaked one reference, so the page was never freed (corpus 38)',
  },
  movePagesFolioWalk: {
    id: 'move-pages-folio-walk', commit: '7dff875c9436', subject: 'mm/migrate: convert add_page_for_migration() from follow_page() to folio_walk',
    author: 'David Hildenbrand', release: 'v6.12', kind: 'upstream',
    summary: 'move_pages(2) looks pages up with folio_walk_start(FW_ZEROPAGE), without a reference: an address with no page mapped (a none PTE or no page table) reports -ENOENT again; from d899844e9c98 (v4.3) until then follow_page(FOLL_DUMP) made it -EFAULT (LTP move_pages04); the shared zero page stays -EFAULT',
  },
  thpSplitReapplyMkdirty: {
    id: 'thp-split-reapply-mkdirty', commit: 'e833bc503405', subject: 'mm/thp: re-apply mkdirty for small pages after split',
    author: 'Peter Xu', release: 'v6.2', kind: 'upstream',
    summary: 'split PTEs of a dirty PMD are pte_mkdirty again, with pte_wrprotect moved after it',
  },
  mprotectCleanAnonWritable: {
    id: 'mprotect-clean-anon-writable', commit: 'd84887739d5c', subject: 'mm/mprotect: allow clean exclusive anon pages to be writable',
    author: 'Nadav Amit', release: 'v6.2', kind: 'upstream',
    summary: 'can_change_pte_writable no longer needs a dirty PTE for exclusive anon pages',
    requires: ['mprotect-exclusive-anon-writable'],
  },
  hugePmdTryChangeWritable: {
    id: 'huge-pmd-try-change-writable', commit: 'c27f479ef542', subject: 'mm/huge_memory: try avoiding write faults when changing PMD protection',
    author: 'David Hildenbrand', release: 'v6.2', kind: 'upstream',
    summary: 'change_huge_pmd makes an exclusive anon PMD writable at once (can_change_pmd_writable)',
  },
  hugeZeroSplitKeepsUffdWp: {
    id: 'huge-zero-split-keeps-uffd-wp', commit: '42b2af2c9b7e', subject: 'mm/huge_memory: propagate uffd-wp bit when PTE-mapping the huge zeropage',
    author: 'David Hildenbrand', release: 'v6.3', kind: 'upstream',
    summary: 'splitting a write-protected huge zero PMD gives 512 uffd-wp zero PTEs (before, the split dropped the protection; Cc: stable)',
    requires: ['uffd-wp-apply-bit'],
  },
  uffdWpRangeVmPageProt: {
    id: 'uffd-wp-range-vm-page-prot', commit: '931298e103c2', subject: 'mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()',
    author: 'David Hildenbrand', release: 'v6.3', kind: 'upstream',
    summary: 'un-protect passes MM_CP_TRY_CHANGE_WRITABLE: exclusive anon PTEs/PMDs become writable at once, no fault after the wake-up',
  },
  uffdWpUnpopulated: {
    id: 'uffd-wp-unpopulated', commit: '2bad466cc9d9', subject: 'mm/uffd: UFFD_FEATURE_WP_UNPOPULATED',
    author: 'Peter Xu', release: 'v6.4', kind: 'upstream',
    summary: 'write-protecting none PTEs of an anonymous VMA installs uffd-wp PTE markers (page tables are allocated for them)',
    requires: ['pte-markers'],
  },
  x86VmaLockFault: {
    id: 'x86-vma-lock-fault', commit: '0bff0aaea03e', subject: 'x86/mm: try VMA lock-based page fault handling first',
    author: 'Suren Baghdasaryan', release: 'v6.4', kind: 'upstream',
    summary: 'user faults first try handle_mm_fault under the per-VMA lock (flags | FAULT_FLAG_VMA_LOCK), then fall back to mmap_lock without TRIED',
  },
  // ---- v6.6 .. v6.18 -----------------------------------------------------------------------------
  x86SavedDirty: {
    id: 'x86-saved-dirty', commit: 'bb3aadf7d446', subject: 'x86/mm: Start actually marking _PAGE_SAVED_DIRTY',
    author: 'Rick Edgecombe', release: 'v6.6', kind: 'upstream',
    summary: 'a Write=0 entry keeps its dirty bit in bit 58 (_PAGE_SAVED_DIRTY, fca4d413c5f7): pte/pmd_mkdirty, wrprotect, mkwrite and modify move it; pmd_modify also drops the hardware dirty bit',
  },
  uffdUnderVmaLock: {
    id: 'uffd-under-vma-lock', commit: '29a22b9e08d7', subject: 'mm: handle userfaults under VMA lock',
    author: 'Suren Baghdasaryan', release: 'v6.6', kind: 'upstream',
    summary: 'uffd-registered VMAs take the per-VMA-lock fault path too; the retry after the wake-up runs under mmap_lock without TRIED',
    requires: ['x86-vma-lock-fault'],
  },
  uffdPoison: {
    id: 'uffd-poison', commit: 'fc71884a5f59', subject: 'mm: userfaultfd: add new UFFDIO_POISON ioctl',
    author: 'Axel Rasmussen', release: 'v6.6', kind: 'upstream',
    summary: 'UFFDIO_POISON and UFFD_FEATURE_POISON are offered: the ioctl puts the poison PTE marker (PTE_MARKER_POISONED, af19487f00f3 renamed PTE_MARKER_SWAPIN_ERROR for it) in none PTEs of a registered range, hugetlb included (8a13897fb0da); a fault on it is VM_FAULT_HWPOISON (SIGBUS), fork copies it, MADV_DONTNEED and munmap drop it, UFFDIO_COPY and CONTINUE may fill it; before, the ioctl is unknown (EINVAL)',
  },
  hugetlbChangeProtectionPoison: {
    id: 'hugetlb-change-protection-poison', commit: 'c5977c95dff1', subject: 'mm/userfaultfd: allow hugetlb change protection upon poison entry',
    author: 'Peter Xu', release: 'v6.9', kind: 'upstream',
    summary: 'hugetlb_change_protection leaves a poison marker alone; before, it took every hugetlb PTE marker for the uffd-wp one (WARN_ON_ONCE) and UFFDIO_WRITEPROTECT\'s un-protect cleared it, so the poisoned huge page read as new memory (a MISSING fault, or a fresh page) instead of SIGBUS; Cc: stable (6.6+, in the 6.8-stable review)',
    requires: ['uffd-poison'],
  },
  uffdWpMultiVma: {
    id: 'uffd-wp-multi-vma', commit: 'a1b92a3f1498', subject: 'mm/userfaultfd: support WP on multiple VMAs',
    author: 'Muhammad Usama Anjum', release: 'v6.4', kind: 'upstream',
    summary: 'UFFDIO_WRITEPROTECT handles ranges over several VMAs; ENOENT at the first unregistered VMA after protecting the ones before',
  },
  uffdWpAsync: {
    id: 'uffd-wp-async', commit: 'd61ea1cb0095', subject: 'userfaultfd: UFFD_FEATURE_WP_ASYNC',
    author: 'Peter Xu', release: 'v6.7', kind: 'upstream',
    summary: 'write faults on uffd-wp entries are resolved in the kernel (bit cleared, THP split) without a message',
    requires: ['uffd-wp-unpopulated'],
  },
  pagemapScan: {
    id: 'pagemap-scan', commit: '52526ca7fdb9', subject: 'fs/proc/task_mmu: implement IOCTL to get and optionally clear info about PTEs',
    author: 'Muhammad Usama Anjum', release: 'v6.7', kind: 'upstream',
    summary: 'the PAGEMAP_SCAN ioctl on /proc/PID/pagemap: page categories per range, and write-protect of written pages (WP_ASYNC VMAs)',
  },
  pagemapScanSoftDirty: {
    id: 'pagemap-scan-soft-dirty', commit: 'e6a9a2cbc13b', subject: 'fs/proc/task_mmu: report SOFT_DIRTY bits through the PAGEMAP_SCAN ioctl',
    author: 'Andrei Vagin', release: 'v6.8', kind: 'upstream',
    summary: 'PAGE_IS_SOFT_DIRTY (bit 7) is a PAGEMAP_SCAN category: a soft-dirty PTE or PMD, swap entry or a VMA with VM_SOFTDIRTY; before, v6.7 knew seven categories and a mask naming bit 7 was EINVAL',
    requires: ['pagemap-scan'],
  },
  mprotectUnaccountUnfaulted: {
    id: 'mprotect-unaccount-unfaulted', commit: '9b9143298585', subject: 'mm/mprotect: allow unfaulted VMAs to be unaccounted on mprotect()',
    author: 'Lorenzo Stoakes', release: 'v6.7', kind: 'upstream',
    summary: 'mprotect_fixup drops VM_ACCOUNT from a private anonymous range (vma_is_anonymous: not a private file mapping) that becomes read-only before its first fault (no anon_vma), so it no longer merges with a faulted read-only neighbour that keeps the flag',
  },
  vmaSharedMaywrite: {
    id: 'vma-shared-maywrite', commit: 'e8e17ee90eaf', subject: 'mm: drop the assumption that VM_SHARED always implies writable',
    author: 'Lorenzo Stoakes', release: 'v6.7', kind: 'upstream',
    summary: 'madvise_remove asks vma_is_shared_maywrite (VM_SHARED and VM_MAYWRITE): MADV_REMOVE of a shared mapping that is read-only now but may be written (mprotect) punches the hole; before, VM_SHARED and VM_WRITE or EACCES',
  },
  uffdMove: {
    id: 'uffd-move', commit: 'adef440691ba', subject: 'userfaultfd: UFFDIO_MOVE uABI',
    author: 'Andrea Arcangeli', release: 'v6.8', kind: 'upstream',
    summary: 'UFFDIO_MOVE and UFFD_FEATURE_MOVE are offered',
  },
  // ---- UFFDIO_MOVE after adef440691ba (mm/userfaultfd.c move_pages, mm/huge_memory.c move_pages_huge_pmd) ----
  uffdMoveHugeZeroPage: {
    id: 'uffd-move-huge-zero-page', commit: '5d4747a6cc8e', subject: 'userfaultfd: avoid huge_zero_page in UFFDIO_MOVE',
    author: 'Suren Baghdasaryan', release: 'v6.8', kind: 'upstream', requires: ['uffd-move'],
    summary: 'UFFDIO_MOVE no longer asks PageAnonExclusive() of the huge zero page (VM_BUG_ON_PGFLAGS with CONFIG_DEBUG_VM, an oops): move_pages refuses any huge zero PMD of the source with EBUSY before it would split or move it ("avoid moving zeropages for now")',
  },
  uffdMoveZeropage: {
    id: 'uffd-move-zeropage', commit: 'eb1521dad8f3', subject: 'userfaultfd: handle zeropage moves by UFFDIO_MOVE',
    author: 'Suren Baghdasaryan', release: 'v6.9', kind: 'upstream', requires: ['uffd-move', 'uffd-move-huge-zero-page'],
    summary: 'UFFDIO_MOVE moves zero-page PTEs (move_zeropage_pte) and huge zero PMDs instead of failing with EBUSY',
  },
  uffdMoveSoftDirty: {
    id: 'uffd-move-soft-dirty', commit: '75cb1cca2c88', subject: 'mm: userfaultfd: correct dirty flags set for both present and swap pte',
    author: 'Barry Song', release: 'v6.15', kind: 'upstream', requires: ['uffd-move'],
    summary: 'a moved present PTE is soft-dirty and dirty only if the source was (before: always pte_mkdirty); a moved swap PTE is made soft-dirty (before: its bits as they were); merged after v6.15-rc6 (mm-hotfixes-stable-2025-05-17), Cc: stable, in 6.12.30',
  },
  uffdEagainOutput: {
    id: 'uffd-eagain-output', commit: '95567729173e', subject: 'mm/userfaultfd: fix uninitialized output field for -EAGAIN race',
    author: 'Peter Xu', release: 'v6.15', kind: 'upstream',
    summary: 'UFFDIO_COPY, ZEROPAGE, CONTINUE, POISON and MOVE refused at once for mmap_changing (a non-cooperative event under way) also write -EAGAIN into copy/zeropage/mapped/updated/move; before, the field was left as the caller had it; Cc: stable, in 6.12.29',
  },
  uffdBelowMmapMinAddr: {
    id: 'uffd-below-mmap-min-addr', commit: '161ce69c2c89', subject: 'userfaultfd: allow registration of ranges below mmap_min_addr',
    author: 'Denis M. Karpov', release: 'v7.1', kind: 'upstream',
    summary: 'validate_range no longer refuses a start below mmap_min_addr (65536) with EINVAL: the range only has to lie in VMAs (UFFDIO_COPY/MOVE at an unmapped low address is ENOENT); posted 2026-04-09, Cc: stable, in 6.12.86 and in this 6.18.44 (measured)',
  },
  uffdMoveHugeZeroPmdKeep: {
    id: 'uffd-move-huge-zero-pmd-keep', commit: 'fae654083bfa', subject: 'mm/huge_memory: fix use of NULL folio in move_pages_huge_pmd()',
    author: 'Chris Down', release: 'v7.0', kind: 'upstream', requires: ['uffd-move-zeropage'],
    summary: 'a moved huge zero PMD is the source entry made soft-dirty with uffd-wp cleared (special kept, as move_huge_pmd); before, a new entry from vm_page_prot (from e3981db444a0, v6.16, through a NULL folio: a bogus pfn, not modelled); Cc: stable, in 6.18.y',
  },
  vmaLockRetryTried: {
    id: 'vma-lock-retry-tried', commit: '46e714c729c8', subject: 'arch/mm/fault: fix major fault accounting when retrying under per-VMA lock',
    author: 'Suren Baghdasaryan', release: 'v6.7', kind: 'upstream',
    summary: 'after a VMA-lock attempt that returned VM_FAULT_MAJOR, the mmap_lock retry carries FAULT_FLAG_TRIED',
    requires: ['x86-vma-lock-fault'],
  },
  madvPopulateRetry: {
    id: 'madv-populate-retry', commit: '631426ba1d45', subject: 'mm/madvise: make MADV_POPULATE_(READ|WRITE) handle VM_FAULT_RETRY properly',
    author: 'David Hildenbrand', release: 'v6.9', kind: 'upstream',
    summary: 'MADV_POPULATE_* goes through faultin_page_range() with FOLL_UNLOCKABLE: after a fault released the mmap lock (handle_userfault slept), __get_user_pages_locked retries that page with FOLL_TRIED, so a fault there counts as major; before, madvise_populate called GUP afresh from that page (a minor fault)',
    requires: ['madv-populate'],
  },
  madvPopulateNoVmaWalk: {
    id: 'madv-populate-no-vma-walk', commit: 'fa9fcd8bb6e4', subject: "mm/madvise: don't perform madvise VMA walk for MADV_POPULATE_(READ|WRITE)",
    author: 'David Hildenbrand', release: 'v6.10', kind: 'upstream',
    summary: 'MADV_POPULATE_* populates the range in one GUP walk that stops at the first hole with ENOMEM; before, the madvise VMA walk skipped holes, populated the VMAs after them and failed with ENOMEM at the end',
    requires: ['madv-populate'],
  },
  uffdMfillVmaLock: {
    id: 'uffd-mfill-vma-lock', commit: '867a43a34ff8', subject: 'userfaultfd: use per-vma locks in userfaultfd operations',
    author: 'Lokesh Gidra', release: 'v6.9', kind: 'upstream',
    summary: 'UFFDIO_COPY/ZEROPAGE look the VMA up and give a private writable one its anon_vma before checking that the range is registered: a refused call (ENOENT) leaves the VMA with an anon_vma (MADV_COLLAPSE of it is then allowed, merges see it faulted)',
  },
  vmaLockDelayAnonVmaCheck: {
    id: 'vma-lock-delay-anon-vma-check', commit: 'a373baed5a9d', subject: 'mm: delay the check for a NULL anon_vma',
    author: 'Matthew Wilcox (Oracle)', release: 'v6.10', kind: 'upstream',
    summary: 'lock_vma_under_rcu no longer refuses a VMA without anon_vma: the first fault of a fresh anonymous VMA is tried under the VMA lock too (a uffd MISSING round trip then counts as a minor fault); id as in linux-next after the 6.10 mm merge',
    requires: ['x86-vma-lock-fault'],
  },
  uffdZeropageForbidden: {
    id: 'uffd-zeropage-forbidden', commit: '90a7592da149', subject: 'mm/userfaultfd: Do not place zeropages when zeropages are disallowed',
    author: 'David Hildenbrand', release: 'v6.10', kind: 'upstream',
    summary: 'UFFDIO_ZEROPAGE maps a fresh zeroed page where mm_forbids_zeropage() holds (config zero_page=n) instead of the shared zero page',
  },
  kpageflagsFolio: {
    id: 'kpageflags-folio', commit: 'dee3d0bef2b0', subject: 'proc: rewrite stable_page_flags()',
    author: 'Matthew Wilcox (Oracle)', release: 'v6.10', kind: 'upstream',
    summary: '/proc/kpageflags takes page flags from the folio: every subpage of a dirty THP shows KPF_DIRTY (and the head\'s bit 34)',
  },
  pagemapPmdFile: {
    id: 'pagemap-pmd-file', commit: '3f9f022e975d', subject: 'fs/proc/task_mmu: indicate PM_FILE for PMD-mapped file THP',
    author: 'David Hildenbrand', release: 'v6.11', kind: 'upstream',
    summary: 'pagemap sets PM_FILE on PMD-mapped non-anon folios (the huge zero page reads PRESENT|FILE)',
  },
  // ---- shmthp: the rest of the pagemap series of 3f9f022e975d (corpus 18), and corpus 34 ----
  pagemapPmdExclusivePerPage: {
    id: 'pagemap-pmd-exclusive-per-page', commit: '2c1f057e5be6', subject: 'fs/proc/task_mmu: properly detect PM_MMAP_EXCLUSIVE per page of PMD-mapped THPs',
    author: 'David Hildenbrand', release: 'v6.11', kind: 'upstream',
    summary: 'pagemap_pmd_range reports PM_MMAP_EXCLUSIVE per page of a PMD-mapped THP (folio_precise_page_mapcount of that page == 1); before, the head page\'s page_mapcount decided for all 512',
  },
  finishFaultLargeFolio: {
    id: 'finish-fault-large-folio', commit: '43e027e41423', subject: 'mm: memory: extend finish_fault() to support large folio',
    author: 'Baolin Wang', release: 'v6.11', kind: 'upstream',
    summary: 'finish_fault maps every page of a large folio of shared anonymous memory by PTEs at once where the folio lies inside the VMA and one page table (not under uffd); before, the faulting page only',
  },
  finishFaultWholeFileFolio: {
    id: 'finish-fault-whole-file-folio', commit: '19773df031bc', subject: 'mm/fault: try to map the entire file folio in finish_fault()',
    author: 'Kiryl Shutsemau', release: 'v6.18', kind: 'upstream',
    summary: 'finish_fault maps the whole large folio by PTEs for every file VMA (memfds and tmpfs too), not only shared anonymous memory',
    requires: ['finish-fault-large-folio'],
  },
  faultAroundWholeFolio: {
    id: 'fault-around-whole-folio', commit: '357b92761d94', subject: 'mm/filemap: map entire large folio faultaround',
    author: 'Kiryl Shutsemau', release: 'v6.18', kind: 'upstream',
    summary: 'fault-around (filemap_map_folio_range) maps every page of a large folio that lies inside the VMA and one page table, not only the pages of the 64 KiB window',
  },
  pagemapPmdExclusiveHeadAgain: {
    id: 'pagemap-pmd-exclusive-head-again', commit: 'eb16876971ea', subject: 'fs/proc/task_mmu: remove per-page mapcount dependency for PM_MMAP_EXCLUSIVE (CONFIG_NO_PAGE_MAPCOUNT)',
    author: 'David Hildenbrand', release: 'v6.15', kind: 'upstream',
    summary: 'pagemap_pmd_range asks __folio_page_mapped_exclusively() of the PMD\'s head page for every page (page + idx became page): with CONFIG_PAGE_MAPCOUNT the head page\'s precise mapcount decides for all 512 again, as before 2c1f057e5be6 (measured on this machine\'s 6.18.44)',
    requires: ['pagemap-pmd-exclusive-per-page'],
  },
  doSetPmdNoCow: {
    id: 'do-set-pmd-no-cow', commit: '', subject: 'mm: do not install PMD mappings when handling a COW fault',
    author: 'Zhang Yi', release: 'posted 2025-10-24 (v2, acked by David Hildenbrand; no mainline commit found)', kind: 'proposal',
    summary: 'do_set_pmd refuses a write or unshare fault of a COW mapping (is_cow_mapping): a R/O long-term pin of a MAP_PRIVATE file THP no longer re-installs the PMD it just split, which looped forever (corpus 34)',
    ref: '20251024102237.3332200-1-yi.zhang@huaweicloud.com (Fixes: a7f226604170; reported by Karol Wachowski)',
  },
  mprotectPteBatching: {
    id: 'mprotect-pte-batching', commit: 'cac1db8c3aad', subject: 'mm: optimize mprotect() by PTE batching',
    author: 'Dev Jain', release: 'v6.17', kind: 'upstream',
    summary: 'change_pte_range treats the PTEs of one large folio as a batch: A/D bits are gathered on all of them; write access per run of equal PageAnonExclusive',
  },
  madvFreeLargeFolioBatch: {
    id: 'madv-free-large-folio-batch', commit: 'dce7d10be4bb', subject: 'mm/madvise: optimize lazyfreeing with mTHP in madvise_free',
    author: 'Lance Yang', release: 'v6.10', kind: 'upstream',
    summary: 'MADV_FREE over all the PTEs of a PTE-mapped large folio lazyfrees it whole instead of splitting it first (thp_split_page +0); id as in linux-next after the 6.10 mm merge',
  },
  guardRegions: {
    id: 'guard-regions', commit: '662df3e5c376', subject: 'mm: madvise: implement lightweight guard page mechanism',
    author: 'Lorenzo Stoakes', release: 'v6.13', kind: 'upstream',
    summary: 'MADV_GUARD_INSTALL (102) zaps a range of a private anonymous writable VMA and fills its PTEs with the guard marker (PTE_MARKER_GUARD), whose fault is VM_FAULT_SIGSEGV; MADV_GUARD_REMOVE (103) clears the markers. MADV_DONTNEED/FREE, mprotect and UFFDIO_WRITEPROTECT leave a marker, fork copies it, mremap moves it, munmap drops it; GUP fails with EFAULT. Before, both advices are unknown (EINVAL)',
  },
  guardRegionsFile: {
    id: 'guard-regions-file', commit: 'f807123d578d', subject: 'mm: allow guard regions in file-backed and read-only mappings',
    author: 'Lorenzo Stoakes', release: 'v6.15', kind: 'upstream',
    summary: 'is_valid_guard_vma no longer wants an anonymous VMA that may be written (vma_is_anonymous, VM_MAYWRITE): shmem and file mappings, shared or private, and a shared mapping of a file opened read-only take guard markers (only VM_SPECIAL, hugetlb and, for install, mlocked VMAs are EINVAL); before, those were EINVAL (a PROT_READ private anonymous mapping may be written, and took them from v6.13)',
    requires: ['guard-regions'],
  },
  guardVmaFlag: {
    id: 'guard-vma-flag', commit: '49e14dabed7a', subject: 'mm: set the VM_MAYBE_GUARD flag on guard region install',
    author: 'Lorenzo Stoakes', release: 'v6.19', kind: 'upstream',
    summary: 'MADV_GUARD_INSTALL sets VM_MAYBE_GUARD (smaps "gu") and gives only an anonymous VMA its anon_vma; the flag is sticky (64212ba02e66: it stops no merge, and a merged VMA keeps it) and copy-on-fork (ab04b530e7e8: fork copies the page tables of a VMA that has it), and a shmem collapse does not retract the page table of such a VMA. Before, every guarded VMA got an anon_vma, so a shmem or file VMA with guards no longer merged with a neighbour guarded apart. Cc: stable, in the 6.18-stable review of 2026-06-25 (so in the v6.18 profile, 6.18.44, as this machine shows)',
    requires: ['guard-regions-file'],
  },
  pagemapGuardRegion: {
    id: 'pagemap-guard-region', commit: '8e2f2aeb8b48', subject: 'fs/proc/task_mmu: add guard region bit to pagemap',
    author: 'Lorenzo Stoakes', release: 'v6.15', kind: 'upstream',
    summary: 'pagemap sets PM_GUARD_REGION (bit 58) on a guard marker; before, it read as a plain swap entry (bit 62, type 31 offset 4)',
    requires: ['guard-regions'],
  },
  pagemapScanGuard: {
    id: 'pagemap-scan-guard', commit: 'a516403787e0', subject: 'fs/proc: extend the PAGEMAP_SCAN ioctl to report guard regions',
    author: 'Andrei Vagin', release: 'v6.16', kind: 'upstream',
    summary: 'PAGE_IS_GUARD (bit 8) is a known PAGEMAP_SCAN category: asking for it is no longer EINVAL',
    requires: ['pagemap-scan'],
  },
  collapseCopyBatching: {
    id: 'collapse-copy-batching', commit: '291f9ebaa5d6', subject: 'khugepaged: optimize __collapse_huge_page_copy_succeeded() by PTE batching',
    author: 'Dev Jain', release: 'v6.17', kind: 'upstream',
    summary: 'a collapse drops the PTEs of one large folio as a batch, so the old THP never looks partially mapped (no deferred split, thp_deferred_split_page +0); id from the mm-stable line that carries cac1db8c3aad',
  },
  hugeZeroPmdSpecial: {
    id: 'huge-zero-pmd-special', commit: 'd82d09e48219', subject: 'mm/huge_memory: mark PMD mappings of the huge zero folio special',
    author: 'David Hildenbrand', release: 'v6.18', kind: 'upstream',
    summary: 'set_huge_zero_folio applies pmd_mkspecial: the huge zero PMD has bit 9 (0x2A5 instead of 0xA5)',
  },
  thpZeroWpAllocates: {
    id: 'thp-zero-wp-allocates', commit: '1ced09e0331f', subject: 'mm: allocate THP on hugezeropage wp-fault',
    author: 'Dev Jain', release: 'v6.13', kind: 'upstream',
    summary: 'do_huge_pmd_wp_page maps a fresh THP over the huge zero page instead of splitting (thp_fault_alloc +1)',
    requires: ['thp-cow-splits-pmd'],
  },
  cowReusePteMappedThp: {
    id: 'cow-reuse-pte-mapped-thp', commit: '1da190f4d0a6', subject: 'mm: Copy-on-Write (COW) reuse support for PTE-mapped THP',
    author: 'David Hildenbrand', release: 'v6.15', kind: 'upstream',
    summary: 'do_wp_page reuses a page of a PTE-mapped large anon folio in place (and marks that page PageAnonExclusive) when the folio is not "maybe mapped shared" and every reference is a mapping (folio_large_mapcount == refcount > 1); before, such a page was always copied. Brings the MM owner tracking it reads (6af8cb80d3a9 "mm/rmap: basic MM owner tracking for large folios (!hugetlb)", same series): two MM id slots per large folio and the shared bit',
  },
  folioLikelyMappedShared: {
    id: 'folio-likely-mapped-shared', commit: 'ebb34f78d72c', subject: 'mm: convert folio_estimated_sharers() to folio_likely_mapped_shared()',
    author: 'David Hildenbrand', release: 'v6.10', kind: 'upstream',
    summary: 'MADV_COLD, MADV_PAGEOUT and MADV_FREE ask folio_likely_mapped_shared() of a PTE-mapped large folio: mapped once is exclusive, PMD-mapped or mapped more times than it has pages is shared, else the first page mapped twice is; before, folio_estimated_sharers() (the first page\'s mapcount alone, so MADV_FREE took a THP whose first page was unmapped for shared and passed it over)',
    requires: ['madv-free-large-folio-sharers', 'madv-cold-large-folio-sharers'],
  },
  khugepagedFolioLikelyShared: {
    id: 'khugepaged-folio-likely-shared', commit: '1bafe96e89f0', subject: 'mm/khugepaged: replace page_mapcount() check by folio_likely_mapped_shared()',
    author: 'David Hildenbrand', release: 'v6.10', kind: 'upstream',
    summary: 'the scan and the isolation count a page against max_ptes_shared when its folio is likely mapped shared (every PTE of a PTE-mapped THP another process maps, where the guess sees it), not when the page itself is mapped more than once',
    requires: ['khugepaged-max-ptes-shared', 'folio-likely-mapped-shared'],
  },
  madvColdEstimatedSharersZero: {
    id: 'madv-cold-estimated-sharers-zero', commit: 'cc864ebba5f6', subject: 'madvise:madvise_cold_or_pageout_pte_range(): allow split while folio_estimated_sharers = 0',
    author: 'Barry Song', release: 'v6.9', kind: 'upstream',
    summary: 'MADV_COLD and MADV_PAGEOUT split a PTE-mapped large folio whose first page is unmapped (folio_estimated_sharers() == 0); before (from 2f406263e3e9, v6.5) != 1 took it for shared: the walk stopped there, the THP whole',
    requires: ['madv-cold-large-folio-sharers'],
  },
  folioMaybeMappedShared: {
    id: 'folio-maybe-mapped-shared', commit: '003fde4492c8', subject: 'mm: convert folio_likely_mapped_shared() to folio_maybe_mapped_shared()',
    author: 'David Hildenbrand', release: 'v6.15', kind: 'upstream',
    summary: 'whether a large folio may be mapped by another mm is read from the MM owner tracking (the "maybe mapped shared" bit) instead of guessed (PMD-mapped, more mappings than pages, or the first page mapped twice): MADV_COLD, MADV_PAGEOUT and MADV_FREE no longer split a PTE-mapped THP that two mms map in part and the range covers in part (the guess missed it when its first page was mapped once), and do split one mapped twice at its first page by one mm',
    requires: ['cow-reuse-pte-mapped-thp', 'folio-likely-mapped-shared'],
  },
  madvPageoutPrivateFileAnon: {
    id: 'madv-pageout-private-file-anon', commit: 'fd3b1bc3c86e', subject: 'mm/madvise: fix madvise_pageout for private file mappings',
    author: 'Pavankumar Kondeti', release: 'v6.2', kind: 'upstream',
    summary: 'MADV_PAGEOUT of a private file mapping whose file the caller may not write pages out its anonymous COW copies (pageout_anon_only_filter), leaving the page cache alone; before, can_do_pageout() made the call a no-op for the whole VMA (since 1a4e58cce84e, v5.4), so the private copies of such a mapping were never paged out',
    requires: ['madv-pageout'],
  },
  madvFreeFolioMapcount: {
    id: 'madv-free-folio-mapcount', commit: '98b211d6415f', subject: 'madvise: convert madvise_free_pte_range() to use a folio',
    author: 'Vishal Moola (Oracle)', release: 'v6.1', kind: 'upstream',
    summary: 'the regression: MADV_FREE asks folio_mapcount() != 1 of a PTE-mapped large folio instead of the page\'s mapcount, so any THP mapped by two or more PTEs counts as shared: the walk stops there, nothing split and nothing after it in the PMD lazyfreed',
  },
  madvFreeLargeFolioSharers: {
    id: 'madv-free-large-folio-sharers', commit: '0e0e9bd5f7b9', subject: "madvise:madvise_free_pte_range(): don't use mapcount() against large folio for sharing check",
    author: 'Yin Fengwei', release: 'v6.5', kind: 'upstream',
    summary: 'MADV_FREE asks folio_estimated_sharers() (the first page\'s mapcount) of a PTE-mapped large folio, so a THP only this process maps is split and its pages in the range lazyfreed again, as before 98b211d6415f (v6.1); Cc: stable, not in 6.1.y (it did not apply)',
    requires: ['madv-free-folio-mapcount'],
  },
  madvColdFolioMapcount: {
    id: 'madv-cold-folio-mapcount', commit: '07e8c82b5eff', subject: 'madvise: convert madvise_cold_or_pageout_pte_range() to use folios',
    author: 'Vishal Moola (Oracle)', release: 'v6.3', kind: 'upstream',
    summary: 'the regression: MADV_COLD and MADV_PAGEOUT ask folio_mapcount() != 1 of a PTE-mapped large folio instead of the page\'s mapcount, so any THP mapped by two or more PTEs counts as shared: the walk stops there, nothing split, deactivated or paged out (the cow selftest\'s swapped-out PTE-mapped THP case skipped)',
    requires: ['madv-pageout'],
  },
  madvColdLargeFolioSharers: {
    id: 'madv-cold-large-folio-sharers', commit: '2f406263e3e9', subject: "madvise:madvise_cold_or_pageout_pte_range(): don't use mapcount() against large folio for sharing check",
    author: 'Yin Fengwei', release: 'v6.5', kind: 'upstream',
    summary: 'MADV_COLD and MADV_PAGEOUT ask folio_estimated_sharers() of a PTE-mapped large folio, so a THP only this process maps is split and deactivated or paged out again; in the model also where whole PTE-mapped large folios go as one batch (the later "avoid split" change has no row)',
    requires: ['madv-cold-folio-mapcount'],
  },
  zapPteBatch: {
    id: 'zap-pte-batch', commit: '10ebac4f95e7', subject: 'mm/memory: optimize unmap/zap with PTE-mapped THP',
    author: 'David Hildenbrand', release: 'v6.9', kind: 'upstream',
    summary: 'zap_present_ptes removes the PTEs of one large folio that differ only in write, accessed, dirty and soft-dirty as one batch (folio_remove_rmap_ptes), so zapping all of a PTE-mapped THP never leaves it partly mapped (thp_deferred_split_page +0); before, each PTE went on its own and the first left it partly mapped (+1)',
  },
  x86PtReclaim: {
    id: 'x86-pt-reclaim', commit: '4817f70c25b6', subject: 'x86: select ARCH_SUPPORTS_PT_RECLAIM if X86_64',
    author: 'Qi Zheng', release: 'v6.14', kind: 'upstream',
    summary: 'CONFIG_PT_RECLAIM (default y) on x86-64 turns on what 6375e95f381e ("mm: pgtable: reclaim empty PTE page in madvise(MADV_DONTNEED)", same series, v6.14) added: a MADV_DONTNEED whose zap covers a whole PTE table and skips no entry (a uffd-wp marker kept in a file VMA, a page another mapping owns) frees the table and clears its PMD, so the next fault may map a THP or the huge zero page; before (and on other architectures at v6.18), the empty table stayed',
  },
  thpSplitRemapZeropage: {
    id: 'thp-split-remap-zeropage', commit: 'b1f202060afe', subject: 'mm: remap unused subpages to shared zeropage when splitting isolated thp',
    author: 'Yu Zhao', release: 'v6.12', kind: 'upstream',
    summary: 'split_huge_page of an anonymous THP maps each zero-filled page that a PTE mapped to the shared zero page instead (try_to_map_unused_to_zeropage, from remap_page with RMP_USE_SHARED_ZEROPAGE) and frees it, Rss down by a page each; not where mm_forbids_zeropage() holds, nor for an mlocked folio or a VM_LOCKED VMA',
  },
  thpSplitZeropageKeepsWp: {
    id: 'thp-split-zeropage-keeps-wp', commit: '9658d698a8a8', subject: 'mm/rmap: fix soft-dirty and uffd-wp bit loss when remapping zero-filled mTHP subpage to shared zeropage',
    author: 'Lance Yang', release: 'v6.18', kind: 'upstream',
    summary: 'the zero-page PTE that replaces a zero-filled page at split keeps the soft-dirty and uffd-wp bits of its migration entry (before, both were lost: a write-protected zero page wrote without a message); Cc: stable, in 6.12.y',
    requires: ['thp-split-remap-zeropage'],
  },
  vmaMergeUnfaultedAnon: {
    id: 'vma-merge-unfaulted-anon', commit: '879bca0a2c4f', subject: 'mm/vma: fix incorrectly disallowed anonymous VMA merges',
    author: 'Lorenzo Stoakes', release: 'v6.16', kind: 'upstream',
    summary: 'a faulted range whose VMA changes may merge into an unfaulted neighbour (which takes its anon_vma) unless the VMA was forked; before, is_mergeable_anon_vma refused it, as the unfaulted neighbour\'s empty anon_vma_chain is not a single link',
  },
  // ---- vma_merge()'s case 3 and vm_pgoff (corpus 35) -------------------------------------------------
  vmaMergeNoVmaAdjust: {
    id: 'vma-merge-no-vma-adjust', commit: '0503ea8f5ba7', subject: 'mm/mmap: remove __vma_adjust()',
    author: 'Liam R. Howlett', release: 'v6.3', kind: 'upstream',
    summary: 'vma_merge() sets the merged VMA\'s start, end and pgoff itself instead of through __vma_adjust(); in case 3 (a range over a hole joins the VMA after it, which grows down: mremap\'s copy_vma) it took that VMA\'s own pgoff, so the moved start read the file from the wrong offset (corpus 35)',
  },
  vmaMergeCase3Pgoff: {
    id: 'vma-merge-case3-pgoff', commit: '7e7757876f25', subject: 'mm/mremap: fix vm_pgoff in vma_merge() case 3',
    author: 'Vlastimil Babka', release: 'v6.4', kind: 'upstream',
    summary: 'vma_merge() case 3 gives the VMA that grows down over the range its pgoff less the range\'s pages again (corpus 35); in 6.3.1',
    requires: ['vma-merge-no-vma-adjust'],
  },
  collapseNoneEbusy: {
    id: 'collapse-none-ebusy', commit: 'ac492b9c70ca', subject: 'mm/khugepaged: skip shmem with userfaultfd',
    author: 'David Stevens', release: 'v6.4', kind: 'upstream',
    summary: 'MADV_COLLAPSE over empty PTEs of a uffd-registered VMA fails with EBUSY instead of EINVAL',
    requires: ['madv-collapse'],
  },
  noReclaimPinned: {
    id: 'no-reclaim-pinned', commit: 'd824ec2a1546', subject: 'mm: do not reclaim private data from pinned page',
    author: 'Jan Kara', release: 'v6.4', kind: 'upstream',
    summary: 'reclaim (shrink_folio_list) activates a maybe-DMA-pinned folio once it is unmapped, before writing it: a pinned shmem page MADV_PAGEOUT unmapped stays in the page cache, active; before, it was kept inactive (pageout: is_page_cache_freeable failed); in 6.2.15 and 6.3.2',
    requires: ['gup-pin-counting'],
  },
  // ---- fixes of the bug corpus that the model had built into every profile (rows added with the release profiles) ----
  hugeZeroPmdForkCopies: {
    id: 'huge-zero-pmd-fork-copies', commit: '5fc7a5f6fd04', subject: 'mm/thp: simplify copying of huge zero page pmd when fork',
    author: 'Peter Xu', release: 'v5.14', kind: 'upstream',
    summary: 'copy_huge_pmd copies a huge zero PMD as it copies a THP\'s (made old; its uffd-wp bit kept where the child VMA is registered for WP); before, set_huge_zero_page gave the child a fresh PMD from the VMA\'s vm_page_prot (young, no uffd-wp, no soft-dirty); also in 5.10.y and 5.13.y stable',
  },
  uffdWpMarkerForkDrop: {
    id: 'uffd-wp-marker-fork-drop', commit: '49d6d7fb6313', subject: 'mm/uffd: fix pte marker when fork() without fork event',
    author: 'Peter Xu', release: 'v6.2', kind: 'upstream',
    summary: 'copy_nonpresent_pte copies a uffd-wp PTE marker only into a child VMA registered for WP; before (markers from c56d1b62cce8, v5.19), a child without UFFD_FEATURE_EVENT_FORK inherited it (and a WARN); in 6.1.11',
    requires: ['pte-markers'],
  },
  forkCopyUffdWpVma: {
    id: 'fork-copy-uffd-wp-vma', commit: 'c56d1b62cce8', subject: 'mm/shmem: handle uffd-wp during fork()',
    author: 'Peter Xu', release: 'v5.19', kind: 'upstream',
    summary: 'vma_needs_copy: fork copies the page tables of a VMA whose child is registered for WP even without an anon_vma (uffd-wp markers and bits live only there); before, only a VMA with an anon_vma (or VM_PFNMAP/MIXEDMAP/HUGETLB) was copied, so an anonymous VMA holding only WP_UNPOPULATED markers reached the child empty',
    requires: ['pte-markers'],
  },
  pagemapScanWpVmaCheck: {
    id: 'pagemap-scan-wp-vma-check', commit: '0dff1b407def', subject: 'mm/pagemap: fix ioctl(PAGEMAP_SCAN) on vma check',
    author: 'Peter Xu', release: 'v6.7', kind: 'upstream',
    summary: 'pagemap_scan_test_walk skips a VMA without async uffd-wp when PM_SCAN_WP_MATCHING is asked; before (v6.7-rc1..rc4; the fix is in rc5), the scan write-protected pages of any VMA, registered or not',
    requires: ['pagemap-scan'],
  },
  pagemapScanFastPathWpOnly: {
    id: 'pagemap-scan-fast-path-wp-only', commit: '4980e837cab7', subject: 'mm/pagemap: fix wr-protect even if PM_SCAN_WP_MATCHING not set',
    author: 'Peter Xu', release: 'v6.7', kind: 'upstream',
    summary: 'the fast path of pagemap_scan_pmd_entry (no output vector) runs only for PM_SCAN_WP_MATCHING; before (v6.7-rc1..rc4; the fix is in rc5), any scan without a vector write-protected every PTE of its range',
    requires: ['pagemap-scan'],
  },
  // ---- swap: swap PTE bits, reclaim, swap-in and swapoff (issue 10 item 4) ----------------------
  swpSoftDirty: {
    id: 'swp-soft-dirty', commit: '179ef71cbc08', subject: 'mm: save soft-dirty bits on swapped pages',
    author: 'Cyrill Gorcunov', release: 'v3.11', kind: 'upstream',
    summary: 'try_to_unmap_one keeps a PTE\'s soft-dirty bit in the swap PTE (_PAGE_SWP_SOFT_DIRTY, bit 1) and do_swap_page gives it back; without it the bit is lost at swap-out',
  },
  swpUffdWp: {
    id: 'swp-uffd-wp', commit: 'f45ec5ff16a7', subject: 'userfaultfd: wp: support swap and page migration',
    author: 'Peter Xu', release: 'v5.7', kind: 'upstream',
    summary: 'swap PTEs carry uffd-wp (_PAGE_SWP_UFFD_WP, bit 2): set at swap-out, given back (write-protected) at swap-in, set and cleared on swap PTEs by UFFDIO_WRITEPROTECT',
    requires: ['uffd-wp-pte-bit'],
  },
  anonWorkingsetRefault: {
    id: 'anon-workingset-refault', commit: 'aae466b0052e', subject: 'mm/swap: implement workingset detection for anonymous LRU',
    author: 'Joonsoo Kim', release: 'v5.9', kind: 'upstream',
    summary: 'reclaim leaves a shadow entry for an evicted anonymous folio, and its swap-in (a refault) starts on the active list; the model takes every refault as recent (no memory pressure)',
  },
  swpExclusive: {
    id: 'swp-exclusive', commit: '1493a1913e34', subject: 'mm/swap: remember PG_anon_exclusive via a swp pte bit',
    author: 'David Hildenbrand', release: 'v5.19', kind: 'upstream',
    summary: 'try_to_unmap_one records PageAnonExclusive in the swap PTE (_PAGE_SWP_EXCLUSIVE, bit 3: 16b7b7ce03a4 on x86) and do_swap_page reuses the page when it is set; fork clears it',
    requires: ['anon-exclusive'],
  },
  unusePteKeepsBits: {
    id: 'unuse-pte-keeps-bits', commit: '14a762dd1977', subject: 'mm/swapfile: fix lost swap bits in unuse_pte()',
    author: 'Miaohe Lin', release: 'v5.19', kind: 'upstream',
    summary: 'swapoff (unuse_pte) maps the page with the swap PTE\'s soft-dirty and uffd-wp bits; before, from vm_page_prot alone',
  },
  swapoffUffdWpCompare: {
    id: 'swapoff-uffd-wp-compare', commit: '099dd6878b9b', subject: 'mm/swap: fix pte_same_as_swp() not removing uffd-wp bit when compare',
    author: 'Peter Xu', release: 'v5.13', kind: 'upstream',
    summary: 'unuse_pte compares the swap PTE with the entry looked up without its uffd-wp bit; before, from f45ec5ff16a7 (v5.7), a write-protected swap PTE never matched, stayed in place, and try_to_unuse retried for ever: swapoff hung until a signal; Cc: stable',
    requires: ['swp-uffd-wp'],
  },
  zapSwapEntryWithDetails: {
    id: 'zap-swap-entry-with-details', commit: '5abfd71d936a', subject: "mm: don't skip swap entry even if zap_details specified",
    author: 'Peter Xu', release: 'v5.18', kind: 'upstream',
    summary: 'zap_pte_range of unmap_mapping_range zaps the swap entries of private copies when it zaps the copies too (even_cows: a truncation), and keeps them otherwise (a hole punched); before, any zap with zap_details left every swap and migration entry, so an anonymous COW copy that was swapped out survived the truncation of its file and came back when the file grew again; Cc: stable',
  },
  pagemapScanSwpUffdWp: {
    id: 'pagemap-scan-swp-uffd-wp', commit: '2c7ad9a590d1', subject: 'fs/proc/task_mmu: fix uffd-wp confusion in pagemap_scan_pmd_entry()',
    author: 'Ryan Roberts', release: 'v6.9', kind: 'upstream',
    summary: 'PAGEMAP_SCAN reads a swap PTE\'s uffd-wp from _PAGE_SWP_UFFD_WP; before, pte_uffd_wp() read bit 10, which in an x86 swap PTE is bit 1 of the inverted offset (in 6.8.10)',
    requires: ['pagemap-scan'],
  },
  swapinMapWritable: {
    id: 'swapin-map-writable', commit: 'c18160dba5ff', subject: 'mm: swap: reuse exclusive folio directly instead of wp page faults',
    author: 'Barry Song', release: 'v6.11', kind: 'upstream',
    summary: 'do_swap_page maps an exclusive page writable on a read fault too (not in a uffd-wp PTE, nor where soft-dirty needs a write fault: 20dfa5b7adc5); before, only a write fault did, and a uffd-wp swap PTE was mapped write-protected after the write was granted',
    requires: ['swp-exclusive'],
  },
  swapZeromap: {
    id: 'swap-zeromap', commit: '0ca0c24e3211', subject: 'mm: store zero pages to be swapped out in a bitmap',
    author: 'Usama Arif', release: 'v6.12', kind: 'upstream',
    summary: 'swap-out of a zero-filled folio writes nothing: the slot is marked in the zeromap and the folio is freed at once (vmstat swpout_zero); swap-in of it allocates a zeroed page (swpin_zero)',
  },
  madvFreeReclaimExtraRefs: {
    id: 'madv-free-reclaim-extra-refs', commit: '6c8e2a256915', subject: 'mm: fix race between MADV_FREE reclaim and blkdev direct IO read',
    author: 'Mauricio Faria de Oliveira', release: 'v5.18', kind: 'upstream',
    summary: 'try_to_unmap_one discards a clean lazyfree (MADV_FREE) page only when nothing but its mappings and reclaim holds a reference; one with extra references (a GUP reference of direct I/O in flight) is mapped back and swap-backed again. Before, a clean lazyfree page was discarded whatever held it: the process then faulted in a zero page while the I/O went on into the old one (corpus 37)',
  },
  // lazyfree: mainline id from the torvalds/linux range 01d5b167dc23..25601e85441d (v6.15 merge window), the
  // first of Barry Song's 4-patch series with 354dffd29575 (mm: support batched unmap for lazyfree large folios)
  lazyfreeSwapbackedIffDirty: {
    id: 'lazyfree-swapbacked-iff-dirty', commit: 'faeb2831b517', subject: 'mm: set folio swapbacked iff folios are dirty in try_to_unmap_one',
    author: 'Barry Song', release: 'v6.15', kind: 'upstream',
    summary: 'try_to_unmap_one sets PG_swapbacked again on a lazyfree (MADV_FREE) folio it cannot discard only when the folio is dirty; a clean one held by an extra reference (a pin, a pipe, direct I/O) is mapped back and stays lazyfree, to be discarded once the reference is gone. Before, any failure to discard made it swap-backed again',
    requires: ['madv-free-reclaim-extra-refs'],
  },
  // ---- page migration: migration entries (issue 10 item 5) ------------------------------------------
  migrationUffdWp: {
    id: 'migration-uffd-wp', commit: 'f45ec5ff16a7', subject: 'userfaultfd: wp: support swap and page migration',
    author: 'Peter Xu', release: 'v5.7', kind: 'upstream',
    summary: 'the migration part: try_to_migrate_one keeps a PTE\'s uffd-wp bit in its migration entry (_PAGE_SWP_UFFD_WP), remove_migration_pte gives it back (write-protected), and change_pte_range keeps it when it makes a writable migration entry readable; without it a page migrated while write-protected comes back without the bit',
    requires: ['uffd-wp-pte-bit'],
  },
  thpMigrationUffdWp: {
    id: 'thp-migration-uffd-wp', commit: '24bf08c43760', subject: 'mm/userfaultfd: fix uffd-wp handling for THP migration entries',
    author: 'David Hildenbrand', release: 'v6.3', kind: 'upstream',
    summary: 'set_pmd_migration_entry copies the PMD\'s uffd-wp bit into the PMD migration entry, and change_huge_pmd sets or clears uffd-wp on a PMD migration entry whatever its type; before, migrating a write-protected THP lost the protection and UFFDIO_WRITEPROTECT ignored a PMD under migration (in 6.1.y and 5.15.y stable)',
    requires: ['uffd-wp-fork-child-vma'],
  },
  // ---- khugepaged and uffd-wp (khugepaged as steps: the scan, then the collapse after the mmap lock was dropped) ----
  khugepagedSkipUffdWp: {
    id: 'khugepaged-skip-uffd-wp', commit: 'e1e267c7928f', subject: 'khugepaged: skip collapse if uffd-wp detected',
    author: 'Peter Xu', release: 'v5.7', kind: 'upstream',
    summary: 'the scan of a block to collapse (khugepaged_scan_pmd, hpage_collapse_scan_pmd from v6.1) refuses one with a uffd-wp PTE or uffd-wp swap PTE (SCAN_PTE_UFFD_WP); before, khugepaged collapsed it into a PMD without uffd-wp',
    requires: ['uffd-wp-pte-bit'],
  },
  khugepagedCollapseShared: {
    id: 'khugepaged-collapse-shared', commit: '9445689f3b61', subject: 'khugepaged: allow to collapse a page shared across fork',
    author: 'Kirill A. Shutemov', release: 'v5.8', kind: 'upstream',
    summary: 'the scan and the isolation refuse a page only when it has references besides its mappings and the swap cache (total_mapcount + PageSwapCache != page_count: a GUP pin); before, every page had to be mapped once (page_count != 1 + PageSwapCache: SCAN_PAGE_COUNT), so a block shared with a forked child was never collapsed',
  },
  khugepagedMaxPtesShared: {
    id: 'khugepaged-max-ptes-shared', commit: '71a2c112a0f6', subject: "khugepaged: introduce 'max_ptes_shared' tunable",
    author: 'Kirill A. Shutemov', release: 'v5.8', kind: 'upstream',
    summary: 'khugepaged refuses a block with more than max_ptes_shared (default 256) pages mapped more than once (SCAN_EXCEED_SHARED_PTE)',
    requires: ['khugepaged-collapse-shared'],
  },
  khugepagedReferencedSwapinOnly: {
    id: 'khugepaged-referenced-swapin-only', commit: 'ffe945e633b5', subject: 'khugepaged: do not stop collapse if less than half PTEs are referenced',
    author: 'Kirill A. Shutemov', release: 'v5.8', kind: 'upstream',
    summary: 'khugepaged\'s scan asks for half of the PTEs young (HPAGE_PMD_NR / 2) only where it must swap pages in, and collapse_huge_page runs the swap-in only then; before, one young page passed the scan and __collapse_huge_page_swapin, run for every block, gave up on a block with fewer than 256 young PTEs after the THP was allocated (thp_collapse_alloc counted, SCAN_FAIL): such a block was never collapsed (Fixes: 0db501f7a34c)',
  },
  khugepagedPteMappedThp: {
    id: 'khugepaged-pte-mapped-thp', commit: '5503fbf2b0b8', subject: 'khugepaged: allow to collapse PTE-mapped compound pages',
    author: 'Kirill A. Shutemov', release: 'v5.8', kind: 'upstream',
    summary: 'a block holding pages of a PTE-mapped THP is collapsed (each large folio locked and isolated once); before, the scan and the isolation refused it (SCAN_PAGE_COMPOUND)',
  },
  khugepagedIsolateUffdWp: {
    id: 'khugepaged-isolate-uffd-wp', commit: 'dd47ac428c3f', subject: 'mm/khugepaged: check again on anon uffd-wp during isolation',
    author: 'Peter Xu', release: 'v6.3', kind: 'upstream',
    summary: '__collapse_huge_page_isolate refuses a uffd-wp PTE too (SCAN_PTE_UFFD_WP), so a page write-protected between khugepaged\'s scan and its isolation (the mmap lock is dropped in between) is no longer collapsed into a writable PMD without uffd-wp; in 6.1.y and 5.10.y stable',
    requires: ['khugepaged-skip-uffd-wp'],
  },
  khugepagedCollapseReadOnly: {
    id: 'khugepaged-collapse-read-only', commit: '62b98015d988', subject: 'mm: enable khugepaged anonymous collapse on non-writable regions',
    author: 'Dev Jain', release: 'v6.18', kind: 'upstream',
    summary: 'the scan and the isolation of an anonymous block (hpage_collapse_scan_pmd, __collapse_huge_page_isolate) no longer want a writable PTE: a block mapped read-only (mprotect PROT_READ, a forked child\'s COW pages) is collapsed, by MADV_COLLAPSE and by khugepaged; before, such a block ended as SCAN_PAGE_RO ("no_writable_page"; MADV_COLLAPSE went on to the next block and failed with EINVAL). With 473b73222f3d "mm: drop all references of writable and SCAN_PAGE_RO", same series',
  },
  // ---- mremap (mm/mremap.c) ------------------------------------------------------------------------
  x86MovePmd: {
    id: 'x86-move-pmd', commit: '9f132f7e1455', subject: 'mm: select HAVE_MOVE_PMD on x86 for faster mremap',
    author: 'Joel Fernandes (Google)', release: 'v5.0', kind: 'upstream',
    summary: 'mremap moves a whole PTE table when a PMD-sized, PMD-aligned extent of source and destination covers it (move_normal_pmd): its entries keep their bits; before, every PTE was moved one by one (move_ptes) and made soft-dirty',
  },
  x86MovePud: {
    id: 'x86-move-pud', commit: 'be37c98d1134', subject: 'x86: mremap speedup - Enable HAVE_MOVE_PUD',
    author: 'Kalesh Singh', release: 'v5.11', kind: 'upstream',
    summary: 'mremap moves a whole PMD table when a PUD-sized (1 GiB), PUD-aligned extent of source and destination covers it (move_normal_pud, added by c49dd3401802 "mm: speedup mremap on 1GB or larger regions" in the same release): its huge PMDs and PTE tables move untouched, no entry made soft-dirty; before, every PMD of the gigabyte was moved on its own (a huge PMD made soft-dirty by move_huge_pmd)',
    requires: ['x86-move-pmd'],
  },
  mremapDontunmap: {
    id: 'mremap-dontunmap', commit: 'e346b3813067', subject: 'mm/mremap: add MREMAP_DONTUNMAP to mremap()',
    author: 'Brian Geffon', release: 'v5.7', kind: 'upstream',
    summary: 'MREMAP_DONTUNMAP (with MREMAP_MAYMOVE, old_len == new_len): the page tables move, the old VMA stays mapped and empty (its anon_vma unlinked when moved whole); before, the flag is unknown (EINVAL)',
  },
  mremapDontunmapAnyVma: {
    id: 'mremap-dontunmap-any-vma', commit: 'a4609387859f', subject: 'mm: extend MREMAP_DONTUNMAP to non-anonymous mappings',
    author: 'Brian Geffon', release: 'v5.13', kind: 'upstream',
    summary: 'MREMAP_DONTUNMAP of a shared or file mapping (a memfd, shared anonymous memory) is allowed: the PTEs move, the old VMA stays and faults the file in again; before, only private anonymous mappings (EINVAL)',
    requires: ['mremap-dontunmap'],
  },
  mremapMoveVmaRefactor: {
    id: 'mremap-move-vma-refactor', commit: 'b714ccb02a76', subject: 'mm/mremap: complete refactor of move_vma()',
    author: 'Lorenzo Stoakes', release: 'v6.15', kind: 'upstream',
    summary: 'MREMAP_DONTUNMAP clears VM_ACCOUNT of the VMA it keeps (dontunmap_complete), a regression: before, only VM_LOCKED[ONFAULT] was cleared there',
    requires: ['mremap-dontunmap'],
  },
  mremapDontunmapKeepsAccount: {
    id: 'mremap-dontunmap-keeps-account', commit: '0e59f47c15ce', subject: 'mm/mremap: correctly account old mapping after MREMAP_DONTUNMAP remap',
    author: 'Lorenzo Stoakes', release: 'v6.18', kind: 'upstream',
    summary: 'the VMA MREMAP_DONTUNMAP keeps has its VM_ACCOUNT again (as before v6.15), so it merges with accounted neighbours (landed in v6.18-rc3, with the mm hotfixes of 2025-10-22; in 6.17.y too)',
    requires: ['mremap-move-vma-refactor'],
  },
  mremapRealign: {
    id: 'mremap-realign', commit: 'af8ca1c14906', subject: 'mm/mremap: optimize the start addresses in move_page_tables()',
    author: 'Joel Fernandes (Google)', release: 'v6.7', kind: 'upstream', requires: ['x86-move-pmd'],
    summary: 'a move whose source and destination are equally misaligned, start their VMAs, have no mapping below them down to the PMD boundary, and reach the next boundary, starts at that boundary: the first PTE table moves whole (its entries keep their bits) instead of entry by entry',
  },
  mremapMoveMultiVma: {
    id: 'mremap-move-multi-vma', commit: 'd23cb648e365', subject: 'mm/mremap: permit mremap() move of multiple VMAs',
    author: 'Lorenzo Stoakes', release: 'v6.17', kind: 'upstream',
    summary: 'MREMAP_FIXED with old_len == new_len moves every VMA of the source range (gaps between them kept, a gap at the start EFAULT) one by one; a uffd-armed VMA may only be moved alone (with "mm/mremap: catch invalid multi VMA moves earlier", v6.17-rc); before, a range crossing its first VMA\'s end was EFAULT',
  },
  mremapCheckEarly: {
    id: 'mremap-check-early', commit: 'a85dc37186a5', subject: 'mm/mremap: check remap conditions earlier',
    author: 'Lorenzo Stoakes', release: 'v6.17', kind: 'upstream',
    summary: 'a move to a fixed place (or with MREMAP_DONTUNMAP) checks the source VMA (DONTUNMAP of a VM_DONTEXPAND or VM_PFNMAP mapping EINVAL, a range crossing its VMA\'s end EFAULT, a growth of such a mapping EFAULT) in check_prep_vma, before the destination is unmapped; before, mremap_to unmapped the destination first, and a refused move left it unmapped',
  },
  mremapClearUffdWp: {
    id: 'mremap-clear-uffd-wp', commit: '0cef0bb836e3', subject: 'mm: clear uffd-wp PTE/PMD state on mremap()',
    author: 'Ryan Roberts', release: 'v6.13', kind: 'upstream',
    summary: 'mremap of a VMA whose uffd has no UFFD_FEATURE_EVENT_REMAP clears the uffd-wp bit of every moved PTE, swap PTE and huge PMD and drops uffd-wp markers (page tables are never moved whole then); before, the bits stayed in the unregistered destination; Cc: stable, in 6.12.y',
  },
  // ---- shmem, memfd and the page cache (mm/shmem.ts, mm/filemap.ts) --------------------------------
  uffdWpWritenotify: {
    id: 'uffd-wp-writenotify', commit: '51d3d5eb74ff', subject: 'mm/userfaultfd: enable writenotify while userfaultfd-wp is enabled for a VMA',
    author: 'David Hildenbrand', release: 'v6.2', kind: 'upstream',
    summary: 'vma_wants_writenotify is true for a shared writable VMA registered for uffd-wp: its vm_page_prot loses the write bit, so mprotect and other rebuilds from vm_page_prot keep a write-protected shmem PTE read-only (corpus 4); in 6.1.y stable',
  },
  // ---- userfaultfd MINOR faults and UFFDIO_CONTINUE (fs/userfaultfd.ts, mm/userfaultfd.ts) ------------
  uffdRegisterMinorWpCheck: {
    id: 'uffd-register-minor-wp-check', commit: '67eae54bc227', subject: 'mm/uffd: fix vma check on userfault for wp',
    author: 'Peter Xu', release: 'v6.1', kind: 'upstream', requires: ['uffd-wp-shmem'],
    summary: 'vma_can_userfault no longer returns early for MINOR on shmem and hugetlb, so a MINOR|WP registration of a file VMA on a kernel without CONFIG_PTE_MARKER_UFFD_WP is EINVAL; before (from b1f9e876862d, v5.19) it was accepted (corpus 14); in v6.1-rc3 and 6.0.7',
  },
  uffdContinueModeWp: {
    id: 'uffd-continue-mode-wp', commit: '0289184476c8', subject: 'mm: userfaultfd: add UFFDIO_CONTINUE_MODE_WP to install WP PTEs',
    author: 'Axel Rasmussen', release: 'v6.4', kind: 'upstream', requires: ['uffd-minor-hugetlbfs'],
    summary: 'UFFDIO_CONTINUE takes UFFDIO_CONTINUE_MODE_WP (EINVAL on a VMA not registered for WP) and maps the page write-protected with the uffd-wp bit; before, any mode bit but DONTWAKE is EINVAL (id as the linux-rpi tree carries it, which keeps mainline ids)',
  },
  uffdUnregisterOwnCtx: {
    id: 'uffd-unregister-own-ctx', commit: '23ec90eb122f', subject: 'userfaultfd: prevent unregistering VMAs through a different userfaultfd',
    author: 'Tal Zussman', release: 'v6.17', kind: 'upstream', requires: ['userfaultfd'],
    summary: 'UFFDIO_UNREGISTER of a range holding a VMA that another userfaultfd of the same mm registered is EINVAL, and nothing is unregistered; before, any userfaultfd of the mm unregistered it (waking the faults of the owner\'s context), so the owner lost its registration without being told (Fixes: 86039bd3b4e6; an ABI change, not for stable)',
  },
  uffdContinueFallocated: {
    id: 'uffd-continue-fallocated', commit: '73f37dbcfe17', subject: 'mm: userfaultfd: fix UFFDIO_CONTINUE on fallocated shmem pages',
    author: 'Axel Rasmussen', release: 'v5.19', kind: 'upstream', requires: ['uffd-minor-shmem'],
    summary: 'UFFDIO_CONTINUE looks the shmem page up with SGP_NOALLOC, which takes a folio fallocate left not up to date (zeroing it); before, SGP_READ answered such a folio as a hole and CONTINUE failed with EFAULT, so the MINOR fault its first touch raised could not be resolved (153132571f02, v5.14); Cc: stable (5.18.13)',
  },
  // ---- hugetlb (mm/hugetlb.c, mm/madvise.c) ---------------------------------------------------------
  mremapHugetlb: {
    id: 'mremap-hugetlb', commit: '550a7d60bd5e', subject: 'mm, hugepages: add mremap() support for hugepage backed vma',
    author: 'Mina Almasry', release: 'v5.16', kind: 'upstream',
    summary: 'mremap moves a hugetlb VMA (move_hugetlb_page_tables: huge entry by huge entry; the private reservation map goes with the new VMA, clear_vma_resv_huge_pages): lengths are rounded up to 2 MiB, addr and new_address off a 2 MiB boundary and any growth are EINVAL; before, a move or growth of a hugetlb VMA was EINVAL (vma_to_resize) and only a shrink (an munmap of the tail) worked',
  },
  madvDontneedHugetlb: {
    id: 'madv-dontneed-hugetlb', commit: '90e7e7f5ef3f', subject: 'mm: enable MADV_DONTNEED for hugetlb mappings',
    author: 'Mike Kravetz', release: 'v5.18', kind: 'upstream',
    summary: 'MADV_DONTNEED (and MADV_DONTNEED_LOCKED) zap hugetlb pages: a start off a huge page boundary is EINVAL, the end is rounded up to the huge page size; before, EINVAL on any hugetlb VMA',
  },
  madvDontneedHugetlbAlignDown: {
    id: 'madv-dontneed-hugetlb-align-down', commit: '8ebe0a5eaaeb', subject: 'mm,madvise,hugetlb: fix unexpected data loss with MADV_DONTNEED on hugetlbfs',
    author: 'Rik van Riel', release: 'v6.1', kind: 'upstream', requires: ['madv-dontneed-hugetlb'],
    summary: 'madvise_dontneed_free_valid_vma: the end of a MADV_DONTNEED range on hugetlb is rounded down to the huge page size (a 4 KiB request zaps nothing); before, it was rounded up and the whole huge page was zapped (corpus 36)',
  },
  hugetlbMigrationUffdWp: {
    id: 'hugetlb-migration-uffd-wp', commit: '44f86392bdd1', subject: 'mm/hugetlb: fix uffd-wp handling for migration entries in hugetlb_change_protection()',
    author: 'David Hildenbrand', release: 'v6.2', kind: 'upstream',
    summary: 'hugetlb_change_protection sets or clears the uffd-wp bit of every migration entry; before, only of a writable one it made readable (a readable entry was skipped, so a WP request on a hugetlb page under migration was lost: corpus 11)',
  },
  hugetlbRestoreReserve: {
    id: 'hugetlb-restore-reserve', commit: 'df7a6d1f6405', subject: 'mm/hugetlb: restore the reservation if needed',
    author: 'Breno Leitao', release: 'v6.9', kind: 'upstream',
    summary: '__unmap_hugepage_range gives the owner\'s reservation back when it zaps a private anon page, also one a pin or a forked child still holds (PG_hugetlb_restore_reserve: the page restores it when freed, and the index is no longer consumed; meanwhile HugePages_Rsvd is short by one); before, a page zapped by MADV_DONTNEED left its index without a reservation',
  },
  // ---- shared hugetlb (hugeshared) ------------------------------------------------------------------
  hugetlbLazyForkCopy: {
    id: 'hugetlb-lazy-fork-copy', commit: 'bcd51a3c679d', subject: 'hugetlb: lazy page table copies in fork()',
    author: 'Mike Kravetz', release: 'v6.0', kind: 'upstream',
    summary: 'vma_needs_copy no longer holds for every VM_HUGETLB VMA: fork leaves a hugetlb VMA without an anon_vma (a shared mapping, or a private one that only maps page-cache pages) to refault in the child, unless the child is registered for WP; before, fork copied every hugetlb entry',
  },
  // ---- fixes merged in 2026, taken into the stable series -----------------------------------------
  pagemapScanNoneWritten: {
    id: 'pagemap-scan-none-written', commit: '07b4377bdbe7', subject: 'fs/proc/task_mmu: report PAGE_IS_WRITTEN for unpopulated ptes (with 40de8160ca7f for PMD holes)',
    author: 'Kiryl Shutsemau', release: 'v7.2', kind: 'upstream',
    summary: 'PAGEMAP_SCAN reports none PTEs (and, in uffd-wp VMAs, page-table holes) as WRITTEN; in 6.12.103 and 6.18.44',
  },
  x86PmdModifyKeepsDirty: {
    id: 'x86-pmd-modify-keeps-dirty', commit: 'f7491d7c81db', subject: 'x86/mm: Fix user-space data loss with MADV_FREE and THP',
    author: 'Vernon Yang', release: 'v7.3', kind: 'upstream',
    summary: 'pmd_modify keeps the hardware dirty bit again (moved to bit 58 when write-protecting); Cc: stable',
    requires: ['x86-saved-dirty'],
  },
  // ---- fixes beyond the corpus (docs/fidelity.md, "Bugs beyond the corpus"; scenarios/bugs) ---------
  collapseHendClamp: {
    id: 'collapse-hend-clamp', commit: '52dc031088f0', subject: 'mm/MADV_COLLAPSE: don\'t expand collapse when vm_end is past requested end',
    author: 'Zach O\'Keefe', release: 'v6.2', kind: 'upstream',
    summary: 'after a collapse drops the mmap lock, madvise_collapse refetches the end of the walk as min(end, vm_end); before, as the VMA\'s end (4d24de9425f7, v6.1-rc1, the merge window of MADV_COLLAPSE itself): a call over two or more blocks went on to the end of the VMA, collapsing blocks it was not asked for and failing with the errno of one of them; also in 6.1.y',
    requires: ['madv-collapse'],
  },
  collapsePageCountEagain: {
    id: 'collapse-page-count-eagain', commit: 'ae63c898f400', subject: 'mm/MADV_COLLAPSE: set EAGAIN on unexpected page refcount',
    author: 'Zach O\'Keefe', release: 'v6.2', kind: 'upstream',
    summary: 'MADV_COLLAPSE of a block whose page has a reference besides its mappings (SCAN_PAGE_COUNT: a GUP pin) fails with EAGAIN; before, EINVAL; also in 6.1.13',
    requires: ['madv-collapse'],
  },
  mprotectVmaIterator: {
    id: 'mprotect-vma-iterator', commit: '2286a6914c77', subject: 'mm: change mprotect_fixup to vma iterator',
    author: 'Liam R. Howlett', release: 'v6.3', kind: 'upstream',
    summary: 'do_mprotect_pkey tests the end of the walk with vma_iter_end(), the end of the gap where the VMA search stopped: a range whose last part is unmapped is changed up to the hole and the call returns 0 instead of ENOMEM (the error overwrite of the same commit, 82f951340f25, was fixed before v6.3)',
  },
  uffdUnmapPrepPerVma: {
    id: 'uffd-unmap-prep-per-vma', commit: '65ac132027a8', subject: 'userfaultfd: fix regression in userfaultfd_unmap_prep()',
    author: 'Liam R. Howlett', release: 'v6.5', kind: 'upstream',
    summary: 'an munmap (of munmap(2), of mmap(MAP_FIXED), of an mremap) prepares each VMA\'s UNMAP event as it gathers that VMA, once its splits are done; before, once every split of the range was done (do_munmap, do_vmi_align_munmap), so an munmap that a later VMA\'s split fails (a hugetlb VMA off a huge page boundary) sent no event; from it, the events of the VMAs gathered before that split go out, then the errno',
  },
  mprotectLimitCheck: {
    id: 'mprotect-limit-check', commit: '77795f900e2a', subject: 'mm/mprotect: fix do_mprotect_pkey() limit check',
    author: 'Liam R. Howlett', release: 'v6.5', kind: 'upstream',
    summary: 'do_mprotect_pkey fails with ENOMEM when the VMAs it changed end before the range does (tmp < end), as before v6.3',
    requires: ['mprotect-vma-iterator'],
  },
  pagemapScanHugeZeroPfnzero: {
    id: 'pagemap-scan-huge-zero-pfnzero', commit: '4a5e85f4eb8f', subject: 'fs/proc/task_mmu: fix PAGE_IS_PFNZERO detection for the huge zero folio',
    author: 'David Hildenbrand', release: 'v6.16', kind: 'upstream',
    summary: 'PAGEMAP_SCAN reports a huge zero PMD PAGE_IS_PFNZERO (is_huge_zero_pmd); before, is_zero_pfn() of the PMD\'s pfn, never true for the huge zero folio, so it was only PRESENT; in 6.12.y stable',
    requires: ['pagemap-scan'],
  },
  uffdApiEinvalUnsupported: {
    id: 'uffd-api-einval-unsupported', commit: '1723f04caacb', subject: 'Fix userfaultfd_api to return EINVAL as expected',
    author: 'Audra Mitchell', release: 'v6.10', kind: 'upstream',
    summary: 'UFFDIO_API refuses (EINVAL) a feature the kernel\'s configuration leaves out (the PTE-marker features without CONFIG_PTE_MARKER_UFFD_WP, WP faults on an arch without uffd-wp); before, only a feature unknown to the release was refused, the others were taken and left out of the answer; Cc: stable',
  },
  pagemapScanVecBufNull: {
    id: 'pagemap-scan-vec-buf-null', commit: '28aa29986dde', subject: 'fs/proc/task_mmu: check p->vec_buf for NULL',
    author: 'Jakub Acs', release: 'v6.17', kind: 'upstream',
    summary: 'pagemap_scan_backout_range returns at once without a bounce buffer; before, PAGEMAP_SCAN with vec_len 0 and PM_SCAN_WP_MATCHING over part of a THP (or of a hugetlb page) dereferenced the NULL p->vec_buf after splitting the PMD: the task oopsed (syzkaller); Cc: stable, in 6.16.10',
    requires: ['pagemap-scan'],
  },
  mremapMergeAfterResize: {
    id: 'mremap-merge-after-resize', commit: 'ca3d76b0aa80', subject: 'mm: add merging after mremap resize',
    author: 'Jakub Matěna', release: 'v6.1', kind: 'upstream',
    summary: 'mremap growing a VMA in place merges the extension with vma_merge(), so a next VMA it now touches is merged too; before, vma_adjust grew the VMA alone',
  },
  mremapExpandInsideVma: {
    id: 'mremap-expand-inside-vma', commit: '6f12be792fde', subject: 'mm, mremap: fix mremap() expanding vma with addr inside vma',
    author: 'Vlastimil Babka', release: 'v6.2', kind: 'upstream',
    summary: 'the extension of an in-place growth gets the pgoff of its own address; before (v6.1) vm_pgoff + old_len pages, wrong when addr is not vm_start: vma_merge() refused it and mremap failed with ENOMEM (rpm install failures, Jiri Slaby); Cc: stable',
    requires: ['mremap-merge-after-resize'],
  },
  hugetlbNoSoftDirtyWritenotify: {
    id: 'hugetlb-no-soft-dirty-writenotify', commit: 'f96f7a40874d', subject: 'mm/hugetlb: fix hugetlb not supporting softdirty tracking',
    author: 'David Hildenbrand', release: 'v6.0', kind: 'upstream',
    summary: 'vma_wants_writenotify leaves soft-dirty tracking out for hugetlb, which does not track it; before, from 64e455079e1b (v3.18), a shared hugetlb VMA whose VM_SOFTDIRTY clear_refs 4 cleared got a read-only vm_page_prot, so mprotect() back to writable mapped its pages read-only and the next write went to hugetlb_wp (a COW into an anonymous page before 1d8d14641fd9); Cc: stable',
  },
  hugetlbSharedWriteFault: {
    id: 'hugetlb-shared-write-fault', commit: '1d8d14641fd9', subject: 'mm/hugetlb: support write-faults in shared mappings',
    author: 'David Hildenbrand', release: 'v6.0', kind: 'upstream',
    summary: 'hugetlb_wp in a shared mapping makes the entry writable in place; before, a write fault on a read-only entry of a shared mapping (from soft-dirty write-notify before f96f7a40874d, and from v5.19 when a uffd that write-protected the entry is released, or before f369b07c8614 unregistered) fell into the COW path: the file\'s page was replaced by an anonymous copy in the shared mapping, so the write never reached the file (SIGBUS with no free huge page); Cc: stable',
  },
  hugetlbWpSkipUffdWp: {
    id: 'hugetlb-wp-skip-uffd-wp', commit: '60d5b473d61b', subject: 'mm/hugetlb: fix uffd wr-protection for CoW optimization path',
    author: 'Peter Xu', release: 'v6.3', kind: 'upstream',
    summary: 'hugetlb_wp returns at once on a write-protected entry (not for UNSHARE), so the COW that hugetlb_no_page does for a private write to a page under a uffd-wp marker is retried into handle_userfault; before, the page was made writable with the uffd-wp bit still set and the write went through without a message; Cc: stable',
    requires: ['uffd-wp-shmem'],
  },
  hugetlbForkUffdWp: {
    id: 'hugetlb-fork-uffd-wp', commit: '5a2f8d22ace4', subject: 'mm/hugetlb: fix uffd-wp during fork()',
    author: 'Peter Xu', release: 'v6.4', kind: 'upstream',
    summary: 'copy_hugetlb_page_range drops the uffd-wp bit of a present entry for a child not registered for WP (no EVENT_FORK), and the early COW of a pinned page keeps it for one that is; before, the child kept the bit (on v6.3, whose hugetlb_wp never COWs a write-protected entry, its first write then refaulted for ever); the migration-entry part of the fix (pte_swp_uffd_wp) is not modelled before it; Cc: stable',
    requires: ['uffd-wp-shmem'],
  },
  hugetlbUnshareKeepsUffdWp: {
    id: 'hugetlb-unshare-keeps-uffd-wp', commit: '0f230bc24b6e', subject: 'mm/hugetlb: fix uffd-wp bit lost when unsharing happens',
    author: 'Peter Xu', release: 'v6.4', kind: 'upstream',
    summary: 'hugetlb_wp\'s copy keeps the uffd-wp bit of the entry it replaces (an UNSHARE of a write-protected page); before, the new entry had none; Cc: stable',
    requires: ['uffd-wp-shmem'],
  },
  // ---- fixes beyond the corpus, round two (docs/fidelity.md, "Bugs beyond the corpus") --------------
  pagemapScanVecLenOverflow: {
    id: 'pagemap-scan-vec-len-overflow', commit: '669b0cb81e4e', subject: 'fs/proc/task_mmu: prevent integer overflow in pagemap_scan_get_args()',
    author: 'Dan Carpenter', release: 'v6.12', kind: 'upstream',
    summary: 'pagemap_scan_get_args checks the output vector with access_ok(vec, size_mul(vec_len, 24)), which saturates: a vec_len whose byte size passes 64 bits is EFAULT; before, vec_len * 24 wrapped (vec_len 2^61 is 0 bytes) and the scan went on, writing as many regions as it found',
    requires: ['pagemap-scan'],
  },
  uffdApiIgnoreUnknown: {
    id: 'uffd-api-ignore-unknown', commit: '914eedcb9ba0', subject: 'userfaultfd: don\'t fail on unrecognized features',
    author: 'Axel Rasmussen', release: 'v6.0', kind: 'upstream',
    summary: 'UFFDIO_API masks the requested features with the ones the release knows instead of refusing the others, and no longer checks api (the regression: 0xab and an unknown feature bit are both accepted, the answer the usual one)',
  },
  uffdApiIgnoreUnknownReverted: {
    id: 'uffd-api-ignore-unknown-reverted', commit: '2ff559f31a5d', subject: 'Revert "userfaultfd: don\'t fail on unrecognized features"',
    author: 'Peter Xu', release: 'v6.3', kind: 'upstream',
    summary: 'UFFDIO_API refuses (EINVAL) an api other than 0xaa and a feature the release does not know again, as before 914eedcb9ba0 and as the man page says; Cc: stable (6.1.y, 6.2.y)',
    requires: ['uffd-api-ignore-unknown'],
  },
  uffdVmaMergePgoff: {
    id: 'uffd-vma-merge-pgoff', commit: '5543d3c43c41', subject: 'mm/uffd: allow vma to merge as much as possible',
    author: 'Peter Xu', release: 'v6.4', kind: 'upstream',
    summary: 'UFFDIO_REGISTER and UFFDIO_UNREGISTER ask vma_merge() with the pgoff of the range\'s start; before, with the VMA\'s vm_pgoff, so a range from inside a VMA to its end never merged with the VMA after it (three VMAs where two would do). With 270aa0106206 (the prev of such a range, same pull)',
  },
  thpDisabledNoPmdMap: {
    id: 'thp-disabled-no-pmd-map', commit: '2b0f922323cc', subject: 'mm: don\'t install PMD mappings when THPs are disabled by the hw/process/vma',
    author: 'Kefeng Wang, David Hildenbrand', release: 'v6.12', kind: 'upstream',
    summary: 'do_set_pmd (finish_fault, fault-around) refuses a PMD mapping in a VMA with MADV_NOHUGEPAGE (vma_thp_disabled; the process and hardware switches are not modelled): a PMD-sized page-cache folio is mapped by PTEs there; before, it was mapped by a PMD whenever the VMA could hold the block; Cc: stable',
  },
  uffdShmemPrivateAnon: {
    id: 'uffd-shmem-private-anon', commit: '5b51072e97d5', subject: 'userfaultfd: shmem: allocate anonymous memory for MAP_PRIVATE shmem',
    author: 'Andrea Arcangeli', release: 'v4.20', kind: 'upstream',
    summary: 'UFFDIO_COPY and UFFDIO_ZEROPAGE into a private shmem mapping map anonymous memory, as a fault and its COW would; before, they filled the file\'s page cache and mapped that page, writable where the VMA was: the private mapping\'s data went into the file, and later writes too (Cc: stable)',
  },
  uffdRegisterMaywrite: {
    id: 'uffd-register-maywrite', commit: '29ec90660d68', subject: 'userfaultfd: shmem/hugetlbfs: only allow to register VM_MAYWRITE vmas',
    author: 'Andrea Arcangeli', release: 'v4.20', kind: 'upstream',
    summary: 'UFFDIO_REGISTER refuses (EPERM) a VMA without VM_MAYWRITE: a shared mapping of a file opened read-only; before, it was registered, and UFFDIO_COPY filled holes of a file the process could not write (CVE-2018-18397, found by Jann Horn; Cc: stable)',
  },
  uffdShmemCopyPageDirty: {
    id: 'uffd-shmem-copy-page-dirty', commit: 'dcf7fe9d8976', subject: 'userfaultfd: shmem: UFFDIO_COPY: set the page dirty if VM_WRITE is not set',
    author: 'Andrea Arcangeli', release: 'v4.20', kind: 'upstream',
    summary: 'a shmem page UFFDIO_COPY or ZEROPAGE fills through a mapping without VM_WRITE is marked dirty (set_page_dirty: its PTE is clean), so reclaim writes it out; before, the clean page was dropped by reclaim and its data lost (found by Hugh Dickins reading the code; Cc: stable). From 9ae0f87d009c (v5.16) the PTE is made dirty instead',
  },
  uffdWpRegardlessOfVmWrite: {
    id: 'uffd-wp-regardless-of-vm-write', commit: '0e88904cb700', subject: 'userfaultfd: mark uffd_wp regardless of VM_WRITE flag',
    author: 'Nadav Amit', release: 'v5.18', kind: 'upstream',
    summary: 'UFFDIO_COPY with MODE_WP sets the uffd-wp bit of the new PTE whether or not the VMA has VM_WRITE; before (from 292924b26024, v5.7), only a writable VMA got it: a page copied in while the range was read-only was not write-protected once mprotect made it writable again, and its writes sent no message (in 5.17.5)',
    requires: ['uffd-wp-apply-bit'],
  },
  hugetlbUffdWpPrealloc: {
    id: 'hugetlb-uffd-wp-prealloc', commit: 'fed15f1345dc', subject: 'mm/hugetlb: pre-allocate pgtable pages for uffd wr-protects',
    author: 'Peter Xu', release: 'v6.2', kind: 'upstream',
    summary: 'hugetlb_change_protection allocates the page table (huge_pte_alloc) of a huge entry it must put a uffd-wp marker in; before, an address no PMD table covered was skipped, so UFFDIO_WRITEPROTECT of an untouched hugetlb range with no page table left no marker and the first write went through without a message (60dfaad65aa9, v5.19); Cc: stable',
    requires: ['uffd-wp-shmem'],
  },
  mincoreHugetlbPteMarkers: {
    id: 'mincore-hugetlb-pte-markers', commit: '63cf584203f3', subject: 'mm: teach mincore_hugetlb about pte markers',
    author: 'James Houghton', release: 'v6.3', kind: 'upstream',
    summary: 'mincore_hugetlb reports a hugetlb PTE marker (the uffd-wp marker of a write-protected none entry) as not resident (huge_pte_none_mostly); before, huge_pte_none() took the marker for a mapped huge page and mincore reported its 512 pages resident; Cc: stable',
    requires: ['pte-markers'],
  },
  hugetlbContinueFileRmap: {
    id: 'hugetlb-continue-file-rmap', commit: 'ab74ef708dc5', subject: 'mm/hugetlb: avoid corrupting page->mapping in hugetlb_mcopy_atomic_pte',
    author: 'Miaohe Lin', release: 'v6.0', kind: 'upstream', requires: ['uffd-minor-hugetlbfs'],
    summary: 'UFFDIO_CONTINUE into a private hugetlb mapping adds a file rmap for the page-cache page it maps (page_in_pagecache); before, the rmap followed vm_shared, so hugepage_add_new_anon_rmap made the cache\'s page anonymous with a mapcount of one, and the private mapping\'s next write fault reused it in place: the write went into the file (f619147104c8, v5.13; CVE-2022-49991); Cc: stable',
  },
  // ---- round seven ----
  uffdMmapChangingCount: {
    id: 'uffd-mmap-changing-count', commit: 'a759a909d42d', subject: 'userfaultfd: change mmap_changing to atomic',
    author: 'Nadav Amit', release: 'v5.15', kind: 'upstream',
    summary: 'ctx->mmap_changing counts the non-cooperative events under way (atomic_inc at each prep, atomic_dec as each waiter goes on): UFFDIO_COPY, ZEROPAGE, CONTINUE and WRITEPROTECT stay EAGAIN until the last one is read; before (from df2cc96e7701, v4.18), a bool that the first event read cleared, so with a second event still unread (two madvise(MADV_DONTNEED) of two threads) the ioctls went ahead while the mappings were changing',
  },
  uffdApiInitCmpxchg: {
    id: 'uffd-api-init-cmpxchg', commit: '22e5fe2a2a27', subject: 'userfaultfd: prevent concurrent API initialization',
    author: 'Nadav Amit', release: 'v5.15', kind: 'upstream',
    summary: 'a uffd is initialized once by a cmpxchg of ctx->features at the end of UFFDIO_API, so a second UFFDIO_API runs the api and feature checks first (EPERM for EVENT_FORK without CAP_SYS_PTRACE, EINVAL for a bad api) and is EINVAL only then, its answer zeroed; before, ctx->state was tested first: any second call was EINVAL at once, the caller\'s struct left as it was',
  },
  hugetlbForkPinnedEarlyCow: {
    id: 'hugetlb-fork-pinned-early-cow', commit: '4eae4efa2c29', subject: 'hugetlb: do early cow when page pinned on src mm',
    author: 'Peter Xu', release: 'v5.12', kind: 'upstream', requires: ['fork-early-cow-pinned'],
    summary: 'fork gives the child a copy of a private hugetlb page that may be pinned (MMF_HAS_PINNED and page_maybe_dma_pinned: page_needs_cow_for_dma) and leaves the parent its page, writable; before, the page was shared write-protected like any other, and the parent\'s next write copied it away from the pin (the device kept the old page), as 70e806e4e645 (v5.9) had fixed for small pages and THPs only',
  },
  uffdCopySrcRangeCheck: {
    id: 'uffd-copy-src-range-check', commit: '2ef5d7245d9c', subject: 'mm: userfaultfd: check for start + len overflow in validate_range',
    author: 'Axel Rasmussen', release: 'v6.6', kind: 'upstream',
    summary: 'UFFDIO_COPY checks its source range first, as the destination\'s but for alignment (validate_unaligned_range: EINVAL past TASK_SIZE, or below mmap_min_addr where the destination is refused there too); before, the source was only checked against wrapping, after the destination: a source past TASK_SIZE failed in copy_from_user, EFAULT, written into uffdio_copy.copy',
  },
  uffdRegisterVmaIterator: {
    id: 'uffd-register-vma-iterator', commit: '11a9b90274f6', subject: 'userfaultfd: use vma iterator',
    author: 'Liam R. Howlett', release: 'v6.3', kind: 'upstream',
    summary: 'UFFDIO_REGISTER and UNREGISTER of a range no VMA meets are EINVAL (vma_find up to the end, ret set to -EINVAL first); before, when no VMA lay at or above the start at all, find_vma came back empty while ret still held the -ENOMEM of the mmget_not_zero check: ENOMEM (a VMA starting at or past the end was EINVAL)',
  },
  // ---- round eight ----
  madvColdExclusiveOnly: {
    id: 'madv-cold-exclusive-only', commit: '12e967fd8e4e', subject: 'mm: do not allow MADV_PAGEOUT for CoW pages',
    author: 'Michal Hocko', release: 'v5.6', kind: 'upstream', requires: ['madv-cold'],
    summary: 'MADV_COLD and MADV_PAGEOUT pass over a page another mapping maps too (page_mapcount() != 1), a small page and a whole PMD-mapped THP alike: a COW page a fork shares stays where it is; before (from 9c276cc65a58, v5.4), only a THP the range covered in part was asked, so a child\'s MADV_PAGEOUT swapped out the page its parent maps (try_to_unmap unmaps every mapping) and MADV_COLD deactivated it; Cc: stable',
  },
  mremapDupPrivateEinval: {
    id: 'mremap-dup-private-einval', commit: 'dba58d3b8c50', subject: 'mm/mremap: fail map duplication attempts for private mappings',
    author: 'Mike Kravetz', release: 'v4.14', kind: 'upstream',
    summary: 'mremap with old_len 0 (duplicate the mapping) of a private mapping is EINVAL (vma_to_resize, with a pr_warn_once); before, move_vma made a new mapping of new_len unrelated to the old one (copy_vma, no pages moved), and the munmap of the empty old range failed, so the old VMA lost VM_ACCOUNT (the OOM path of move_vma)',
  },
  madvDontneedLocked: {
    id: 'madv-dontneed-locked', commit: '9457056ac426', subject: 'mm: madvise: MADV_DONTNEED_LOCKED',
    author: 'Johannes Weiner', release: 'v5.18', kind: 'upstream',
    summary: 'MADV_DONTNEED_LOCKED (24) is a known advice: MADV_DONTNEED that an mlocked (VM_LOCKED) VMA does not refuse, the range zapped and left locked; EINVAL before (unknown advice)',
  },
  // ---- arm64 (src/profiles/arch.ts: rows only an arm64 profile takes; docs/arch.md) -----------------
  arm64MovePmd: {
    id: 'arm64-move-pmd', commit: '45544eee9606', subject: 'arm64: mremap speedup - Enable HAVE_MOVE_PMD',
    author: 'Kalesh Singh', release: 'v5.10', kind: 'upstream',
    summary: 'arm64 selects HAVE_MOVE_PMD: mremap moves a whole PTE table as x86-move-pmd does on x86',
  },
  arm64MovePud: {
    id: 'arm64-move-pud', commit: 'f5308c896d5d', subject: 'arm64: mremap speedup - enable HAVE_MOVE_PUD',
    author: 'Kalesh Singh', release: 'v5.11', kind: 'upstream',
    summary: 'arm64 selects HAVE_MOVE_PUD: mremap moves a whole PMD table as x86-move-pud does on x86',
    requires: ['arm64-move-pmd'],
  },
  arm64VmaLockFault: {
    id: 'arm64-vma-lock-fault', commit: 'cd7f176aea5f', subject: 'arm64/mm: try VMA lock-based page fault handling first',
    author: 'Suren Baghdasaryan', release: 'v6.4', kind: 'upstream',
    summary: 'arm64 do_page_fault first tries handle_mm_fault under the per-VMA lock, as x86-vma-lock-fault does on x86',
  },
  arm64UffdWp: {
    id: 'arm64-uffd-wp', commit: '5b32510af77b', subject: 'arm64/mm: Add uffd write-protect support',
    author: 'Ryan Roberts', release: 'v6.10', kind: 'upstream',
    summary: 'arm64 selects HAVE_ARCH_USERFAULTFD_WP: PTE_UFFD_WP is bit 58 of PTEs and PMDs, PTE_SWP_UFFD_WP bit 3 of swap PTEs; before, uffd-wp cannot be registered on arm64',
  },
  // ---- loongarch64 (an architecture whose pte_mkdirty made entries writable; docs/arch.md) -----------
  loongarchMkdirtyNeedsWrite: {
    id: 'loongarch-mkdirty-needs-write', commit: 'bf2f34a506e6', subject: 'LoongArch: Set _PAGE_DIRTY only if _PAGE_WRITE is set in {pmd,pte}_mkdirty()',
    author: 'Huacai Chen', release: 'v6.1', kind: 'upstream',
    summary: 'pte_mkdirty/pmd_mkdirty set the TLB dirty bit (_PAGE_DIRTY, the hardware write permission) only on a _PAGE_WRITE entry; before, a dirty entry of a read-only mapping could be written (corpus 2 and 3 on loongarch64)',
  },
  loongarchMkwriteNeedsModified: {
    id: 'loongarch-mkwrite-needs-modified', commit: '54e6cd42a183', subject: 'LoongArch: Set _PAGE_DIRTY only if _PAGE_MODIFIED is set in {pmd,pte}_mkwrite()',
    author: 'Huacai Chen', release: 'v6.1', kind: 'upstream',
    summary: 'pte_mkwrite/pmd_mkwrite set _PAGE_DIRTY only on a _PAGE_MODIFIED entry; before, a clean entry made writable was writable without a TLB modify exception, so the first write did not set _PAGE_MODIFIED',
  },
} satisfies Record<string, PatchDef>;

export type PatchName = keyof typeof rows;
export const PATCH_LIST: readonly Patch[] = Object.values(rows).map((r, index) => ({ ...r, index }));
export const PATCH = Object.fromEntries(
  Object.keys(rows).map((k, i) => [k, PATCH_LIST[i]!]),
) as { readonly [K in PatchName]: Patch };

const byId = new Map(PATCH_LIST.map((p) => [p.id, p]));
export function patchById(id: string): Patch | undefined {
  return byId.get(id);
}
