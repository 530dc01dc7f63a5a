#!/usr/bin/env node
// Entry point of the mmsim command: the compiled CLI lives in dist/ (built by `npm install`).
import { fileURLToPath } from 'node:url';
import { missingNodeFlags, nodeFlagsFor } from '../dist/src/cli/node-flags.js';

const args = process.argv.slice(2);
const want = process.env.MMSIM_NODE_FLAGS === 'off' ? [] : missingNodeFlags(nodeFlagsFor(args[0]));
if (want.length > 0) {
  // node again, with the options the command wants (src/cli/node-flags.ts); the terminal's signals
  // reach the child itself (same process group), others are passed on; its exit is this one's
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, ...want, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, sig) => {
    if (sig !== null) {
      process.removeAllListeners(sig);
      process.kill(process.pid, sig);
    }
    process.exit(code ?? 1);
  });
} else {
  // MMSIM_SHOW_NODE_FLAGS=1: say which node options the command runs with (docs/check.md)
  if (process.env.MMSIM_SHOW_NODE_FLAGS === '1') process.stderr.write(`mmsim: node options: ${process.execArgv.join(' ') || '(none)'}\n`);
  const { main } = await import('../dist/src/cli/main.js');
  // a closed pipe (mmsim run ... | head) ends the output quietly
  process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(0); throw e; });
  main(args).then((code) => { process.exitCode = code; });
}
