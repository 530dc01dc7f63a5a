// include/asm-generic/bug.h and include/linux/mmdebug.h: a kernel BUG() the modelled code reaches (a
// VM_BUG_ON that fires on a CONFIG_DEBUG_VM kernel). The task that hit it is killed (make_task_dead with
// SIGSEGV, as die() does on x86) and the log shows "kernel BUG at FILE:LINE!"; nothing after the BUG ran.

/** thrown where the modelled kernel would oops; the scenario executor kills the calling thread */
export class KernelBug extends Error {
  /** where: the kernel's file and the assertion, e.g. "include/linux/page-flags.h PageAnonExclusive" */
  constructor(readonly where: string, readonly what: string) {
    super(`kernel BUG at ${where}: ${what}`);
  }
}
