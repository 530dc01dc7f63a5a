// Formatters over the trace: `text` for people, `json` (JSON lines, versioned), `klog` (what the seed's
// instrumented kernel printed).
import type { TraceEvent, TraceValue } from './events.js';
import { TRACE_SCHEMA_VERSION } from './events.js';

/** the scenario's mappings by name, as an Observation reports them (hex strings) */
export type Mappings = Record<string, { addr: string; len: string }>;

/** "ram+0x7f000" for an address inside a named mapping */
export function whereIs(mappings: Mappings, addr: bigint): string {
  for (const [n, m] of Object.entries(mappings)) {
    const a = BigInt(m.addr), l = BigInt(m.len);
    if (addr >= a && addr < a + l) return addr === a ? n : `${n}+0x${(addr - a).toString(16)}`;
  }
  return '0x' + addr.toString(16);
}

function addr(m: Mappings, v: TraceValue | undefined): string {
  if (typeof v !== 'number') return String(v);
  return whereIs(m, BigInt(v));
}
const hex = (v: TraceValue | undefined) => (typeof v === 'number' ? '0x' + v.toString(16) : String(v));

/** one line for people; null to leave the event out */
export function textLine(e: TraceEvent, m: Mappings): string | null {
  const f = e as Record<string, TraceValue>;
  switch (e.type) {
    case 'syscall':
      return `${f.fn}(${f.id}) = ${f.errno ? `-${f.errno}${f.out ? ` (${f.out})` : ''}` : f.result ?? 0}`;
    case 'errno':
      return `  ${f.fn} fails with ${f.errno}: ${f.why}`;
    case 'mmap':
      return `  mmap_region ${addr(m, f.start)} .. +0x${((f.end as number) - (f.start as number)).toString(16)} vm_flags=${hex(f.vm_flags)}`;
    case 'page_fault':
      return `${f.fn}: ${(f.error_code as number) & 2 ? 'write' : 'read'} fault at ${addr(m, f.address)}, flags=0x${(f.flags as number).toString(16)} (${f.flag_names})`;
    case 'handle_mm_fault':
      return `  handle_mm_fault(${addr(m, f.address)}, flags=0x${(f.flags as number).toString(16)})`;
    case 'fault_retry':
      if (f.foll !== undefined) return `  ${f.fn}: fault handled (flags=0x${(f.flags as number).toString(16)}${f.flag_names ? ` ${f.flag_names}` : ''}); follow the page again with FOLL_${String(f.foll).split('|').join('|FOLL_')}`;
      return `  ${f.fn}: VM_FAULT_RETRY -> retry with flags=0x${(f.flags as number).toString(16)}${f.flag_names ? ` (${f.flag_names})` : ''}${f.why ? ` (${f.why})` : ''}`;
    case 'fault_resume':
      return `  woken: handle_userfault returns ${f.ret_names}`;
    case 'fault_done':
      return `  fault done (${f.ret_names})`;
    case 'fault_return':
      return `  ${f.fn}: ${f.why}: return to user space, the access faults again`;
    case 'signal':
      return `  ${f.fn}: ${f.sig_name ?? f.sig} at ${addr(m, f.address)}${f.ret_names ? ` (${f.ret_names})` : ''}`;
    case 'livelock':
      return `  LIVELOCK: the access at ${addr(m, f.address)} keeps faulting`;
    case 'handle_userfault':
      if (f.killed) return `  handle_userfault(${f.reason}): woken by a fatal signal${f.queue ? `: its message leaves the ${f.queue} queue` : ''} [address=${addr(m, f.msg_address)}]`;
      return `  handle_userfault(${f.reason}) flags=0x${(f.flags as number).toString(16)}: ${f.action}${f.msg_flags !== undefined ? ` [msg flags=0x${(f.msg_flags as number).toString(16)} address=${addr(m, f.msg_address)}]` : ''}`;
    case 'do_wp_page': case 'wp_huge_pmd': case 'do_huge_pmd_wp_page':
      return `  ${f.fn}(${addr(m, f.addr)}): ${f.action}${f.pte ? ` pte=${f.pte}` : ''}${f.pmd ? ` pmd=${f.pmd}` : ''}`;
    case 'do_anonymous_page':
      return `  do_anonymous_page(${addr(m, f.addr)}): ${f.zero_page ? 'zero page' : 'new page'} pte=${f.pte}`;
    case 'do_huge_pmd_anonymous_page':
      return `  ${f.fn}(${addr(m, f.addr)}): ${f.huge_zero_page ? 'huge zero page' : 'new THP'} pmd=${f.pmd}`;
    case 'wp_page_copy':
      return `  wp_page_copy(${addr(m, f.addr)}): pfn ${hex(f.old_pfn)} -> ${hex(f.new_pfn)}`;
    case 'set_pte': case 'set_pmd':
      return `    ${e.type === 'set_pte' ? 'PTE' : 'PMD'} ${addr(m, f.addr)}: ${f.old} -> ${f.new}  (${f.fn})${f.bits ? ` [${f.bits}]` : ''}`;
    case 'split_huge_pmd':
      return `  ${f.fn}(${addr(m, f.addr)}): old pmd=${f.old_pmd} dirty=${f.dirty} write=${f.write} uffd_wp=${f.uffd_wp} -> pte[0]=${f.first_pte ?? f.pte}`;
    case 'change_protection':
      return `  change_protection(${addr(m, f.start)}..${addr(m, f.end)}, newprot=${f.newprot}, cp_flags=0x${(f.cp_flags as number).toString(16)}) = ${f.pages} pages`;
    case 'mwriteprotect_range':
      return `  mwriteprotect_range: vm_flags=${hex(f.vm_flags)} ${addr(m, f.start)}..${addr(m, f.end)} changed ${f.pages} pages (newprot=${f.newprot}, wp=${f.wp})`;
    case 'uffd_read':
      return `  read(${f.uffd}): event=0x${(f.event as number).toString(16)} flags=0x${(f.flags as number).toString(16)} address=${addr(m, f.address)}`;
    case 'uffd_read_wait':
      return `  read(${f.uffd}): no message yet, sleeping`;
    case 'uffd_wake':
      return `  wake_userfault(${f.uffd}, ${addr(m, f.start)}, 0x${(f.len as number).toString(16)}): woke ${f.woken}`;
    case 'klog':
      return `  kernel: ${f.text}`;
    case 'dump_stack':
      return `  kernel: Call Trace: ${(f.frames as string[]).join(' <- ')}`;
    case 'access': case 'state':
      return null;
    case 'madvise':
      // oldfile: the reclaim device emits this event too, with its own name
      if (f.fn === 'reclaim (model device)') return `  reclaim (model device): ${addr(m, f.start)}, 0x${((f.end as number) - (f.start as number)).toString(16)}: memory pressure reclaims these pages`;
      return `  do_madvise(${addr(m, f.start)}, 0x${((f.end as number) - (f.start as number)).toString(16)}, MADV_${String(f.advice).toUpperCase()})`;
    case 'mprotect':
      return `  do_mprotect_pkey(${addr(m, f.start)}, 0x${((f.end as number) - (f.start as number)).toString(16)}, prot=${f.prot})`;
    case 'munmap':
      return `  do_vmi_munmap(${addr(m, f.start)}, 0x${((f.end as number) - (f.start as number)).toString(16)})`;
    case 'vma_merge':
      return `  vma_merge: one VMA ${addr(m, f.start)}..${addr(m, f.end)}`;
    case 'userfaultfd':
      return `  ${f.fn}: ${f.uffd}${f.nonblock ? ' O_NONBLOCK' : ''}${f.user_mode_only ? ' UFFD_USER_MODE_ONLY' : ''}`;
    case 'uffdio_api':
      return `  UFFDIO_API(${f.uffd}): features=0x${(f.features as number).toString(16)} ioctls=${f.ioctls}`;
    case 'uffdio_register':
      return `  UFFDIO_REGISTER(${f.uffd}, ${addr(m, f.start)}..${addr(m, f.end)}, mode=0x${(f.mode as number).toString(16)}): ioctls=0x${(f.ioctls as number).toString(16)}`;
    case 'uffdio_unregister':
      return `  UFFDIO_UNREGISTER(${f.uffd}, ${addr(m, f.start)}..${addr(m, f.end)})`;
    case 'uffdio_copy':
      return `  UFFDIO_COPY(${addr(m, f.dst)} <- ${addr(m, f.src)}, 0x${(f.len as number).toString(16)}${f.wp ? ', WP' : ''}): ${f.copied} bytes`;
    case 'uffdio_move':
      return `  UFFDIO_MOVE(${addr(m, f.dst)} <- ${addr(m, f.src)}, 0x${(f.len as number).toString(16)}): ${f.moved} bytes${f.errno ? `, stopped by ${f.errno}` : ''}`;
    case 'mremap':
      if (f.fn === 'move_vma') return `  move_vma(${addr(m, f.old_addr)}, 0x${(f.old_len as number).toString(16)} -> ${addr(m, f.new_addr)}, 0x${(f.new_len as number).toString(16)})${f.dontunmap ? ' MREMAP_DONTUNMAP' : ''}`;
      if (f.fn === 'move_ptes') return `  move_ptes(${addr(m, f.old_addr)} -> ${addr(m, f.new_addr)}, 0x${(f.len as number).toString(16)})${f.clear_uffd_wp ? ': uffd-wp cleared' : ''}`;
      if (f.fn === 'move_hugetlb_page_tables') return `  move_hugetlb_page_tables(${addr(m, f.old_addr)} -> ${addr(m, f.new_addr)}, 0x${(f.len as number).toString(16)})`;
      if (f.fn === 'move_normal_pud') return `  move_normal_pud: the PMD table of ${addr(m, f.old_addr)} now maps ${addr(m, f.new_addr)} (1 GiB)`;
      if (f.fn === 'move_normal_pmd') return `  move_normal_pmd: the PTE table of ${addr(m, f.old_addr)} now maps ${addr(m, f.new_addr)}`;
      return `  ${f.fn}(${addr(m, f.addr)}, 0x${(f.old_len as number).toString(16)} -> 0x${(f.new_len as number).toString(16)}): grown in place`;
    case 'uffdio_poison':
      return `  UFFDIO_POISON(${addr(m, f.start)}, 0x${(f.len as number).toString(16)}): ${f.updated} bytes poisoned`;
    case 'uffdio_continue':
      return `  UFFDIO_CONTINUE(${addr(m, f.start)}, 0x${(f.len as number).toString(16)}${f.wp ? ', WP' : ''}): ${f.mapped} bytes mapped from the page cache`;
    case 'uffdio_zeropage':
      return `  UFFDIO_ZEROPAGE(${addr(m, f.dst)}, 0x${(f.len as number).toString(16)}): ${f.done} bytes`;
    case 'clear_refs':
      return `  clear_refs_write(${f.value})`;
    case 'uffd_close':
      if (f.readers !== undefined) return `  close(${f.uffd}): the last fd, but ${f.readers} read(2) still hold the file: released when the last returns`;
      if (f.fn === 'fput') return `  fput(${f.uffd}) as read(2) returns: the last reference`;
      return `  close(${f.uffd})${f.last ? ': the last reference' : ''}`;
    case 'uffd_release':
      return `  userfaultfd_release(${f.uffd}): its VMAs unregistered, ${f.woken} faults woken`;
    case 'uffd_event':
      return `  ${f.uffd}: UFFD_EVENT_${f.event} queued (0x${(f.arg0 as number).toString(16)}, 0x${(f.arg1 as number).toString(16)}, 0x${(f.arg2 as number).toString(16)}); waits until it is read`;
    case 'uffd_event_wait':
      return `  ${f.uffd}: UFFD_EVENT_${f.event} ${f.dropped ? (f.killed ? 'dropped: its waiter is being killed' : 'dropped: the uffd is released') : f.killed ? (f.read ? 'read; its waiter was killed' : 'dropped unread: its waiter was killed') : f.read ? 'read: the waiter goes on' : 'dropped: the uffd was released'}`;
    case 'uffd_poll':
      return `  userfaultfd_poll(${f.uffd}): revents 0x${(f.revents as number).toString(16)}`;
    case 'setuid':
      return `  setresuid(${f.uid}): no capabilities left (gid ${f.gid})`;
    case 'fork':
      return `  dup_mmap: child has ${f.vmas} VMAs`;
    case 'exit':
      return `  do_group_exit(${f.status}): process ${f.process} exits${(f.killed as number) > 0 ? `, ${f.killed} other thread(s) killed` : ''}`;
    case 'exit_mmap':
      return `  exit_mmap: ${f.vmas} VMAs unmapped, the page tables freed (mm_users 0)`;
    case 'zap_huge_pmd':
      return `  zap_huge_pmd(${addr(m, f.addr)})`;
    case 'collapse':
      if (f.fn === 'retract_page_tables') return `  retract_page_tables(${addr(m, f.addr)}): the empty PTE table freed`;
      if (f.fn === 'collapse_pte_mapped_thp') return `  collapse_pte_mapped_thp(${addr(m, f.addr)}): ${f.install === false ? 'no PTE table left, a fault maps' : 'mapped by a PMD,'} THP pfn ${hex(f.pfn)}`;
      return `  ${f.fn}(${addr(m, f.addr)})${f.result ? `: ${f.result}` : `: new THP pfn ${hex(f.new_pfn)}`}`;
    case 'skipped':
      return `  ${f.fn}(${f.id}) skipped: ${f.why}`;
    case 'swapon':
      return `  sys_swapon: a swap file of ${f.pages} pages (type 0)`;
    case 'swapoff':
      return `  sys_swapoff: every swap entry swapped in, the device gone`;
    case 'do_swap_page':
      // shmem_swapin_folio: a page of a file back from swap into its page cache
      if (e.fn === 'shmem_swapin_folio') return `  shmem_swapin_folio(inode ${f.ino}, index ${f.index}): ${f.major ? 'read from swap slot' : 'from the swap cache, slot'} ${f.swap} (pfn ${hex(f.pfn)})`;
      return `  do_swap_page(${addr(m, f.addr)}): ${f.major ? 'read from swap (major)' : 'from the swap cache'} ${f.swp} -> ${f.pte}`;
    case 'shrink_folio_list':
      return `  shrink_folio_list: ${f.action}${f.pfn !== undefined ? ` (pfn ${hex(f.pfn)})` : ''}`;
    case 'migrate':
      return `  ${f.fn}: ${f.new_pfn !== undefined ? `pfn ${hex(f.pfn)} -> ${hex(f.new_pfn)}` : f.result ?? `${f.heads} folio(s) unmapped`}`;
    case 'alloc_hugetlb_folio':
      return `  alloc_hugetlb_folio(${addr(m, f.addr)}): a huge page of the pool${f.reserved ? ', from the reservation' : ''}`;
    case 'hugetlb_no_page':
      return f.sigbus ? `  hugetlb_no_page(${addr(m, f.addr)}): SIGBUS: ${f.sigbus}` : `  hugetlb_no_page(${addr(m, f.addr)}): new huge page pte=${f.pte}`;
    case 'hugetlb_wp':
      return f.sigbus ? `  hugetlb_wp(${addr(m, f.addr)}): SIGBUS: ${f.sigbus}` : `  hugetlb_wp(${addr(m, f.addr)}): ${f.reuse ? 'reuses the page' : 'copies the page'}`;
    case 'migration_entry_wait':
      return `  migration_entry_wait(${addr(m, f.address)}): waits for the migration to end`;
    case 'try_to_unmap_one':
      return `  try_to_unmap_one(${addr(m, f.addr)}): ${f.action ?? `${f.old} -> ${f.new}`}`;
    default:
      return `  ${e.type} (${e.fn})`;
  }
}

export function formatText(events: TraceEvent[], m: Mappings): string[] {
  const out: string[] = [];
  let lastThread = '';
  for (const e of events) {
    const l = textLine(e, m);
    if (l === null) continue;
    const head = e.thread === lastThread ? '' : `[${e.thread}${e.step ? ` step ${e.step}` : ''}]\n`;
    if (e.type === 'syscall' || head) lastThread = e.thread;
    out.push(head + (e.type === 'syscall' ? '  ' : '') + l);
  }
  return out;
}

/** what the seed's kernel printed: Peter Xu's debug printks in mwriteprotect_range, and printk/dump_stack */
export function formatKlog(events: TraceEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const f = e as Record<string, TraceValue>;
    if (e.type === 'klog') {
      out.push(`kernel: ${f.text}`);
    } else if (e.type === 'dump_stack') {
      out.push(`kernel: CPU: 0 PID: ${f.pid} Comm: ${f.comm} Not tainted ${f.release} (mmsim)`);
      out.push('kernel: Call Trace:');
      for (const fr of f.frames as string[]) out.push(`kernel:  ${fr}`);
    }
  }
  return out;
}

export function formatJson(events: TraceEvent[], header: Record<string, TraceValue>, outcome: unknown): string[] {
  const out = [JSON.stringify({ type: 'header', schema: 'mmsim-trace', version: TRACE_SCHEMA_VERSION, ...header })];
  for (const e of events) out.push(JSON.stringify(e));
  out.push(JSON.stringify({ type: 'outcome', ...(outcome as object) }, (_k, v) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v)));
  return out;
}
