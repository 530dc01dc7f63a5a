// change_protection() cp_flags (mm/internal.h, include/linux/mm.h @v5.7+; the v4.19 int arguments map onto them)
export const MM_CP_TRY_CHANGE_WRITABLE = 1 << 0; // MM_CP_DIRTY_ACCT before v6.0
export const MM_CP_PROT_NUMA = 1 << 1;
export const MM_CP_UFFD_WP = 1 << 2;
export const MM_CP_UFFD_WP_RESOLVE = 1 << 3;
