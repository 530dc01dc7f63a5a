// Node options a command's process runs with. bin/mmsim.js starts node again with them when the
// process it runs in lacks them (V8 reads them only when it makes the heap: a running process cannot set
// them for itself). This module imports nothing: the entry point loads it before anything else.

/**
 * `mmsim check`: V8's young generation held at 1 MiB semi-spaces. V8 grows them to 16 MiB under a
 * search's garbage (about 115 bytes a transition), 32 MiB of memory that the search does not need: with 1
 * MiB it takes the same time (bench/check.ts, A/B at 5 and 6 vCPUs) and its peak memory per distinct state
 * is the visited set's. Worker threads get the same through `resourceLimits` (explore/parallel.ts).
 * And the old generation collected when it has grown by half over what the last collection kept (V8
 * picks 1.1x to 4x by itself): the states it promotes die on the search's stack, and a search keeps its
 * visited set outside the JavaScript heap, so that heap stays small and its garbage was a tenth of the
 * peak at 5 vCPUs (46-48 -> 43-44 bytes a state; the same CPU time at 5 and 6 vCPUs; `--no-reuse`, which
 * makes more garbage, takes 8 to 15 % more CPU time for 30 % less memory).
 */
export const CHECK_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--heap-growing-percent=50'];

/** the node options the command named by a command line's first word wants */
export function nodeFlagsFor(command: string | undefined): readonly string[] {
  return command === 'check' ? CHECK_NODE_FLAGS : [];
}

/** those of `flags` that `execArgv` (this process's node options) does not already hold */
export function missingNodeFlags(flags: readonly string[], execArgv: readonly string[] = process.execArgv): string[] {
  return flags.filter((f) => !execArgv.includes(f));
}
