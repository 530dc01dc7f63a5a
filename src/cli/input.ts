// Reading a scenario named on the command line: a file, or `-` for standard input. What a user can get
// wrong here (a directory, a missing or unreadable file) is an InputError: one line, exit 2.
import { readFileSync, statSync } from 'node:fs';
import { loadScenario, type CompiledScenario } from '../scenario/load.js';

export class InputError extends Error {}

/** the name standard input goes by in messages (`<stdin>:3:5: setup.0.mmap.len: ...`) */
export const STDIN_NAME = '<stdin>';

export function readScenarioArg(file: string): CompiledScenario {
  return readScenarioArgWithText(file).sc;
}

/** the same, with the text it was read from (check's workers load it again) */
export function readScenarioArgWithText(file: string): { sc: CompiledScenario; text: string } {
  if (file === '-') {
    let text: string;
    try {
      text = readFileSync(0, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read the scenario from standard input: ${(e as Error).message}`);
    }
    return { sc: loadScenario(STDIN_NAME, text), text };
  }
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new InputError(`${file}: no such file`);
  }
  if (st.isDirectory()) throw new InputError(`${file}: is a directory; give a scenario file (YAML)`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return { sc: loadScenario(file, text), text };
}
