// The patch chooser: a profile's rows of the patch table, each on or off, and rows added from outside the
// profile, kept as the edits `--patch +x,-y` makes on the command line (what the link stores in `p=`).
import { PATCH_LIST } from '../../../src/profiles/patches.js';
import { profileByName, profilePatches, PROFILES } from '../../../src/profiles/profiles.js';

export interface Edits {
  add: Set<string>;
  remove: Set<string>;
}

/** "+a,-b c" (commas or spaces; an id without a sign is added) as sets of ids */
export function parseEdits(s: string): Edits {
  const add = new Set<string>(), remove = new Set<string>();
  for (const part of s.split(/[\s,]+/).filter(Boolean)) {
    if (part.startsWith('-')) {
      remove.add(part.slice(1));
      add.delete(part.slice(1));
    } else {
      const id = part.startsWith('+') ? part.slice(1) : part;
      add.add(id);
      remove.delete(id);
    }
  }
  return { add, remove };
}

/** the edits as --patch writes them: additions, then removals, each in patch-table order (unknown ids last) */
export function formatEdits(e: Edits): string {
  const order = (ids: Set<string>) => {
    const known = PATCH_LIST.filter((p) => ids.has(p.id)).map((p) => p.id);
    return [...known, ...[...ids].filter((id) => !known.includes(id))];
  };
  return [...order(e.add).map((id) => '+' + id), ...order(e.remove).map((id) => '-' + id)].join(',');
}

/** the ids of the patch-table rows a profile has (the kernel spec's profile: "v4.19-uffd-wp-2018+x" is v4.19-uffd-wp-2018) */
export function profileIds(kernel: string): Set<string> {
  const name = PROFILES.map((p) => p.name).sort((a, b) => b.length - a.length).find((n) => kernel === n || kernel.startsWith(n + '+') || kernel.startsWith(n + '-'));
  const p = name ? profileByName(name) : undefined;
  return new Set(p ? [...profilePatches(p)].map((x) => x.id) : []);
}

/** edits that mean something for this profile: no removal of a row it lacks, no addition of a row it has */
export function normalizeEdits(inProfile: Set<string>, edits: string): string {
  const e = parseEdits(edits);
  for (const id of [...e.add]) if (inProfile.has(id)) e.add.delete(id);
  for (const id of [...e.remove]) if (!inProfile.has(id)) e.remove.delete(id);
  return formatEdits(e);
}

/** the rows the kernel runs with: the profile's, less the removed, plus the added */
export function chosenIds(inProfile: Set<string>, edits: string): Set<string> {
  const e = parseEdits(edits);
  const out = new Set([...inProfile].filter((id) => !e.remove.has(id)));
  for (const id of e.add) out.add(id);
  return out;
}

/** the edits after turning row `id` on or off */
export function setPatch(inProfile: Set<string>, edits: string, id: string, on: boolean): string {
  const e = parseEdits(normalizeEdits(inProfile, edits));
  if (inProfile.has(id)) {
    if (on) e.remove.delete(id);
    else e.remove.add(id);
  } else if (on) e.add.add(id);
  else e.add.delete(id);
  return formatEdits(e);
}
