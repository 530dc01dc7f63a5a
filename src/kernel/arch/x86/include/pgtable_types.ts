// arch/x86/include/asm/pgtable_types.h bit layout (x86-64, 4-level, NX CPU, no SME/pkeys) @v4.19 and @v6.12.
// A 64-bit entry is held as two 32-bit words: lo = bits 0..31, hi = bits 32..63.

export const _PAGE_PRESENT = 1 << 0;
export const _PAGE_RW = 1 << 1;
export const _PAGE_USER = 1 << 2;
export const _PAGE_PWT = 1 << 3;
export const _PAGE_PCD = 1 << 4;
export const _PAGE_ACCESSED = 1 << 5;
export const _PAGE_DIRTY = 1 << 6;
export const _PAGE_PSE = 1 << 7; // PMD leaf
export const _PAGE_PAT = 1 << 7; // 4K PTE
export const _PAGE_GLOBAL = 1 << 8;
export const _PAGE_PROTNONE = 1 << 8; // when !PRESENT
export const _PAGE_SPECIAL = 1 << 9; // SOFTW1
export const _PAGE_UFFD_WP = 1 << 10; // SOFTW2, from v5.7
export const _PAGE_SOFT_DIRTY = 1 << 11; // SOFTW3 (0 when CONFIG_MEM_SOFT_DIRTY=n)
export const _PAGE_PAT_LARGE = 1 << 12;

// high word (bit - 32)
export const _PAGE_HI_DEVMAP_V4 = 1 << (58 - 32); // SOFTW4 in 4.19
export const _PAGE_HI_DEVMAP = 1 << (57 - 32); // SOFTW4 from v6.6
export const _PAGE_HI_SAVED_DIRTY = 1 << (58 - 32); // SOFTW5 from v6.6 (x86_64)
export const _PAGE_HI_NX = 0x80000000; // bit 63

// Swap-entry overlays (arch/x86/include/asm/pgtable_64.h, pgtable_types.h)
export const _PAGE_SWP_SOFT_DIRTY = _PAGE_RW; // bit 1
export const _PAGE_SWP_UFFD_WP = _PAGE_USER; // bit 2, from v5.7
export const _PAGE_SWP_EXCLUSIVE = _PAGE_PWT; // bit 3, from v5.19

export const _PAGE_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY; // 0x67

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const PMD_SHIFT = 21;
export const PMD_SIZE = 1 << PMD_SHIFT;
export const PUD_SHIFT = 30;
export const PUD_SIZE = 2 ** PUD_SHIFT;
export const PGDIR_SHIFT = 39;
export const PTRS_PER_PTE = 512;
export const HPAGE_PMD_ORDER = 9;
export const HPAGE_PMD_NR = 512;
export const HPAGE_PMD_SIZE = PMD_SIZE;
export const TASK_SIZE = 2 ** 47 - PAGE_SIZE; // x86-64 4-level user address space
