// The explorer's usage error, in a module of its own so that the CLI can parse `mmsim check`'s options
// without loading the explorer.

/** a bad `mmsim check` option or a scenario the explorer cannot take: printed in one line, exit 2 */
export class CheckError extends Error {}
