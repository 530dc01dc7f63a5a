// `npm run bench`: every benchmark of the project, one after another.
import { runModelBench, printLines } from './model.js';
import { runStartupBench, startupLines } from './startup.js';
import { runMemoryBench } from './run-memory.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
console.log(`mmsim benchmarks, ${new Date().toISOString().slice(0, 10)}, node ${process.version}`);
console.log('\n== start-up ==');
for (const l of startupLines(runStartupBench())) console.log(l);
console.log('\n== kernel model ==');
printLines(runModelBench());
console.log('\n== run memory ==');
runMemoryBench();
for (const extra of ['page.js', 'host.js', 'check.js']) {
  const p = join(here, extra);
  if (existsSync(p)) {
    console.log(`\n== ${extra.replace('.js', '')} ==`);
    const mod = (await import(p)) as { main?: () => Promise<void> };
    await mod.main?.();
  }
}
