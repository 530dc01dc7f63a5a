// A process's exit (kernel/exit.c do_exit() @v6.18): what it does to memory and files once its threads are
// gone. The scheduler kills the other threads first (do_group_exit's SIGKILL, Machine.killProcess); then
// exit_mm drops the mm's last user, so exit_mmap takes the address space down, and exit_files closes the
// process's descriptors. A userfaultfd context made by the process lives on while another process holds its
// file, and its mm with it (mmgrab), without users: its ioctls find no address space (mmget_not_zero).
import type { Kernel } from '../kernel.js';
import type { MmStruct } from '../include/mm_types.js';
import { exit_mmap } from '../mm/mmap.js';
import { uffd_file_put } from '../fs/userfaultfd.js';
import type { UserfaultfdCtx } from '../fs/userfaultfd.js';
import { shmem_close } from '../mm/shmem.js';

/**
 * kernel/exit.c exit_mm() @v6.18 + kernel/fork.c mmput() @v6.18: the last user of the mm is gone (the model
 * has no other mm_users holder: no /proc/PID/mem reader, no kthread_use_mm), so exit_mmap runs at once
 */
export function exit_mm(k: Kernel, mm: MmStruct): void {
  exit_mmap(k, mm);
}

/**
 * kernel/exit.c exit_files() @v6.18 (put_files_struct -> close_files): every descriptor of the process is
 * closed, after exit_mm. A userfaultfd whose last reference this was is released (userfaultfd_release,
 * which only wakes when its mm has no users); `readers` counts the threads still asleep in read(2) of a
 * context, each holding a reference of its own (the release then waits for the last of them, as close(2)
 * does). A memfd or tmpfs file loses this process's descriptor (shmem_close).
 */
export function exit_files(k: Kernel, mm: MmStruct, readers: (ctx: UserfaultfdCtx) => number): void {
  for (const ctx of k.uffds) if (ctx.openIn(mm)) uffd_file_put(k, ctx, mm, readers(ctx), 'exit_files');
  for (let ino = 1; ino <= k.nrInodes; ino++) {
    const m = k.inode(ino)!;
    if (m.live && m.openIn(mm)) shmem_close(k, mm, m);
  }
}
