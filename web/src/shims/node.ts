// What the page's bundle gets for `node:*` imports (scripts/build-web.js maps them all here). The
// modules the page runs import node:fs only to read a scenario file when no text is given, node:v8
// only for --max-memory budgets, and the explorer's parallel search (never started in the page)
// node:worker_threads; none of these paths runs in the browser, and each stub says so if one ever does.
function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser`);
}
export const readFileSync = (): never => unavailable('readFileSync');
export const statSync = (): never => unavailable('statSync');
export const existsSync = (): boolean => false;
export const getHeapStatistics = (): { heap_size_limit: number; used_heap_size: number; total_heap_size: number } => ({ heap_size_limit: 2 ** 32, used_heap_size: 0, total_heap_size: 0 });
export const createHash = (): never => unavailable('createHash');
export const availableParallelism = (): number => 1;
export const fileURLToPath = (u: string): string => String(u);
export const dirname = (p: string): string => p.replace(/\/[^/]*$/, '');
export const join = (...p: string[]): string => p.join('/');
export class Worker {
  constructor() {
    unavailable('worker_threads');
  }
}
export class MessageChannel {
  constructor() {
    unavailable('worker_threads');
  }
}
export const receiveMessageOnPort = (): never => unavailable('worker_threads');
export const parentPort = null;
export const workerData = null;
export default {};
