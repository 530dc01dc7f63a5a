// Messages between the page and its Web Worker, where the model runs (web/src/worker.ts).
import type { TraceEvent } from '../../../src/trace/events.js';

export interface RunRequest {
  kind: 'run';
  id: number;
  /** the name shown in messages (scenarios/seed.yaml, or <editor>) */
  file: string;
  yaml: string;
  kernel: string;
  patches: string;
  config: string;
  schedule: string;
}

export interface CheckRequest {
  kind: 'check';
  id: number;
  file: string;
  yaml: string;
  kernel: string;
  patches: string;
  config: string;
  maxStates: number;
}

export type Request = RunRequest | CheckRequest;

/** an error a user can cause: where, which field, what */
export interface UserError {
  file: string;
  line: number;
  col: number;
  field: string;
  message: string;
}

export interface ThreadOutcome {
  state: string;
  signal: string | null;
  minflt: number;
  majflt: number;
}

export interface RunReply {
  kind: 'run';
  id: number;
  kernel: string;
  /** the profile the kernel was built from, and the patch edits that make it ("+a,-b", as --patch takes them) */
  profile: string;
  edits: string;
  release: string;
  events: TraceEvent[];
  /** the scenario's mappings by name (hex addr, len), for printing addresses as ram+0x7f000 */
  mappings: Record<string, { addr: string; len: string }>;
  threads: Record<string, ThreadOutcome>;
  schedule: string;
  deadlock: boolean;
  expectations: { line: number; text: string; ok: boolean | null; detail: string }[];
  ok: boolean;
  /** ms the model took in the worker */
  ms: number;
  /** true when the run stopped at the page's step limit */
  truncated: string | null;
  /** the configuration run with, each knob as --config writes it (thp: 'always', zero_page: 'n') */
  config: Record<string, string>;
  /** the same without the page's overrides: the profile's, after the scenario's own config */
  defaults: Record<string, string>;
  /** the knobs the scenario's `config:` sets */
  scenarioConfig: string[];
}

export interface CheckOutcomeRow {
  key: string;
  kind: string;
  count: number;
  threads: Record<string, ThreadOutcome>;
  conditions: Record<string, boolean>;
}

export interface CheckReply {
  kind: 'check';
  id: number;
  kernel: string;
  release: string;
  complete: boolean;
  stopped: string | null;
  states: number;
  outcomes: CheckOutcomeRow[];
  conditions: {
    name: string; kind: string; text: string; line: number; positive: number; negative: number;
    observation: string; expected: string[] | null; ok: boolean; counterexample: { schedule: string; steps: number } | null;
  }[];
  deadlocks: number;
  livelocks: number;
  deadlockSchedule: string | null;
  livelockSchedule: string | null;
  ok: boolean;
  ms: number;
}

export interface ErrorReply {
  kind: 'error';
  id: number;
  error: UserError | null;
  /** an internal error of the model (a bug), or a message without a position */
  message: string;
}

export type Reply = RunReply | CheckReply | ErrorReply;
