// The page of `mmsim serve`: a scenario (from the list, or edited), one or two kernels, the run stepped
// through frame by frame (page tables, folios, VMAs, uffds, threads, kernel log), `check` results with
// a counterexample played back, and a link that reopens the same view. The model runs in a Web Worker
// (worker.ts); this file only draws the JSON trace it sends back.
import { render } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { PROFILES } from '../../src/profiles/profiles.js';
import { PATCH_LIST } from '../../src/profiles/patches.js';
import { textLine } from '../../src/trace/format.js';
import type { CheckReply, Reply, Request, RunReply, UserError } from './lib/protocol.js';
import { decodeView, encodeView, type ViewState } from './lib/link.js';
import { firstDivergence, klogUpTo, previousEntry, setupEnd, toFrames, type Frame, type PageState, type WalkRow } from './lib/frames.js';
import { BIT_COLUMNS, changedColumns, entryValue, fieldText, setBitNames } from './lib/bits.js';

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
function BitCells({ value, prev }: { value: string; prev: string | null | undefined }) {
  const v = entryValue(value);
  const changed = changedColumns(prev, value);
  return (
    <>
      {BIT_COLUMNS.map((c) => (
        <td key={c.name} class={`bit${changed.has(c.name) ? ' chg' : ''}${c.lo !== c.hi ? ' wide' : ''}${c.rare ? ' rare' : ''}`} data-bit={c.name} title={c.title}>
          {fieldText(v, c)}
        </td>
      ))}
    </>
  );
}

function BitHead() {
  return (
    <>
      {BIT_COLUMNS.map((c) => <th key={c.name} scope="col" class={`bit${c.lo !== c.hi ? ' wide' : ''}${c.rare ? ' rare' : ''}`} title={c.title}>{c.name}</th>)}
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

function PageTree({ page, prev, side }: { page: PageState; prev: PageState | undefined; side: string }) {
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
            <tr><th scope="col">level</th><th scope="col">index</th><th scope="col">raw value</th><BitHead /></tr>
          </thead>
          <tbody>
            {page.walk.map((r) => {
              const p = previousEntry(page, prev, r);
              return (
                <tr key={r.level} data-level={r.level} class={r.leaf ? 'leaf' : ''}>
                  <th scope="row" title={`in the table at pfn ${r.table}${r.folded ? '; folded into the PGD on 4-level paging' : ''}`}>{r.level.toUpperCase()}{r.folded ? ' =PGD' : ''}{r.leaf ? (r.level === 'pmd' ? ' huge' : '') : ''}</th>
                  <td>{r.index}</td>
                  <td class={`mono raw${p && p.entry !== r.entry ? ' chg' : ''}`} data-testid={`entry-${r.level}`} title={`${setBitNames(entryValue(r.entry))}${p?.from ? ` (compared with ${p.from})` : ''}`}>{r.entry}</td>
                  <BitCells value={r.entry} prev={p?.entry} />
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
              <thead><tr><th scope="col">index</th><th scope="col">raw value</th><BitHead /></tr></thead>
              <tbody>
                {tableRows(last, prevLast, all).map((i) => {
                  const v = last.entries![i] ?? '0x0000000000000000';
                  const pv = prevLast ? prevLast.entries?.[i] ?? '0x0000000000000000' : null;
                  return (
                    <tr key={i} class={i === last.index ? 'observed' : ''}>
                      <th scope="row">{i}</th>
                      <td class={`mono raw${pv !== null && pv !== v ? ' chg' : ''}`}>{v}</td>
                      <BitCells value={v} prev={pv} />
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

function StepView({ run, frame, prev, side }: { run: Loaded; frame: Frame; prev: Frame | undefined; side: string }) {
  const st = frame.state;
  const m = run.reply.mappings;
  const klog = useMemo(() => klogUpTo(run.frames, frame.index), [run, frame.index]);
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
      {st.pages.map((p) => <PageTree key={p.key} page={p} prev={prev?.state.pages.find((x) => x.key === p.key)} side={side} />)}
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
            <tbody>{st.folios.map((f) => <tr key={f.head}><td class="mono">{f.head}</td><td>{f.order} ({1 << f.order} pages{f.order ? ': head and tails' : ''})</td><td class="mono">{f.flags}</td><td>{f.refcount}</td><td>{f.mapcount}</td><td class="mono">{f.kpageflags}</td></tr>)}</tbody>
          </table>
        )}
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

  // the link always says what is shown
  useEffect(() => {
    const h = '#' + encodeView({ ...view, yaml: fileText !== null && text === fileText ? null : text || null });
    if (location.hash !== h) history.replaceState(null, '', h);
  }, [view, text, fileText]);

  const run = useCallback(async (v: ViewState, yaml: string, frameFrom: 'keep' | 'setup' | 'first-step') => {
    setBusy('running the model…');
    setFailure(null);
    const base = { kind: 'run' as const, file: fileName(v), yaml, patches: v.patches, config: v.config, schedule: v.schedule };
    const a = await ask({ ...base, kernel: v.kernel });
    if (a.kind !== 'run') {
      setBusy('');
      setFailure(a.kind === 'error' ? { error: a.error, message: a.message } : { error: null, message: 'unexpected reply' });
      setRunA(null);
      setRunB(null);
      return;
    }
    const la = { reply: a, frames: toFrames(a.events) };
    let lb: Loaded | null = null;
    if (v.compare) {
      const b = await ask({ ...base, kernel: v.compare });
      if (b.kind === 'run') lb = { reply: b, frames: toFrames(b.events) };
      else setFailure(b.kind === 'error' ? { error: b.error, message: `${v.compare}: ${b.message}` } : null);
    }
    setRunA(la);
    setRunB(lb);
    setBusy('');
    const n = Math.max(la.frames.length, lb?.frames.length ?? 0);
    const frame = frameFrom === 'keep' ? Math.min(v.frame, n - 1) : frameFrom === 'first-step' ? Math.min(setupEnd(la.frames) + 1, n - 1) : setupEnd(la.frames);
    setView({ ...v, kernel: v.kernel || a.kernel.replace(/\+.*$/, ''), frame: Math.max(0, frame) });
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
      if (!v.scenario && v.yaml === null) v = { ...v, scenario: list.find((s) => s.startsWith('seed')) ?? list[0] ?? null };
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

  const frames = runA?.frames ?? [];
  const nFrames = Math.max(frames.length, runB?.frames.length ?? 0);
  const frame = Math.min(view.frame, Math.max(0, nFrames - 1));
  const divergence = useMemo(() => (runA && runB ? firstDivergence(runA.frames, runB.frames) : null), [runA, runB]);

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
      if (t && (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.tagName === 'INPUT')) return; // typing; the slider steps by itself
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
    return run(v, text, 'keep');
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

  const fA = runA?.frames[frame];
  const fB = runB?.frames[frame];
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
              <select value={view.kernel} data-testid="kernel" onChange={(e) => rerun({ kernel: (e.currentTarget as HTMLSelectElement).value, schedule: '' })}>
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
          <div class="row">
            <label>patches <input value={view.patches} list="patch-ids" placeholder="+id,-id" data-testid="patches"
              onChange={(e) => setView({ ...view, patches: (e.currentTarget as HTMLInputElement).value })} /></label>
            <label>config <input value={view.config} placeholder="thp=always,zero_page=n" data-testid="config"
              onChange={(e) => setView({ ...view, config: (e.currentTarget as HTMLInputElement).value })} /></label>
          </div>
          <datalist id="patch-ids">{PATCH_LIST.map((p) => <option key={p.id} value={`+${p.id}`}>{p.release} {p.subject}</option>)}</datalist>
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
                aria-valuetext={fA ? `${fA.step === 0 ? 'setup' : `step ${fA.step}`}: ${fA.state.op_name ?? ''} ${fA.acting}` : ''}
                onInput={(e) => goTo(Number((e.currentTarget as HTMLInputElement).value))} />
              <button type="button" onClick={() => goTo(frame + 1)} aria-label="next step" disabled={frame >= nFrames - 1}>→</button>
              <button type="button" onClick={() => setPlaying(!playing)} data-testid="play">{playing ? 'Pause' : 'Play'}</button>
              <span class="pos" data-testid="position">{frame + 1}/{nFrames}</span>
              {divergence !== null && (
                <button type="button" class="diverge" data-testid="divergence" onClick={() => goTo(divergence)}>
                  first divergence: {divergence + 1}{frame === divergence ? ' (here)' : ''}
                </button>
              )}
            </div>
          )}
          {runA && divergence !== null && <div class="track" aria-hidden="true"><span class="mark" style={{ left: `${nFrames > 1 ? (divergence / (nFrames - 1)) * 100 : 0}%` }} /></div>}
          <div class={runB ? 'sides two' : 'sides'}>
            {runA && (fA ? <div class="side"><h2 class="sidehead">{runB ? `[A] ${runA.reply.kernel}` : runA.reply.kernel}</h2><StepView run={runA} frame={fA} prev={runA.frames[frame - 1]} side="" /></div> : <div class="side"><p class="dim">[A] ended before this step</p></div>)}
            {runB && (fB ? <div class={`side${divergence !== null && frame >= divergence ? ' diverged' : ''}`}><h2 class="sidehead">[B] {runB.reply.kernel}</h2><StepView run={runB} frame={fB} prev={runB.frames[frame - 1]} side="-b" /></div> : <div class="side"><p class="dim">[B] ended before this step</p></div>)}
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
