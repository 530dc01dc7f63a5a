// The page of `mmsim serve`: a scenario (from the list, or edited), one or two kernels, the run stepped
// through frame by frame (page tables, folios, VMAs, uffds, threads, kernel log), `check` results with
// a counterexample played back, and a link that reopens the same view. The model runs in a Web Worker
// (worker.ts); this file only draws the JSON trace it sends back.
import { render } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { PROFILES, resolveKernel } from '../../src/profiles/profiles.js';
import { PATCH_LIST } from '../../src/profiles/patches.js';
import { textLine } from '../../src/trace/format.js';
import type { CheckReply, Reply, Request, RunReply, UserError } from './lib/protocol.js';
import { decodeView, encodeView, type ViewState } from './lib/link.js';
import { klogUpTo, previousEntry, setupEnd, toFrames, type FolioInfo, type Frame, type PageState, type WalkRow } from './lib/frames.js';
import { alignFrames, firstDivergentRow, frameAtOrBefore, rowOfA, soloRows, type AlignedRow } from './lib/align.js';
import { chosenIds, normalizeEdits, profileIds, setPatch } from './lib/patches.js';
import { changedPageFields, changedPages, folioPage, folioPageRows, pageFlagNames } from './lib/folio-pages.js';
import { archOfKernel, columnsOf, changedColumns, entryValue, fieldText, setBitNames, type BitColumn } from './lib/bits.js';
import { allowedText, canonicalValue, configValues, formatConfigEdits, parseConfigEdits, setKnob, type ConfigKey } from './lib/config.js';
import { CONFIG_KEYS, CONFIG_KNOBS } from '../../src/profiles/config.js';

performance.mark('mmsim:open-start');

// ---- the worker ---------------------------------------------------------------------------------
let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, (r: Reply) => void>();
type NoId<T> = T extends unknown ? Omit<T, 'id'> : never;
function ask(req: NoId<Request>): Promise<Reply> {
  if (!worker) {
    worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (ev: MessageEvent<Reply>) => {
      const f = pending.get(ev.data.id);
      pending.delete(ev.data.id);
      f?.(ev.data);
    };
  }
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker!.postMessage({ ...req, id } as Request);
  });
}

// ---- small pieces --------------------------------------------------------------------------------
interface Loaded {
  reply: RunReply;
  frames: Frame[];
}

interface Failure {
  error: UserError | null;
  message: string;
}

function fileName(v: ViewState): string {
  return v.scenario ? `scenarios/${v.scenario}` : '<editor>';
}

/** the machine's thread states in words: ready is running (or runnable), signal is signalled */
function threadStateText(s: string): string {
  return s === 'ready' ? 'running' : s === 'signal' ? 'signalled' : s === 'killed' ? 'killed' : s;
}

function SignalBadge({ sig, where }: { sig: string; where: string }) {
  return <span class="badge sig" data-testid="signal-marker" title={`${where} died of ${sig}`}>{sig}</span>;
}

/** one page-table entry's raw value and bits in named columns; changed bits marked */
function BitCells({ value, prev, cols }: { value: string; prev: string | null | undefined; cols: readonly BitColumn[] }) {
  const v = entryValue(value);
  const changed = changedColumns(prev, value, cols);
  return (
    <>
      {cols.map((c) => (
        <td key={c.name} class={`bit${changed.has(c.name) ? ' chg' : ''}${c.lo !== c.hi ? ' wide' : ''}${c.rare ? ' rare' : ''}`} data-bit={c.name} title={c.title}>
          {fieldText(v, c)}
        </td>
      ))}
    </>
  );
}

function BitHead({ cols }: { cols: readonly BitColumn[] }) {
  return (
    <>
      {cols.map((c) => <th key={c.name} scope="col" class={`bit${c.lo !== c.hi ? ' wide' : ''}${c.rare ? ' rare' : ''}`} title={c.title}>{c.name}</th>)}
    </>
  );
}

/** the entries shown of a full table: the observed one, its neighbours, those that changed; or all 512 */
function tableRows(row: WalkRow, prev: WalkRow | undefined, all: boolean): number[] {
  const ents = row.entries ?? {};
  if (all) return Array.from({ length: 512 }, (_, i) => i);
  const keep = new Set<number>([row.index]);
  for (const d of [-2, -1, 1, 2]) if (row.index + d >= 0 && row.index + d < 512) keep.add(row.index + d);
  const pe = prev?.entries ?? {};
  for (const k of new Set([...Object.keys(ents), ...Object.keys(pe)])) if (ents[k] !== pe[k] && prev) keep.add(Number(k));
  return [...keep].sort((a, b) => a - b);
}

function PageTree({ page, prev, side, cols }: { page: PageState; prev: PageState | undefined; side: string; cols: readonly BitColumn[] }) {
  const [all, setAll] = useState(false);
  const last = page.walk[page.walk.length - 1]!;
  const prevLast = prev?.walk.find((r) => r.level === last.level);
  const nEntries = Object.keys(last.entries ?? {}).length;
  return (
    <section class="card pt" data-testid="pagetable" data-key={page.key} aria-label={`page tables of ${page.key}`}>
      <h3>{page.key} <span class="dim">{page.addr} · {page.process}</span></h3>
      <div class="scroll">
        <table class="bits">
          <thead>
            <tr><th scope="col">level</th><th scope="col">index</th><th scope="col">raw value</th><BitHead cols={cols} /></tr>
          </thead>
          <tbody>
            {page.walk.map((r) => {
              const p = previousEntry(page, prev, r);
              return (
                <tr key={r.level} data-level={r.level} class={r.leaf ? 'leaf' : ''}>
                  <th scope="row" title={`in the table at pfn ${r.table}${r.folded ? '; folded into the PGD on 4-level paging' : ''}`}>{r.level.toUpperCase()}{r.folded ? ' =PGD' : ''}{r.leaf ? (r.level === 'pmd' ? ' huge' : '') : ''}</th>
                  <td>{r.index}</td>
                  <td class={`mono raw${p && p.entry !== r.entry ? ' chg' : ''}`} data-testid={`entry-${r.level}`} title={`${setBitNames(entryValue(r.entry), cols)}${p?.from ? ` (compared with ${p.from})` : ''}`}>{r.entry}</td>
                  <BitCells value={r.entry} prev={p?.entry} cols={cols} />
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {last.entries && (
        <div class="full">
          <button type="button" class="link" aria-expanded={all} data-testid="open-all" onClick={() => setAll(!all)}>
            {last.level.toUpperCase()} table {last.table}: {nEntries} of 512 entries not none; {all ? 'fold to the entries that matter' : 'show all 512'}
          </button>
          <div class="scroll">
            <table class="bits entries" aria-label={`${last.level} table of ${page.key}${side}`}>
              <thead><tr><th scope="col">index</th><th scope="col">raw value</th><BitHead cols={cols} /></tr></thead>
              <tbody>
                {tableRows(last, prevLast, all).map((i) => {
                  const v = last.entries![i] ?? '0x0000000000000000';
                  const pv = prevLast ? prevLast.entries?.[i] ?? '0x0000000000000000' : null;
                  return (
                    <tr key={i} class={i === last.index ? 'observed' : ''}>
                      <th scope="row">{i}</th>
                      <td class={`mono raw${pv !== null && pv !== v ? ' chg' : ''}`}>{v}</td>
                      <BitCells value={v} prev={pv} cols={cols} />
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      )}
      {!last.entries && !last.leaf && <p class="dim">no table below the {last.level.toUpperCase()}: nothing mapped</p>}
      {page.page && (
        <p class="folio">page {page.pfn}: index {page.page.index} of the folio at {page.page.head} (order {page.page.order}{page.page.zero ? ', the zero page' : ''}),
          page mapcount {page.page.page_mapcount ?? '-'}, kpageflags {page.page.kpageflags}</p>
      )}
    </section>
  );
}

/** the pages of a large folio one by one (head and tails), folded to those that matter; all on demand */
function FolioPages({ folio, prev, pages, side }: { folio: FolioInfo; prev: FolioInfo | undefined; pages: PageState[]; side: string }) {
  const [all, setAll] = useState(false);
  const head = Number(BigInt(folio.head));
  const n = 1 << folio.order;
  const observed = pages.filter((p) => p.pfn !== null && Number(BigInt(p.pfn)) - head >= 0 && Number(BigInt(p.pfn)) - head < n).map((p) => Number(BigInt(p.pfn!)) - head);
  const rows = folioPageRows(folio, prev, observed, all);
  const changed = changedPages(folio, prev).length;
  return (
    <div class="full folio-pages" data-testid="folio-pages" data-head={folio.head}>
      <button type="button" class="link" aria-expanded={all} data-testid="open-all-pages" onClick={() => setAll(!all)}>
        pages of the folio at {folio.head}: {rows.length} of {n} listed{changed ? `, ${changed} changed since the previous step` : ''}; {all ? 'fold to the pages that matter' : `show all ${n}`}
      </button>
      <div class="scroll">
        <table class="bits pages" aria-label={`pages of the folio at ${folio.head}${side}`}>
          <thead><tr><th scope="col">page</th><th scope="col">pfn</th><th scope="col" title="page->flags as kept for this page (PG_head on the head)">flags</th>
            <th scope="col" title="page_ref_count(page): the folio's count on the head, 0 on a tail">refcount</th>
            <th scope="col" title="page->_mapcount as stored: -1 when no PTE maps the page">_mapcount</th>
            <th scope="col" title="page_mapcount(page): its PTE mappings plus the folio's entire (PMD) mappings">page_mapcount</th></tr></thead>
          <tbody>
            {rows.map((i) => {
              const p = folioPage(folio, i)!;
              const ch = changedPageFields(folio, prev, i);
              return (
                <tr key={i} data-page={i} class={observed.includes(i) ? 'observed' : ''}>
                  <th scope="row">{i === 0 ? 'head' : `tail ${i}`}</th>
                  <td class="mono">{p.pfn}</td>
                  <td class={`mono${ch.has('flags') ? ' chg' : ''}`} data-field="flags">{i === 0 ? 'head|' : ''}{pageFlagNames(p.flags)}</td>
                  <td class={ch.has('refcount') ? 'chg' : ''} data-field="refcount">{p.refcount}</td>
                  <td class={ch.has('mapcount') ? 'chg' : ''} data-field="mapcount">{p.mapcount}</td>
                  <td class={ch.has('pageMapcount') ? 'chg' : ''} data-field="page_mapcount">{p.pageMapcount}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function StepView({ run, frame, prev, side }: { run: Loaded; frame: Frame; prev: Frame | undefined; side: string }) {
  const st = frame.state;
  const m = run.reply.mappings;
  const klog = useMemo(() => klogUpTo(run.frames, frame.index), [run, frame.index]);
  // the entry bits in the names of the kernel's architecture (src/kernel/arch/arch.ts)
  const cols = columnsOf(archOfKernel(run.reply.kernel));
  return (
    <div class="step" data-testid={`step-view${side}`}>
      <section class="card" aria-label="what happened in this step">
        <h3>
          {frame.step === 0 ? 'setup' : `step ${frame.step}`} · {frame.thread} · {st.op_name ?? '-'} <span class="dim">({st.op}{st.line ? `, line ${st.line}` : ''})</span>
        </h3>
        <p>acting: <code class="acting" data-testid={`acting${side}`}>{frame.acting}</code>
          {frame.fns.length > 1 && <span class="dim"> · {frame.fns.filter((f) => f !== frame.acting).join(', ')}</span>}</p>
        <pre class="events">{frame.events.map((e) => textLine(e, m)).filter((l) => l !== null).join('\n') || '(no events)'}</pre>
      </section>
      {st.pages.map((p) => <PageTree key={p.key} page={p} prev={prev?.state.pages.find((x) => x.key === p.key)} side={side} cols={cols} />)}
      <section class="card" aria-label="threads">
        <h3>Threads</h3>
        <table class="plain">
          <thead><tr><th scope="col">thread</th><th scope="col">state</th><th scope="col">next op</th><th scope="col">faults</th></tr></thead>
          <tbody>
            {st.threads.map((t) => (
              <tr key={t.name} data-thread={t.name}>
                <th scope="row">{t.name}</th>
                <td>{threadStateText(t.state)}{t.wait ? ` in ${t.wait}` : ''} {t.signal && <SignalBadge sig={t.signal} where={t.name} />}</td>
                <td>{t.op ?? '-'}</td>
                <td>{t.minflt ?? 0}/{t.majflt ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card" aria-label="folios">
        <h3>Folios at the observed addresses</h3>
        {st.folios.length === 0 ? <p class="dim">none mapped</p> : (
          <table class="plain">
            <thead><tr><th scope="col">head pfn</th><th scope="col">order</th><th scope="col">flags</th><th scope="col">refcount</th><th scope="col">mapcount</th><th scope="col">kpageflags (head)</th></tr></thead>
            <tbody>{st.folios.map((f) => <tr key={f.head}><td class="mono">{f.head}</td><td>{f.order} ({1 << f.order} pages{f.order ? ': head and tails' : ''})</td><td><span class="mono">{f.flags}</span> <span class="dim">{pageFlagNames(Number(BigInt(f.flags))).replace(/\|/g, '|\u200b')}</span></td><td>{f.refcount}</td><td>{f.mapcount}{f.entire_mapcount !== undefined ? <span class="dim"> (entire {f.entire_mapcount}{f.pincount ? `, pinned ${f.pincount}` : ''})</span> : null}</td><td class="mono">{f.kpageflags}</td></tr>)}</tbody>
          </table>
        )}
        {st.folios.filter((f) => f.subpages).map((f) => (
          <FolioPages key={f.head} folio={f} prev={prev?.state.folios.find((x) => x.head === f.head)} pages={st.pages} side={side} />
        ))}
      </section>
      <section class="card" aria-label="VMAs">
        <h3>VMAs</h3>
        <table class="plain">
          <thead><tr><th scope="col">range</th><th scope="col">mapping</th><th scope="col">vm_flags</th><th scope="col">uffd</th></tr></thead>
          <tbody>
            {st.vmas.map((v) => (
              <tr key={v.process + v.start}>
                <td class="mono">{v.start}-{v.end}</td><td>{v.label}{v.process !== 'main' ? ` (${v.process})` : ''}</td>
                <td><span class="mono">{v.vm_flags}</span><div class="flags">{v.names.split('|').map((n) => <span key={n} class="chip">{n.replace(/^VM_/, '')}</span>)}</div></td>
                <td>{v.uffd ?? '-'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="card" aria-label="userfaultfds">
        <h3>userfaultfd</h3>
        {st.uffds.length === 0 ? <p class="dim">none</p> : st.uffds.map((u) => (
          <div key={u.name} class="uffd">
            <p><b>{u.name}</b> features {u.features}{u.api ? '' : ' (no UFFDIO_API yet)'}{u.released ? ' released' : ''}</p>
            <p>registered: {u.registered.length === 0 ? 'nothing' : u.registered.map((r) => `${r.start}-${r.end} [${[r.missing && 'MISSING', r.wp && 'WP', r.minor && 'MINOR'].filter(Boolean).join('|')}]`).join(', ')}</p>
            <p>pending (not read): {u.pending.length === 0 ? 'none' : u.pending.map((q) => `${q.thread}: event ${q.event} flags ${q.flags} @ ${q.address}`).join('; ')}</p>
            <p>read, fault waiting: {u.waiting.length === 0 ? 'none' : u.waiting.map((q) => `${q.thread}: flags ${q.flags} @ ${q.address}`).join('; ')}</p>
          </div>
        ))}
      </section>
      <section class="card" aria-label="kernel log">
        <h3>Kernel log so far</h3>
        <pre class="klog" data-testid={`klog${side}`}>{klog.length ? klog.map((l) => `kernel: ${l}`).join('\n') : '(empty)'}</pre>
      </section>
    </div>
  );
}

function Outcome({ run, label }: { run: Loaded; label: string }) {
  const r = run.reply;
  return (
    <div class="outcome" data-testid="outcome">
      <b>{label} {r.kernel}</b> <span class="dim">({r.release})</span>:{' '}
      {Object.entries(r.threads).map(([n, t]) => (
        <span key={n} class="thr">{n} {t.signal ? <SignalBadge sig={t.signal} where={n} /> : t.state}</span>
      ))}
      {r.deadlock && <span class="badge sig">deadlock</span>}
      {' '}<span class={r.ok ? 'pass' : 'fail'}>{r.expectations.length ? (r.ok ? 'expectations PASS' : 'expectations FAIL') : ''}</span>
      <span class="dim"> · schedule {r.schedule || '(none)'} · model {Math.round(r.ms)} ms</span>
    </div>
  );
}

function CheckView({ check, onPlay }: { check: CheckReply; onPlay: (schedule: string) => void }) {
  const condNames = check.conditions.map((c) => c.name);
  return (
    <section class="card check" data-testid="check" aria-label="check results">
      <h3>check on {check.kernel} <span class="dim">({check.complete ? 'complete' : `incomplete: ${check.stopped}`}, {check.states} states, {Math.round(check.ms)} ms)</span></h3>
      <table class="plain">
        <thead><tr><th scope="col">outcome</th><th scope="col">count</th>{condNames.map((n) => <th scope="col" key={n}>{n}</th>)}</tr></thead>
        <tbody>
          {check.outcomes.map((o) => (
            <tr key={o.key}><td class="mono">{o.kind !== 'final' ? `[${o.kind}] ` : ''}{o.key}</td><td>{o.count}</td>{condNames.map((n) => <td key={n}>{o.conditions[n] ? 'P' : '¬P'}</td>)}</tr>
          ))}
        </tbody>
      </table>
      <pre class="herd" data-testid="verdicts">{check.conditions.map((c) => `Observation ${c.name} ${c.observation} ${c.positive} ${c.negative}${c.expected ? `   expected ${c.expected.join(' or ')}` : ''}: ${c.ok ? 'as expected' : 'NOT as expected'}`).join('\n')}</pre>
      {check.conditions.filter((c) => c.counterexample).map((c) => (
        <p key={c.name}>{c.name} ({c.kind} {c.text}): counterexample, {c.counterexample!.steps} steps <code>{c.counterexample!.schedule}</code>{' '}
          <button type="button" data-testid="play-counterexample" onClick={() => onPlay(c.counterexample!.schedule)}>Play it back</button></p>
      ))}
      {check.deadlockSchedule && <p>deadlock: <code>{check.deadlockSchedule}</code> <button type="button" onClick={() => onPlay(check.deadlockSchedule!)}>Play it back</button></p>}
      {check.livelockSchedule && <p>livelock: <code>{check.livelockSchedule}</code> <button type="button" onClick={() => onPlay(check.livelockSchedule!)}>Play it back</button></p>}
    </section>
  );
}

function Editor({ text, setText, error, taRef }: { text: string; setText: (s: string) => void; error: UserError | null; taRef: { current: HTMLTextAreaElement | null } }) {
  const gutter = useRef<HTMLPreElement>(null);
  const lines = text.split('\n').length;
  return (
    <div class="editor">
      <pre class="gutter" ref={gutter} aria-hidden="true">{Array.from({ length: lines }, (_, i) => (
        <span key={i} class={error && error.line === i + 1 ? 'errline' : ''}>{i + 1}{'\n'}</span>
      ))}</pre>
      <textarea ref={taRef} spellcheck={false} aria-label="scenario YAML" data-testid="yaml" value={text}
        onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
        onScroll={(e) => { if (gutter.current) gutter.current.scrollTop = (e.currentTarget as HTMLTextAreaElement).scrollTop; }} />
    </div>
  );
}

/** the offset in text of line:col (1-based) */
function offsetOf(text: string, line: number, col: number): number {
  let off = 0;
  const ls = text.split('\n');
  for (let i = 0; i < line - 1 && i < ls.length; i++) off += ls[i]!.length + 1;
  return off + Math.max(0, col - 1);
}

/**
 * The patch table rows of the chosen profile, each a checkbox (12-hex commit, subject, release), and rows
 * from outside it added one by one: the edits --patch +x,-y makes, applied at once. Folded by default so
 * that Tab does not walk a hundred checkboxes on the way to the slider.
 */
function PatchChooser({ kernel, edits, onChange }: { kernel: string; edits: string; onChange: (edits: string) => void }) {
  const inProfile = useMemo(() => profileIds(kernel), [kernel]);
  const [filter, setFilter] = useState('');
  const [extra, setExtra] = useState<string[]>([]);
  const [toAdd, setToAdd] = useState('');
  const chosen = chosenIds(inProfile, edits);
  const norm = normalizeEdits(inProfile, edits);
  const listed = PATCH_LIST.filter((p) => inProfile.has(p.id) || chosen.has(p.id) || extra.includes(p.id));
  const f = filter.trim().toLowerCase();
  const shown = f ? listed.filter((p) => `${p.id} ${p.commit} ${p.subject} ${p.release}`.toLowerCase().includes(f)) : listed;
  const addable = PATCH_LIST.filter((p) => !inProfile.has(p.id) && !chosen.has(p.id));
  const add = () => {
    if (!toAdd) return;
    setExtra([...extra, toAdd]);
    setToAdd('');
    onChange(setPatch(inProfile, edits, toAdd, true));
  };
  return (
    <details class="patches" data-testid="patch-chooser">
      <summary>patches: {chosen.size} rows{norm ? <> · <code data-testid="patch-edits">--patch {norm}</code></> : <span class="dim"> (the profile's own)</span>}</summary>
      <label>filter <input type="search" value={filter} placeholder="id, commit, subject or release" data-testid="patch-filter"
        onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)} /></label>
      <ul class="patchlist" aria-label={`patch table rows of ${kernel}`}>
        {shown.map((p) => {
          const on = chosen.has(p.id);
          const mark = inProfile.has(p.id) ? (on ? '' : 'removed') : 'added';
          return (
            <li key={p.id} class={mark} data-patch={p.id}>
              <label title={`${p.id}: ${p.summary}${p.ref ? ` (${p.ref})` : ''}`}>
                <input type="checkbox" checked={on} data-testid={`patch-${p.id}`} onChange={(e) => onChange(setPatch(inProfile, edits, p.id, (e.currentTarget as HTMLInputElement).checked))} />
                <code class="commit">{p.commit || '(proposal)'}</code> <span class="subj">{p.subject}</span> <span class="dim">{p.release}{mark === 'removed' ? ' · taken out' : mark === 'added' ? ' · added' : ''}</span>
              </label>
            </li>
          );
        })}
        {shown.length === 0 && <li class="dim">no row matches</li>}
      </ul>
      <div class="row">
        <label>add a row the profile does not have
          <select value={toAdd} data-testid="patch-add" onChange={(e) => setToAdd((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">(choose a row)</option>
            {addable.map((p) => <option key={p.id} value={p.id}>{p.commit || '(proposal)'} {p.subject} — {p.release}</option>)}
          </select>
        </label>
        <button type="button" data-testid="patch-add-button" disabled={!toAdd} onClick={add}>Add</button>
      </div>
    </details>
  );
}

/** a profile's configuration by knob, before the scenario's config (for a page that has no run yet) */
function profileDefaults(kernel: string): Record<string, string> | null {
  try {
    return kernel ? configValues(resolveKernel(kernel).config) : null;
  } catch {
    return null;
  }
}

/**
 * Each knob of the model's configuration as a control (a select for a choice of words, a checkbox for
 * y/n, a number input with its range), showing the kernel's default; a change reruns at once. The
 * overrides are kept as --config writes them (the link's `c=`). Folded like the patches.
 */
function ConfigChooser({ kernel, edits, defaults, fromScenario, both, onChange }: {
  kernel: string; edits: string; defaults: Record<string, string> | null; fromScenario: string[]; both: boolean; onChange: (edits: string) => void;
}) {
  const parsed = parseConfigEdits(edits);
  const norm = formatConfigEdits(parsed.values);
  /** a number being typed that is not a value the knob takes: shown, not applied */
  const [bad, setBad] = useState<Record<string, string>>({});
  const set = (key: ConfigKey, raw: string | null) => {
    setBad((b) => { const { [key]: _, ...rest } = b; return rest; });
    onChange(setKnob(edits, key, raw, defaults));
  };
  return (
    <details class="patches config" data-testid="config-chooser" open={parsed.errors.length > 0 || undefined}>
      <summary>config: {parsed.values.size ? <><span>{parsed.values.size} changed</span> · <code data-testid="config-edits">--config {norm}</code></> : <span class="dim"> (the defaults of {kernel || 'the profile'})</span>}</summary>
      {parsed.errors.length > 0 && (
        <div class="error" role="alert" data-testid="config-error">config of the link, not applied: {parsed.errors.join('; ')} (changing a knob drops it)</div>
      )}
      {both && <p class="dim">applied to both runs</p>}
      <div class="scroll">
      <table class="plain knobs" aria-label={`config of ${kernel}`}>
        <tbody>
          {CONFIG_KEYS.map((key) => {
            const knob = CONFIG_KNOBS[key];
            const over = parsed.values.get(key);
            const def = defaults?.[key];
            const value = over ?? def ?? '';
            const id = `knob-${key}`;
            const defText = def === undefined ? '' : `default ${def}${fromScenario.includes(key) ? " (the scenario's config)" : ''}`;
            const err = bad[key];
            return (
              <tr key={key} data-knob={key} class={over !== undefined ? 'added' : ''}>
                <th scope="row"><label for={id} title={knob.title}><code>{key}</code></label></th>
                <td>
                  {knob.kind === 'bool' ? (
                    <input id={id} type="checkbox" checked={value === 'y'} data-testid={id} aria-describedby={`${id}-def`}
                      onChange={(e) => set(key, (e.currentTarget as HTMLInputElement).checked ? 'y' : 'n')} />
                  ) : knob.kind === 'enum' ? (
                    <select id={id} value={value} data-testid={id} aria-describedby={`${id}-def`} onChange={(e) => set(key, (e.currentTarget as HTMLSelectElement).value)}>
                      {value === '' && <option value="">(unknown)</option>}
                      {knob.values.map((v) => <option key={v} value={v}>{v}{v === def ? ' (default)' : ''}</option>)}
                    </select>
                  ) : (
                    <input id={id} type="number" min={knob.min} max={knob.max} step={1} value={err ?? value} data-testid={id} class="num"
                      aria-invalid={err !== undefined || undefined} aria-describedby={`${id}-def${err !== undefined ? ` ${id}-err` : ''}`}
                      onChange={(e) => {
                        const raw = (e.currentTarget as HTMLInputElement).value;
                        if (canonicalValue(key, raw) === undefined) setBad((b) => ({ ...b, [key]: raw }));
                        else set(key, raw);
                      }} />
                  )}
                  {err !== undefined && <span class="knob-error" role="alert" id={`${id}-err`} data-testid={`${id}-error`}>{key}: '{err}' is not {allowedText(key)}; not applied</span>}
                </td>
                <td class="dim def" id={`${id}-def`}>{over !== undefined ? <>changed · {defText}</> : defText}</td>
                <td>{over !== undefined && <button type="button" class="link" data-testid={`${id}-reset`} onClick={() => set(key, null)} aria-label={`${key} back to its default`}>reset</button>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      </div>
    </details>
  );
}

/** the aligned rows as a list, folded (drawn only when opened): what each run did, paired or a gap; a row's button goes there */
function AlignmentList({ rows, a, b, frame, goTo }: { rows: AlignedRow[]; a: Loaded; b: Loaded; frame: number; goTo: (f: number) => void }) {
  const [open, setOpen] = useState(false);
  const cell = (f: Frame | undefined) => (f ? <>{f.step === 0 ? 'setup' : `step ${f.step}`} · {f.thread} · {f.state.op_name ?? '-'} <code>{f.acting}</code></> : <span class="dim">(no such step)</span>);
  return (
    <details class="card alignlist" data-testid="alignment-list" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>the two runs row by row</summary>
      {open && (
        <table class="plain">
          <thead><tr><th scope="col">row</th><th scope="col">[A] {a.reply.kernel}</th><th scope="col">[B] {b.reply.kernel}</th><th scope="col">state</th></tr></thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i} data-row={i} class={`${i === frame ? 'observed' : ''}${r.same ? '' : ' differs'}`}>
                <th scope="row"><button type="button" class="link" onClick={() => goTo(i)} aria-current={i === frame ? 'step' : undefined}>{i + 1}</button></th>
                <td>{cell(r.a === null ? undefined : a.frames[r.a])}</td>
                <td>{cell(r.b === null ? undefined : b.frames[r.b])}</td>
                <td>{r.a === null ? 'B only' : r.b === null ? 'A only' : r.same ? 'same' : 'differs'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}

// ---- the page ------------------------------------------------------------------------------------
function App() {
  const initial = useMemo(() => decodeView(location.hash), []);
  const hadFrame = useMemo(() => /(^|[#&])f=/.test(location.hash), []);
  const [view, setView] = useState<ViewState>(initial);
  const [scenarios, setScenarios] = useState<string[]>([]);
  const [text, setText] = useState<string>(initial.yaml ?? '');
  const [fileText, setFileText] = useState<string | null>(null);
  const [runA, setRunA] = useState<Loaded | null>(null);
  const [runB, setRunB] = useState<Loaded | null>(null);
  /** the rows the slider steps through: A's frames alone, or A and B aligned by what happened */
  const [rows, setRows] = useState<AlignedRow[]>([]);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [check, setCheck] = useState<CheckReply | null>(null);
  const [busy, setBusy] = useState('');
  const [playing, setPlaying] = useState(false);
  const [theme, setTheme] = useState<string>(() => localStorage.getItem('mmsim-theme') ?? 'auto');
  const [copied, setCopied] = useState(false);
  const [controls, setControls] = useState(!initial.compare);
  const taRef = useRef<HTMLTextAreaElement | null>(null);
  const opened = useRef(false);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('mmsim-theme', theme);
  }, [theme]);

  // a link pasted into this tab changes only the fragment, which loads nothing: open the view it names
  // (the page's own updates use history.replaceState, which fires no hashchange)
  useEffect(() => {
    const onHash = () => location.reload();
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // the link always says what is shown
  useEffect(() => {
    const h = '#' + encodeView({ ...view, yaml: fileText !== null && text === fileText ? null : text || null });
    if (location.hash !== h) history.replaceState(null, '', h);
  }, [view, text, fileText]);

  // frameFrom: the row of the link ('keep'), the end of setup, the first step, or the row showing frame `a` of A
  const run = useCallback(async (v: ViewState, yaml: string, frameFrom: 'keep' | 'setup' | 'first-step' | { a: number }) => {
    setBusy('running the model…');
    setFailure(null);
    // patches edit the first profile only; the second is a kernel spec of its own (v4.19-uffd-wp-2018+fix)
    const base = { kind: 'run' as const, file: fileName(v), yaml, config: v.config, schedule: v.schedule };
    const a = await ask({ ...base, kernel: v.kernel, patches: v.patches });
    if (a.kind !== 'run') {
      setBusy('');
      setFailure(a.kind === 'error' ? { error: a.error, message: a.message } : { error: null, message: 'unexpected reply' });
      setRunA(null);
      setRunB(null);
      setRows([]);
      return;
    }
    const la = { reply: a, frames: toFrames(a.events) };
    let lb: Loaded | null = null;
    if (v.compare) {
      const b = await ask({ ...base, kernel: v.compare, patches: '' });
      if (b.kind === 'run') lb = { reply: b, frames: toFrames(b.events) };
      else setFailure(b.kind === 'error' ? { error: b.error, message: `${v.compare}: ${b.message}` } : null);
    }
    const rs = lb ? alignFrames(la.frames, lb.frames) : soloRows(la.frames.length);
    setRunA(la);
    setRunB(lb);
    setRows(rs);
    setBusy('');
    const n = rs.length;
    const aFrame = frameFrom === 'keep' ? null : frameFrom === 'setup' ? setupEnd(la.frames) : frameFrom === 'first-step' ? Math.min(setupEnd(la.frames) + 1, la.frames.length - 1) : frameFrom.a;
    const frame = aFrame === null ? Math.min(v.frame, n - 1) : rowOfA(rs, aFrame);
    // the scenario's own kernel (kernel: v5.7+gup-force-cow-break) becomes the chosen profile and its patch edits
    const own = v.kernel ? {} : { kernel: a.profile, patches: a.edits };
    setView({ ...v, ...own, frame: Math.max(0, frame) });
  }, []);

  // first load: the list, the scenario of the link (or the first one), and its run
  useEffect(() => {
    (async () => {
      let list: string[] = [];
      try {
        const r = await fetch('scenarios/index.json');
        list = ((await r.json()) as { scenarios: string[] }).scenarios;
      } catch {
        list = [];
      }
      setScenarios(list);
      let v = initial;
      if (!v.scenario && v.yaml === null) v = { ...v, scenario: list.find((s) => s === 'seed-thp-split-uffd-wp.yaml') ?? list.find((s) => s.startsWith('seed')) ?? list[0] ?? null };
      let yaml = v.yaml ?? '';
      if (v.scenario) {
        try {
          const r = await fetch(`scenarios/${v.scenario}`);
          if (!r.ok) throw new Error(`${r.status}`);
          const t = await r.text();
          setFileText(t);
          if (v.yaml === null) yaml = t;
        } catch {
          setFailure({ error: null, message: `scenarios/${v.scenario}: cannot be loaded` });
        }
      }
      setText(yaml);
      setView(v);
      if (yaml) await run(v, yaml, hadFrame ? 'keep' : 'setup');
    })();
  }, []);

  // the open measure: from navigation to the first run drawn
  useLayoutEffect(() => {
    if (runA && !opened.current) {
      opened.current = true;
      performance.measure('mmsim:open', { start: 0, end: performance.now() });
      document.body.dataset.ready = '1';
    }
  }, [runA]);

  const nFrames = rows.length;
  const frame = Math.min(view.frame, Math.max(0, nFrames - 1));
  const divergence = useMemo(() => (runA && runB ? firstDivergentRow(rows) : null), [runA, runB, rows]);

  const goTo = useCallback((f: number) => {
    performance.mark('mmsim:step-start');
    setView((v) => ({ ...v, frame: Math.max(0, Math.min(f, nFrames - 1)) }));
  }, [nFrames]);

  // the per-step redraw measure: from the key (or slider) to the DOM committed
  useLayoutEffect(() => {
    if (performance.getEntriesByName('mmsim:step-start').length) {
      performance.measure('mmsim:step', 'mmsim:step-start');
      performance.clearMarks('mmsim:step-start');
    }
    document.body.dataset.frame = String(frame);
  }, [frame, runA]);

  // keyboard: ←/→, Home/End step; ignored while typing in a field. One listener from the first render
  // on, reading the current frame through a ref, so a key pressed right after a redraw is never lost.
  const keyState = useRef({ frame, nFrames, goTo });
  keyState.current = { frame, nFrames, goTo };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      // typing, or choosing in a list; the slider steps by itself. A checkbox or a button has no use for the arrows.
      if (t && (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || (t.tagName === 'INPUT' && !['checkbox', 'button'].includes((t as HTMLInputElement).type)))) return;
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const { frame: f0, nFrames: n, goTo: go } = keyState.current;
      let f: number | null = null;
      if (e.key === 'ArrowRight') f = f0 + 1;
      else if (e.key === 'ArrowLeft') f = f0 - 1;
      else if (e.key === 'Home') f = 0;
      else if (e.key === 'End') f = n - 1;
      if (f === null || n === 0) return;
      e.preventDefault();
      go(f);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    if (!playing) return;
    if (frame >= nFrames - 1) {
      setPlaying(false);
      return;
    }
    const t = setTimeout(() => goTo(frame + 1), 700);
    return () => clearTimeout(t);
  }, [playing, frame, nFrames, goTo]);

  const chooseScenario = async (s: string) => {
    const r = await fetch(`scenarios/${s}`);
    const t = await r.text();
    setFileText(t);
    setText(t);
    setCheck(null);
    const v = { ...view, scenario: s, yaml: null, schedule: '', kernel: '', frame: 0 };
    await run(v, t, 'setup');
  };

  const rerun = (patch: Partial<ViewState>) => {
    const v = { ...view, ...patch };
    setView(v);
    // stay on the frame of A shown now (rows change meaning when a second run comes or goes)
    const a = frameAtOrBefore(rows, frame, 'a');
    return run(v, text, a === null ? 'keep' : { a });
  };

  const doCheck = async () => {
    setBusy('checking every interleaving…');
    const r = await ask({ kind: 'check', file: fileName(view), yaml: text, kernel: view.kernel, patches: view.patches, config: view.config, maxStates: 200_000 });
    setBusy('');
    if (r.kind === 'check') setCheck(r);
    else if (r.kind === 'error') setFailure({ error: r.error, message: r.message });
  };

  const play = async (schedule: string) => {
    const v = { ...view, schedule, compare: '' };
    await run(v, text, 'first-step');
    setPlaying(true);
    document.getElementById('slider')?.focus();
  };

  const jumpToError = (e: UserError) => {
    const ta = taRef.current;
    if (!ta) return;
    ta.focus();
    const o = offsetOf(text, e.line, e.col);
    ta.setSelectionRange(o, o + 1);
  };

  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(location.href);
    } catch { /* the address bar has it too */ }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };

  const row = rows[frame];
  const fA = runA && row && row.a !== null ? runA.frames[row.a] : undefined;
  const fB = runB && row && row.b !== null ? runB.frames[row.b] : undefined;
  const before = (side: 'a' | 'b') => {
    const i = frameAtOrBefore(rows, frame - 1, side);
    return i === null ? undefined : (side === 'a' ? runA : runB)?.frames[i];
  };
  const gapText = (have: Frame | undefined, other: string) => have
    ? `${other} took no step here: this step of the other run (${have.step === 0 ? 'setup' : `step ${have.step}`} · ${have.thread} · ${have.state.op_name ?? '-'}, ${have.acting}) has no counterpart in it`
    : `${other} ended before this step`;
  const profiles = PROFILES.map((p) => p.name);
  return (
    <>
      <header>
        <h1>mmsim <span class="dim">serve</span></h1>
        <div class="tools">
          <button type="button" aria-expanded={controls} aria-controls="controls" data-testid="toggle-controls" onClick={() => setControls(!controls)}>
            {controls ? 'Hide controls' : 'Show controls'}</button>
          <button type="button" onClick={copyLink} data-testid="copy-link" title="copy a link to this view (scenario, kernels, patches, config, step)">{copied ? 'Link copied' : 'Copy link'}</button>
          <label>theme <select value={theme} onChange={(e) => setTheme((e.currentTarget as HTMLSelectElement).value)} aria-label="theme">
            <option value="auto">system</option><option value="light">light</option><option value="dark">dark</option>
          </select></label>
        </div>
      </header>
      <main class={controls ? '' : 'wide'}>
        <aside class="controls" id="controls" aria-label="scenario and kernels" hidden={!controls}>
          <label>scenario
            <select value={view.scenario ?? ''} data-testid="scenario" onChange={(e) => chooseScenario((e.currentTarget as HTMLSelectElement).value)}>
              {view.scenario === null && <option value="">(edited YAML)</option>}
              {scenarios.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </label>
          <Editor text={text} setText={setText} error={failure?.error ?? null} taRef={taRef} />
          {failure && (
            <div class="error" role="alert" data-testid="error">
              {failure.error ? (
                <button type="button" class="link" onClick={() => jumpToError(failure.error!)}>
                  {failure.error.file}:{failure.error.line}:{failure.error.col}: {failure.error.field ? `${failure.error.field}: ` : ''}{failure.error.message}
                </button>
              ) : failure.message}
            </div>
          )}
          <div class="row">
            <label>kernel
              <select value={view.kernel} data-testid="kernel" onChange={(e) => {
                const kernel = (e.currentTarget as HTMLSelectElement).value;
                rerun({ kernel, schedule: '', patches: normalizeEdits(profileIds(kernel), view.patches) });
              }}>
                {!profiles.includes(view.kernel) && <option value={view.kernel}>{view.kernel || '(the scenario\'s)'}</option>}
                {profiles.map((p) => <option key={p} value={p}>{p}</option>)}
              </select>
            </label>
            <label>side by side with
              <select value={view.compare} data-testid="compare" onChange={(e) => rerun({ compare: (e.currentTarget as HTMLSelectElement).value })}>
                <option value="">(nothing)</option>
                {profiles.map((p) => <option key={p} value={p}>{p}</option>)}
                {PATCH_LIST.filter((p) => p.id.includes('2018') && p.id !== 'uffd-wp-2018-branch').map((p) => <option key={p.id} value={`v4.19-uffd-wp-2018+${p.id}`}>v4.19-uffd-wp-2018+{p.id}</option>)}
              </select>
            </label>
          </div>
          <PatchChooser kernel={view.kernel} edits={view.patches} onChange={(patches) => rerun({ patches, schedule: '' })} />
          <ConfigChooser kernel={runA?.reply.kernel ?? view.kernel} edits={view.config} defaults={runA?.reply.defaults ?? profileDefaults(view.kernel)}
            fromScenario={runA?.reply.scenarioConfig ?? []} both={!!runB} onChange={(config) => rerun({ config, schedule: '' })} />
          <div class="row">
            <button type="button" class="primary" data-testid="run" onClick={() => run({ ...view, yaml: null, schedule: '' }, text, 'setup')}>Run</button>
            <button type="button" data-testid="check-button" onClick={doCheck}>Check every interleaving</button>
            {view.schedule && <span class="dim">schedule: <code>{view.schedule}</code></span>}
          </div>
          {busy && <p class="busy" role="status">{busy}</p>}
        </aside>
        <section class="viewer" aria-label="the run, step by step">
          {check && <CheckView check={check} onPlay={play} />}
          {runA && <Outcome run={runA} label={runB ? '[A]' : ''} />}
          {runB && <Outcome run={runB} label="[B]" />}
          {runA && (
            <div class="stepper">
              <button type="button" onClick={() => goTo(frame - 1)} aria-label="previous step" disabled={frame <= 0}>←</button>
              <input id="slider" type="range" min={0} max={Math.max(0, nFrames - 1)} value={frame} data-testid="slider" aria-label="step"
                aria-valuetext={(fA ?? fB) ? `${(fA ?? fB)!.step === 0 ? 'setup' : `step ${(fA ?? fB)!.step}`}: ${(fA ?? fB)!.state.op_name ?? ''} ${(fA ?? fB)!.acting}${!fA ? ' (B only)' : runB && !fB ? ' (A only)' : ''}` : ''}
                onInput={(e) => goTo(Number((e.currentTarget as HTMLInputElement).value))} />
              <button type="button" onClick={() => goTo(frame + 1)} aria-label="next step" disabled={frame >= nFrames - 1}>→</button>
              <button type="button" onClick={() => setPlaying(!playing)} data-testid="play">{playing ? 'Pause' : 'Play'}</button>
              <span class="pos" data-testid="position">{frame + 1}/{nFrames}</span>
              {divergence !== null && (
                <button type="button" class="diverge" data-testid="divergence" onClick={() => goTo(divergence)}
                  title={rows[divergence]!.a === null ? 'B takes a step A does not' : rows[divergence]!.b === null ? 'A takes a step B does not' : 'the same step leaves different page-table flags, threads or operation'}>
                  first divergence: {divergence + 1}{rows[divergence]!.a === null ? ' (B only)' : rows[divergence]!.b === null ? ' (A only)' : ''}{frame === divergence ? ' (here)' : ''}
                </button>
              )}
              {runB && <span class="dim" data-testid="alignment">aligned by what happened: {rows.filter((r) => r.a !== null && r.b !== null).length} steps paired, {rows.filter((r) => r.b === null).length} only on A, {rows.filter((r) => r.a === null).length} only on B</span>}
            </div>
          )}
          {runA && runB && (
            <div class="track" aria-hidden="true">
              {rows.map((r, i) => (r.a === null || r.b === null ? <span key={i} class="mark gapmark" style={{ left: `${nFrames > 1 ? (i / (nFrames - 1)) * 100 : 0}%` }} /> : null))}
              {divergence !== null && <span class="mark" style={{ left: `${nFrames > 1 ? (divergence / (nFrames - 1)) * 100 : 0}%` }} />}
            </div>
          )}
          {runA && runB && <AlignmentList rows={rows} a={runA} b={runB} frame={frame} goTo={goTo} />}
          <div class={runB ? 'sides two' : 'sides'}>
            {runA && (fA ? <div class="side"><h2 class="sidehead">{runB ? `[A] ${runA.reply.kernel}` : runA.reply.kernel}</h2><StepView run={runA} frame={fA} prev={before('a')} side="" /></div>
              : <div class="side gap" data-testid="gap-a"><h2 class="sidehead">[A] {runA.reply.kernel}</h2><p class="dim">{gapText(fB, '[A]')}</p></div>)}
            {runB && (fB ? <div class={`side${divergence !== null && frame >= divergence ? ' diverged' : ''}`}><h2 class="sidehead">[B] {runB.reply.kernel}</h2><StepView run={runB} frame={fB} prev={before('b')} side="-b" /></div>
              : <div class="side gap" data-testid="gap-b"><h2 class="sidehead">[B] {runB.reply.kernel}</h2><p class="dim">{gapText(fA, '[B]')}</p></div>)}
          </div>
          {runA && runA.reply.expectations.length > 0 && (
            <section class="card" aria-label="expectations">
              <h3>Expectations on {runA.reply.kernel}</h3>
              <ul class="expect">{runA.reply.expectations.map((x, i) => <li key={i} class={x.ok ? 'pass' : 'fail'}>{x.ok === null ? '?' : x.ok ? '✓' : '✗'} line {x.line}: {x.text} <span class="dim">{x.detail}</span></li>)}</ul>
            </section>
          )}
        </section>
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
