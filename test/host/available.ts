// Whether the host tests can run here, and if not, the one-line reason they are skipped.
export { hostUnavailable } from '../../src/host/available.js';
