/*
 * scenarios/check/live-snapshot*.yaml in Promela: the explorer's speed anchor (bench/check.ts).
 *
 * NVCPU vCPU threads each write two pages of a write-protected THP (uffd-wp); the migration thread
 * (handler) reads each fault message, saves a copy of the page and un-protects 4 KiB, which wakes
 * the vCPU. The kernel is upstream's (v6.18): the un-protect gives the write back, so no SIGBUS.
 *
 * One d_step is one atomic step of `mmsim check` (Machine.stepThread), and the state vector holds
 * what tells two of mmsim's states apart in this scenario (docs/check.md, "The SPIN anchor"), so
 * that pan stores as many states as `mmsim check` counts distinct states:
 * 224 / 2,774 / 34,726 / 460,082 / 6,659,300 for NVCPU = 2..6.
 *
 *   spin -DNVCPU=5 -a live-snapshot.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -w24
 */
#ifndef NVCPU
#define NVCPU 2
#endif
#define NPAGES (2 * NVCPU)
#define NONE 255

/* fault_pending_wqh of the uffd: the pages whose fault message nobody has read yet, in order */
chan pending = [NPAGES] of { byte };
/* uwq->waken of the fault sleeping on each page: the un-protect woke it, the vCPU has not run yet */
bool waken[NPAGES];
/* the handler: blocked in read(2) on the empty uffd; the `msg` variable (the page of the last
 * message read); the `copy` buffer and the last record of the `read` op (the page saved last) */
bool hblocked;
byte msg = NONE;
byte saved = NONE;
/* functions of the state above (they add no states, only checks): the PMD still maps the THP
 * (the first un-protect splits it), the page has lost its uffd-wp bit, the guest's write landed */
bool huge = true;
bool unprotected[NPAGES];
bool written[NPAGES];

/* one guest write to page P: the write-protect fault, then the resumption of the woken fault */
#define GUEST_WRITE(P) \
  /* do_huge_pmd_wp_page / do_wp_page -> handle_userfault(VM_UFFD_WP): queue the message, sleep */ \
  d_step { assert(!unprotected[P]); pending!(P) }; \
  /* woken by the un-protect: the fault is retried, the PTE is writable, the write lands */ \
  d_step { waken[P] -> waken[P] = false; assert(unprotected[P] && !huge); written[P] = true }

/* vCPU i writes page 2i, then page 2i+1 (pids 0..NVCPU-1) */
active [NVCPU] proctype vcpu()
{
  GUEST_WRITE(2 * _pid);
  GUEST_WRITE(2 * _pid + 1)
}

/* the migration thread, a `loop: true` thread: read_uffd, read 4 KiB (save the page), un-protect */
active proctype handler()
{
end_read:
  if
  /* read(2) on an empty queue sleeps (a step of its own; the thread is then idle) */
  :: d_step { len(pending) == 0 && !hblocked -> hblocked = true }; goto end_read
  /* read(2) takes the head of the queue (directly, or as the resumption of the sleeping read) */
  :: d_step { len(pending) > 0 -> pending?msg; hblocked = false }
  fi;
  /* read 4 KiB at msg.address into `copy`: the page as it was when write-protected (each page
   * faults once, so it is never the page saved last; reading `saved` keeps it in the state vector,
   * SPIN leaves write-only variables out of it) */
  d_step { assert(!written[msg] && saved != msg); saved = msg };
  /* UFFDIO_WRITEPROTECT mode 0 on 4 KiB: split the THP the first time, clear uffd-wp, wake the fault */
  d_step { huge = false; unprotected[msg] = true; waken[msg] = true };
  goto end_read
}
