// include/uapi/asm-generic/errno-base.h and errno.h (the values mmsim reports)
export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13,
  EFAULT: 14, EBUSY: 16, EEXIST: 17, EINVAL: 22, ENOSPC: 28, ERANGE: 34, ENOSYS: 38, ENOTTY: 25, EOPNOTSUPP: 95,
  EMLINK: 31, EHWPOISON: 133,
  // device: move_pages(2) of a node without memory
  ENODEV: 19,
} as const;
export type ErrnoName = keyof typeof ERRNO;
export const ERRNO_NAME: Record<number, ErrnoName> = Object.fromEntries(
  Object.entries(ERRNO).map(([k, v]) => [v, k as ErrnoName]),
) as Record<number, ErrnoName>;

/** An error a model syscall returns to user space (-errno), thrown inside the model and caught at the syscall boundary. */
export class SyscallError extends Error {
  constructor(readonly errno: number, readonly why: string) {
    super(`${ERRNO_NAME[errno] ?? errno}: ${why}`);
  }
}
export function fail(name: ErrnoName, why: string): never {
  throw new SyscallError(ERRNO[name], why);
}

/**
 * Something the model does not carry out (a gap of the model, never an answer of the kernel): it ends the
 * run, and the scenario runner reports it at the operation's place in the file (`field` is the
 * operation's field that asks for it).
 */
export class NotModelledError extends Error {
  /** `release`: a gap for this kernel only (a release older than what the model carries out there) */
  constructor(readonly field: string, readonly why: string, readonly release = false) {
    super(`not modelled: ${why}`);
  }
}
export function notModelled(field: string, why: string): never {
  throw new NotModelledError(field, why);
}
/** what this release did there is not modelled (the model carries out the newer behaviour only): `not modelled on <kernel>` */
export function notModelledOnRelease(field: string, why: string): never {
  throw new NotModelledError(field, why, true);
}
