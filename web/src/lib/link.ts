// The shareable link: what the page shows (scenario, profile, patches, config, the profile compared
// with, the step) in the URL's fragment, so the server never sees it and a static copy works too.

export interface ViewState {
  /** a scenario of the list (path under scenarios/), or null for pasted YAML */
  scenario: string | null;
  /** pasted or edited YAML (only when it differs from the file) */
  yaml: string | null;
  kernel: string;
  patches: string;
  config: string;
  /** the profile shown beside the first, or '' */
  compare: string;
  /** the frame (step) shown */
  frame: number;
  /** a schedule to run instead of the default one (a check counterexample) */
  schedule: string;
}

export const EMPTY_VIEW: ViewState = { scenario: null, yaml: null, kernel: '', patches: '', config: '', compare: '', frame: 0, schedule: '' };

function b64urlEncode(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function b64urlDecode(s: string): string {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** the fragment (without '#') for a view */
export function encodeView(v: ViewState): string {
  const p = new URLSearchParams();
  if (v.scenario) p.set('s', v.scenario);
  if (v.yaml !== null) p.set('y', b64urlEncode(v.yaml));
  if (v.kernel) p.set('k', v.kernel);
  if (v.patches) p.set('p', v.patches);
  if (v.config) p.set('c', v.config);
  if (v.compare) p.set('b', v.compare);
  if (v.schedule) p.set('sched', v.schedule);
  p.set('f', String(v.frame));
  return p.toString();
}

/** the view a fragment describes; what it leaves out (or gets wrong) is the default */
export function decodeView(hash: string): ViewState {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  let yaml: string | null = null;
  const y = p.get('y');
  if (y) {
    try {
      yaml = b64urlDecode(y);
    } catch {
      yaml = null;
    }
  }
  const f = Number(p.get('f'));
  return {
    scenario: p.get('s') || null, yaml, kernel: p.get('k') ?? '', patches: p.get('p') ?? '', config: p.get('c') ?? '',
    compare: p.get('b') ?? '', frame: Number.isInteger(f) && f >= 0 ? f : 0, schedule: p.get('sched') ?? '',
  };
}
