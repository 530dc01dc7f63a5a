// A user's error in a scenario file: the file, line, column and field it is about. In a module of its
// own so that code that only throws or catches it (the machine, the executor) does not load the
// scenario loader and its validators.
export class ScenarioError extends Error {
  constructor(readonly file: string, readonly line: number, readonly col: number, readonly field: string, readonly detail: string) {
    super(`${file}:${line}:${col}: ${field ? field + ': ' : ''}${detail}`);
  }
}
