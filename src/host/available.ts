// Whether the host side (mmsim host, fuzz --host, the differential tests) can run here, and if not, the
// one-line reason it is skipped.
import { executorBuilt, executorPath } from './executor.js';
import { probeHost } from './probe.js';

export async function hostUnavailable(): Promise<string | null> {
  if (process.platform !== 'linux') return `the host executor needs Linux (this is ${process.platform})`;
  if (!executorBuilt()) return `the native executor is not built (${executorPath()}): run npm run build with gcc`;
  try {
    const caps = await probeHost();
    if (!caps.root) return 'not root: PFNs, /proc/kpageflags and userfaultfd need root';
    if (!caps.uffd_syscall) return 'userfaultfd is not available';
    return null;
  } catch (e) {
    return `the executor's probe failed: ${(e as Error).message}`;
  }
}
