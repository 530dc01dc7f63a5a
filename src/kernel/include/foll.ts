// FOLL_* flags of get_user_pages (include/linux/mm.h @v5.10, include/linux/mm_types.h @v6.18)
/**
 * FOLL_* (include/linux/mm.h @v5.10; the values moved in v6.2 and differ by release: they show only in
 * traces). FOLL_COW lived from 19be0eaffa3a (v4.9) to 5535be309971 (v6.0); FOLL_UNLOCKABLE is v6.3's name
 * for "the caller passed `locked`" (the walk may drop the mmap lock in a fault).
 */
export const FOLL_WRITE = 0x01, FOLL_TOUCH = 0x02, FOLL_GET = 0x04, FOLL_DUMP = 0x08, FOLL_FORCE = 0x10, FOLL_HWPOISON = 0x100, FOLL_TRIED = 0x800,
  FOLL_REMOTE = 0x2000, FOLL_COW = 0x4000, FOLL_LONGTERM = 0x10000, FOLL_PIN = 0x40000, FOLL_UNLOCKABLE = 0x100000;
export const FOLL_NAMES: ReadonlyArray<[number, string]> = [
  [FOLL_WRITE, 'WRITE'], [FOLL_TOUCH, 'TOUCH'], [FOLL_GET, 'GET'], [FOLL_DUMP, 'DUMP'], [FOLL_FORCE, 'FORCE'], [FOLL_HWPOISON, 'HWPOISON'], [FOLL_TRIED, 'TRIED'],
  [FOLL_REMOTE, 'REMOTE'], [FOLL_COW, 'COW'], [FOLL_LONGTERM, 'LONGTERM'], [FOLL_PIN, 'PIN'], [FOLL_UNLOCKABLE, 'UNLOCKABLE'],
];
