// Signals and si_code values the model delivers (include/uapi/asm-generic/signal.h, siginfo.h)
export const SIGBUS = 7;
export const SIGSEGV = 11;
export const SIGKILL = 9;
export const SIGNAL_NAME: Record<number, string> = { 7: 'SIGBUS', 11: 'SIGSEGV', 9: 'SIGKILL' };
export const BUS_ADRERR = 2;
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const SEGV_PKUERR = 4;
