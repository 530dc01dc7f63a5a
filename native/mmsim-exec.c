// mmsim-exec: run an mmsim scenario on the real kernel.
//
// Reads the compiled scenario (the JSON `mmsim` compiles a YAML scenario into) on stdin, performs
// every operation with the real system calls, one scenario thread per pthread (threads of a forked
// process run in that process), under the same schedule the model uses, and writes what it saw as
// JSON on stdout: each operation's result and errno, each thread's end state, signal and faults,
// uffd messages, read buffers, and at every checkpoint the pagemap entry (PFN replaced by the
// page's index inside its folio), kpageflags, smaps counters, VMA count and vmstat deltas.
//
//   mmsim-exec < plan.json          run a scenario
//   mmsim-exec --reserve=S-E,... < plan.json   the same, the scenario's fixed ranges reserved first
//   mmsim-exec --probe              print what this kernel offers (JSON)
//   mmsim-exec --bench W [N]        run a native benchmark workload and print its time (JSON)
//
// The schedule. A scenario thread only runs when the scheduler (the main thread) gives it a step.
// A step is one operation, or the resumption of a blocked one. A thread is blocked when it sleeps
// in the kernel: in handle_userfault (a fault on a registered range) or in a read(2) of a uffd;
// the scheduler sees that in /proc/PID/task/TID/wchan. Wake-ups are deferred the way the model
// defers them: an ioctl that would wake a faulting thread runs with its DONTWAKE mode, and the
// woken thread only continues (UFFDIO_WAKE on its page) when the schedule gives it its next step.
//
// Nothing here is taken from elsewhere: the JSON reader/writer, the scheduler and the probes are
// this project's own. uAPI constants newer than the build machine's headers are defined below.
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// ---- uAPI newer than linux-libc-dev 6.1 -------------------------------------------------------
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#define MMSIM_UFFD_FEATURE_WP_UNPOPULATED (1ULL << 13)
#define MMSIM_UFFD_FEATURE_POISON (1ULL << 14)
#define MMSIM_UFFD_FEATURE_WP_ASYNC (1ULL << 15)
#define MMSIM_UFFD_FEATURE_MOVE (1ULL << 16)
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
// PAGEMAP_SCAN (include/uapi/linux/fs.h, v6.7)
struct mmsim_page_region {
  uint64_t start, end, categories;
};
struct mmsim_pm_scan_arg {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
  uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define MMSIM_PAGEMAP_SCAN 0xC0606610UL
#define MMSIM_PM_SCAN_WP_MATCHING (1ULL << 0)
#define MMSIM_PM_SCAN_CHECK_WPASYNC (1ULL << 1)

#define PAGE_SZ 4096UL
#define HPAGE_SZ (2UL << 20)
static uint64_t g_arena_top; // reserve_arena
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define PM_PRESENT (1ULL << 63)
#define PM_UFFD_WP (1ULL << 57)
#define KPF_COMPOUND_HEAD (1ULL << 15)
#define KPF_COMPOUND_TAIL (1ULL << 16)

// ---- small helpers -------------------------------------------------------------------------------
static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static int g_out_fd = 1;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int futex_wait(_Atomic int *addr, int val, long timeout_ns) {
  struct timespec ts = {timeout_ns / 1000000000L, timeout_ns % 1000000000L};
  return (int)syscall(SYS_futex, (int *)addr, FUTEX_WAIT, val, timeout_ns >= 0 ? &ts : NULL, NULL, 0);
}
static void futex_wake(_Atomic int *addr) { syscall(SYS_futex, (int *)addr, FUTEX_WAKE, 1 << 30, NULL, NULL, 0); }

// ---- a growable string (output and results) ------------------------------------------------------
typedef struct {
  char *p;
  size_t n, cap;
} Str;
static void s_grow(Str *s, size_t add) {
  if (s->n + add + 1 <= s->cap) return;
  size_t c = s->cap ? s->cap : 256;
  while (c < s->n + add + 1) c *= 2;
  s->p = realloc(s->p, c);
  if (!s->p) die("out of memory");
  s->cap = c;
}
static void s_add(Str *s, const char *t, size_t n) {
  s_grow(s, n);
  memcpy(s->p + s->n, t, n);
  s->n += n;
  s->p[s->n] = 0;
}
static void s_puts(Str *s, const char *t) { s_add(s, t, strlen(t)); }
static void s_printf(Str *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_printf(Str *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char buf[512];
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < (int)sizeof buf) {
    s_add(s, buf, (size_t)n);
    return;
  }
  s_grow(s, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(s->p + s->n, (size_t)n + 1, fmt, ap);
  va_end(ap);
  s->n += (size_t)n;
}
static void s_json_str(Str *s, const char *t) {
  s_puts(s, "\"");
  for (const unsigned char *c = (const unsigned char *)t; *c; c++) {
    if (*c == '"' || *c == '\\') {
      char b[3] = {'\\', (char)*c, 0};
      s_puts(s, b);
    } else if (*c < 0x20) {
      s_printf(s, "\\u%04x", *c);
    } else s_add(s, (const char *)c, 1);
  }
  s_puts(s, "\"");
}

// what kind of end: a failure of the run, an error of the input (mmsim exits 2), a bound reached (exit 3)
enum { END_FAILED, END_INPUT, END_INCOMPLETE, END_HUNG };
static void die_v(int kind, int at_t, int at_i, const char *fmt, va_list ap) __attribute__((noreturn));
static void swap_cleanup(void);
static void files_cleanup(void);
static void hugepages_cleanup(void);
static void shmem_thp_cleanup(void);
static void die_v(int kind, int at_t, int at_i, const char *fmt, va_list ap) {
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  swap_cleanup();
  files_cleanup();
  hugepages_cleanup();
  shmem_thp_cleanup();
  Str s = {0};
  s_puts(&s, "{\"ok\":false,\"error\":");
  s_json_str(&s, buf);
  if (kind == END_INPUT) s_puts(&s, ",\"input\":true");
  if (kind == END_INCOMPLETE) s_puts(&s, ",\"incomplete\":true");
  if (kind == END_HUNG) s_puts(&s, ",\"hung\":true");
  if (at_i >= 0) s_printf(&s, ",\"at\":{\"t\":%d,\"i\":%d}", at_t, at_i);
  s_puts(&s, "}\n");
  if (write(g_out_fd, s.p, s.n) < 0) _exit(3);
  _exit(3);
}
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  die_v(END_FAILED, 0, -1, fmt, ap);
}
// an error of the scenario or of the schedule it was given, not of the executor (mmsim exits 2); at_i >= 0:
// at operation at_i of thread at_t (-1: setup), which mmsim turns into the operation's file:line:column
static void die_input(int at_t, int at_i, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
static void die_input(int at_t, int at_i, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  die_v(END_INPUT, at_t, at_i, fmt, ap);
}
// a step that neither finished nor blocked within the step timeout (a wait the executor cannot see): exit 3
static void die_hung(int at_t, int at_i, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
static void die_hung(int at_t, int at_i, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  die_v(END_HUNG, at_t, at_i, fmt, ap);
}
// the run reached a bound before it ended (the model's BudgetExceeded: mmsim exits 3)
static void die_incomplete(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die_incomplete(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  die_v(END_INCOMPLETE, 0, -1, fmt, ap);
}

// ---- JSON reader -------------------------------------------------------------------------------
enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct J J;
struct J {
  int t;
  double num;
  char *str; // J_STR, and the raw text of J_NUM
  int n;     // children
  J **v;
  char **k;
};
typedef struct {
  const char *p, *end;
} Rd;
static void rd_ws(Rd *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t')) r->p++;
}
static J *jnew(int t) {
  J *j = calloc(1, sizeof(J));
  if (!j) die("out of memory");
  j->t = t;
  return j;
}
static void jpush(J *j, char *key, J *v) {
  if ((j->n & (j->n - 1)) == 0) {
    int c = j->n ? j->n * 2 : 1;
    j->v = realloc(j->v, sizeof(J *) * (size_t)c);
    if (j->t == J_OBJ) j->k = realloc(j->k, sizeof(char *) * (size_t)c);
  }
  if (j->t == J_OBJ) j->k[j->n] = key;
  j->v[j->n++] = v;
}
static char *rd_string(Rd *r) {
  if (r->p >= r->end || *r->p != '"') die("plan: expected a string");
  r->p++;
  Str s = {0};
  s_grow(&s, 16);
  while (r->p < r->end && *r->p != '"') {
    if (*r->p == '\\') {
      r->p++;
      if (r->p >= r->end) break;
      char c = *r->p++;
      switch (c) {
        case 'n': s_add(&s, "\n", 1); break;
        case 't': s_add(&s, "\t", 1); break;
        case 'r': s_add(&s, "\r", 1); break;
        case 'b': s_add(&s, "\b", 1); break;
        case 'f': s_add(&s, "\f", 1); break;
        case 'u': {
          unsigned v = 0;
          for (int i = 0; i < 4 && r->p < r->end; i++) {
            char h = *r->p++;
            v = v * 16 + (unsigned)(h >= 'a' ? h - 'a' + 10 : h >= 'A' ? h - 'A' + 10 : h - '0');
          }
          // plans are ASCII; keep the low byte of anything else
          char b = (char)(v < 0x80 ? v : '?');
          s_add(&s, &b, 1);
          break;
        }
        default: s_add(&s, &c, 1);
      }
    } else s_add(&s, r->p++, 1);
  }
  if (r->p >= r->end) die("plan: unterminated string");
  r->p++;
  return s.p;
}
static J *rd_value(Rd *r, int depth) {
  if (depth > 200) die("plan: nested too deeply");
  rd_ws(r);
  if (r->p >= r->end) die("plan: unexpected end of input");
  char c = *r->p;
  if (c == '{') {
    J *j = jnew(J_OBJ);
    r->p++;
    rd_ws(r);
    if (r->p < r->end && *r->p == '}') {
      r->p++;
      return j;
    }
    for (;;) {
      rd_ws(r);
      char *k = rd_string(r);
      rd_ws(r);
      if (r->p >= r->end || *r->p != ':') die("plan: expected ':'");
      r->p++;
      jpush(j, k, rd_value(r, depth + 1));
      rd_ws(r);
      if (r->p < r->end && *r->p == ',') {
        r->p++;
        continue;
      }
      if (r->p < r->end && *r->p == '}') {
        r->p++;
        return j;
      }
      die("plan: expected ',' or '}'");
    }
  }
  if (c == '[') {
    J *j = jnew(J_ARR);
    r->p++;
    rd_ws(r);
    if (r->p < r->end && *r->p == ']') {
      r->p++;
      return j;
    }
    for (;;) {
      jpush(j, NULL, rd_value(r, depth + 1));
      rd_ws(r);
      if (r->p < r->end && *r->p == ',') {
        r->p++;
        continue;
      }
      if (r->p < r->end && *r->p == ']') {
        r->p++;
        return j;
      }
      die("plan: expected ',' or ']'");
    }
  }
  if (c == '"') {
    J *j = jnew(J_STR);
    j->str = rd_string(r);
    return j;
  }
  if (!strncmp(r->p, "true", 4) || !strncmp(r->p, "false", 5)) {
    J *j = jnew(J_BOOL);
    j->num = r->p[0] == 't';
    r->p += j->num ? 4 : 5;
    return j;
  }
  if (!strncmp(r->p, "null", 4)) {
    r->p += 4;
    return jnew(J_NULL);
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    const char *s = r->p;
    while (r->p < r->end && strchr("+-0123456789.eE", *r->p)) r->p++;
    J *j = jnew(J_NUM);
    j->str = strndup(s, (size_t)(r->p - s));
    j->num = strtod(j->str, NULL);
    return j;
  }
  die("plan: unexpected character '%c'", c);
}
static J *jget(J *o, const char *k) {
  if (!o || o->t != J_OBJ) return NULL;
  for (int i = 0; i < o->n; i++)
    if (!strcmp(o->k[i], k)) return o->v[i];
  return NULL;
}
static const char *jstr(J *o, const char *k) {
  J *v = jget(o, k);
  return v && v->t == J_STR ? v->str : NULL;
}
static double jnum(J *o, const char *k, double dflt) {
  J *v = jget(o, k);
  return v && (v->t == J_NUM || v->t == J_BOOL) ? v->num : dflt;
}
static int jbool(J *o, const char *k) {
  J *v = jget(o, k);
  return v && v->t == J_BOOL && v->num != 0;
}

// ---- the scenario's fixed ranges -------------------------------------------------------------------------
// A scenario may map at a fixed address (the seed maps 1 GiB at 0x7f205fe00000), where the kernel could
// otherwise have put something of the executor's own: a thread stack, the shared area, a malloc arena. So
// before anything of its own is mapped, main() reserves each fixed range mmsim lists (--reserve=S-E,...)
// with a PROT_NONE placeholder (MAP_FIXED_NOREPLACE), and the scenario's mmap of a range first unmaps the
// placeholder there. The placeholders are shared mappings: they never merge with the scenario's private
// ones. A range the dynamic loader or the kernel already uses (libraries, the stack, the vDSO) cannot be
// reserved: the executor then starts again with a fresh address-space layout, a few times at most.
#define MAXRES 64
static struct {
  uint64_t s, e;
} g_res[MAXRES]; // the placeholders still in place: disjoint, page-aligned
static int g_nres;

// 0 when every range is reserved, -1 when one was already in use (the others are reserved)
static int reserve_ranges(const char *spec) {
  int collided = 0;
  for (const char *p = spec; *p;) {
    char *end;
    uint64_t s = strtoull(p, &end, 0);
    if (*end != '-') break;
    uint64_t e = strtoull(end + 1, &end, 0);
    p = *end == ',' ? end + 1 : end;
    if (e <= s || (s | e) & (PAGE_SZ - 1) || g_nres >= MAXRES) continue;
    void *r = mmap((void *)(uintptr_t)s, e - s, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (r == MAP_FAILED) {
      // EEXIST: in use; anything else (below mmap_min_addr, past the top of user space): the scenario's own
      // mmap will fail as it would in any program, nothing to protect
      if (errno == EEXIST) collided = 1;
      continue;
    }
    if ((uint64_t)(uintptr_t)r != s) { // a kernel without MAP_FIXED_NOREPLACE took it as a hint
      munmap(r, e - s);
      continue;
    }
    g_res[g_nres].s = s;
    g_res[g_nres++].e = e;
  }
  return collided ? -1 : 0;
}

// the scenario maps [a, a+len) at a fixed address: the placeholders there make way
static void release_ranges(uint64_t a, uint64_t len) {
  uint64_t s = a & ~(PAGE_SZ - 1), e = (a + len + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
  if (e <= s) return;
  for (int i = 0, n = g_nres; i < n; i++) {
    uint64_t rs = g_res[i].s, re = g_res[i].e;
    if (re <= s || rs >= e) continue;
    uint64_t cs = rs > s ? rs : s, ce = re < e ? re : e;
    int left = rs < cs, right = ce < re;
    if (left && right && g_nres >= MAXRES) { // no room to keep both sides: the right one goes too
      munmap((void *)(uintptr_t)ce, re - ce);
      right = 0;
    }
    munmap((void *)(uintptr_t)cs, ce - cs);
    if (left && right) {
      g_res[g_nres].s = ce;
      g_res[g_nres++].e = re;
      g_res[i].e = cs;
    } else if (left) g_res[i].e = cs;
    else if (right) g_res[i].s = ce;
    else g_res[i].s = g_res[i].e = 0;
  }
}

// ---- shared state: every process of the scenario sees it (MAP_SHARED) --------------------------------
enum { V_NONE, V_MAPPING, V_UFFD, V_MSG, V_DATA, V_IOCTLS, V_PROCESS, V_SCAN, V_PIN, V_PIPE, V_FILE };
typedef struct {
  const char *name; // points into the plan (same address in every forked process)
  _Atomic int kind;
  uint64_t a, b, c, d; // mapping: addr, len; uffd: fd, the processes that closed it, 1 + the process whose mm it serves
                       // (0: unknown); msg: address, flags, event, ptid; data: addr; ioctls: value;
                       // pin: io_uring fd, first page, bytes; pipe: read fd, first page, bytes spliced, write fd
  uint64_t off, len;   // data / scan: bytes in the pool
} Var;

enum { T_UNBORN, T_READY, T_DONE, T_SIGNAL, T_KILLED, T_UNFINISHED };
enum { S_IDLE, S_BLOCKED_FAULT, S_BLOCKED_READ, S_BLOCKED_EVENT };
enum { R_NONE, R_DONE, R_ENDED };
typedef struct {
  const char *name;
  int proc;      // index into Shared.procs
  int nops;
  int loop;      // a server thread: after its last operation it starts again at the first (`loop: true`)
  J *ops;        // the plan's op list
  _Atomic int go;       // futex: the scheduler bumps it to give a step
  _Atomic int done;     // futex: the thread bumps it when an operation completed or the thread ended
  _Atomic int status;   // T_*
  _Atomic int last;     // R_* of the last completion
  _Atomic int tid, pid;
  _Atomic int pc;       // next operation
  _Atomic int kill;     // the scheduler asks the thread to end (its process died)
  _Atomic int sig;
  _Atomic int killed_by;
  _Atomic uint64_t cur_addr; // page the current memory operation is touching
  uint64_t wait_addr;        // S_BLOCKED_FAULT: the address the fault waits under (waiter_addr), set by the scheduler
  _Atomic int in_op;
  // a madvise(MADV_POPULATE_*) under way: its range and whether it populates writable (gup_len 0: none)
  _Atomic uint64_t gup_start, gup_len;
  _Atomic int gup_write;
  _Atomic long op_minflt0, op_majflt0; // the thread's fault counters when its current operation began
  // a GUP operation (pin, vmsplice, proc_mem_*) ends a step of the model's at the cond_resched() after each
  // fault (src/sched/exec.ts gupOp): the faults it took become that many steps of the schedule after the
  // one that carried it out (`yields`, consumed by step(); the last returns what the real step did)
  _Atomic int gup_faults;
  _Atomic int gup_op;  // a pin or vmsplice is under way (it may sleep in handle_userfault)
  int yields, yield_ret;
  int gup_counted;     // steps already added for the faults of the GUP operation under way
  // scheduler's view
  int sched;   // S_*
  int waken;   // a (deferred) wake-up covered this thread's fault, or its uffd event was read
  long event_seq; // S_BLOCKED_EVENT: when it began to wait (the oldest waiter's event is read first)
  int wake_fd;
  int seen_done; // value of `done` the scheduler has accounted for
  int event_asleep; // its operation ended in the kernel after a reader asleep in read(2) took the event it sent
  // a fork under way: the task that calls fork(2) for this thread (its process's controller), whose wchan
  // stands for the thread's (0: none)
  _Atomic int proxy_pid, proxy_tid;
  long minflt, majflt;
  void *stack;
  size_t stack_len;
} Thread;

typedef struct {
  const char *name;
  _Atomic int pid;
  _Atomic int ready;    // its threads are started
  _Atomic int shutdown; // the scheduler tells it to exit
  _Atomic int req;      // a thread of this process asks the process's controller to fork
  _Atomic int req_done;
  int req_thread, req_op;
  _Atomic int ctl_tid;  // the controller's thread (the main process's: its forker thread)
  _Atomic int alive;
} Proc;

// The executor's limits (src/host/run.ts checks a scenario against them when it is loaded)
#define MAXT 64
#define MAXP 16
#define MAXV 512

// One record per operation of the scenario, its last run's (a loop thread runs its operations many times;
// the model keeps the last record of each too). Its pool buffers are reused by the next run of the same
// operation, so that a server loop does not fill the pool.
typedef struct {
  int t;  // thread index, -1 for setup
  int i;  // op index
  int set; // the operation ran (at least once)
  int err; // errno, or ERR_SKIPPED
  int has_res;
  uint64_t res_off, res_len, res_cap; // result text in the pool
  int has_out;
  uint64_t out_off, out_cap;          // what the call wrote back into its argument, as a JSON object
  uint64_t data_off[2], data_cap[2];  // the operation's data (read buffers, taken in turn; a scan's vector)
  int data_next;
} Rec;
// the operation was skipped: an argument names what a failed operation never produced (docs/scenarios.md)
#define ERR_SKIPPED (-1)

typedef struct {
  _Atomic uint64_t pool_used;
  uint64_t pool_size;
  int nslots;        // records: the setup's operations, then each thread's
  int op_base[MAXT]; // the slot of each thread's first operation
  int nthreads, nprocs;
  _Atomic int nvars;
  Thread threads[MAXT];
  Proc procs[MAXP];
  Var vars[MAXV];
  int main_pid;
  _Atomic int fatal; // an executor thread hit an internal error
  _Atomic int last_event; // the event of the message the last read_uffd took (0: none; settle_event)
  char fatal_msg[256];
  char tmpdir[64]; // the tmpfs directory `open` creates files in (files_cleanup removes it)
  char hugedir[64]; // the hugetlbfs mount `open` with fs: hugetlbfs creates files in (files_cleanup unmounts it)
  _Atomic int swap_on; // the swap file enabled now: 1 + its index in options.swap.files (0: none)
  _Atomic int fork_child; // the process the latest fork made (or is making): a FORK message's uffd serves its mm
} Shared;

static Shared *SH;
static Rec *RECS;
static char *POOL;
static J *PLAN;

static uint64_t pool_alloc(uint64_t n) {
  uint64_t off = atomic_fetch_add(&SH->pool_used, (n + 15) & ~15ULL);
  if (off + n > SH->pool_size) {
    atomic_store(&SH->fatal, 1);
    snprintf(SH->fatal_msg, sizeof SH->fatal_msg, "executor result pool is full (%" PRIu64 " bytes)", SH->pool_size);
    return ~0ULL;
  }
  return off;
}
// a buffer of at least n bytes that belongs to one operation's record: the one of its last run when that is
// large enough (*off, *cap), else a new one
static uint64_t pool_reuse(uint64_t *off, uint64_t *cap, uint64_t n) {
  if (n == 0) n = 1;
  if (*cap >= n) return *off;
  uint64_t o = pool_alloc(n);
  if (o == ~0ULL) return o;
  *off = o;
  *cap = n;
  return o;
}

// ---- swap files (src/host/swap.ts makes them; options.swap: { dir, files: { op id: path }, none }) ---------
#define SWAP_PRIO 32767
static J *g_swap;
// swapoff(2) of every swap file of the plan that is still enabled, by the main process only (a forked
// child's exit must not take swap away from the scenario); before the result is written, and on every
// failure path, so that swap never outlives the run (mmsim swaps them off again in any case)
// vm.page-cluster is held at 0 while the run's swap is on: swap readahead then reads the faulting slot only,
// as the model does, where its window otherwise depends on the machine's earlier swap-ins (swapin_nr_pages:
// other runs, other tests). Set at the first swapon, written back with the swap (the previous value and the
// executor's pid in PC_STATE meanwhile, which src/host/swap.ts gives back should the executor be killed).
#define PC_SYSCTL "/proc/sys/vm/page-cluster"
static long g_pc_prev = -1;
static pid_t g_pc_owner;
static const char *pc_state_path(void) {
  return getenv("MMSIM_PAGE_CLUSTER_STATE") ? getenv("MMSIM_PAGE_CLUSTER_STATE") : "/tmp/mmsim-page-cluster.prev";
}
static long read_long_file(const char *path);
static int write_long_file(const char *path, long v);
static void page_cluster_zero(void) {
  if (g_pc_prev >= 0) return;
  long prev = read_long_file(PC_SYSCTL);
  if (prev < 0) return;
  FILE *f = fopen(pc_state_path(), "we");
  if (!f) return;
  fprintf(f, "%ld %d\n", prev, (int)getpid());
  fclose(f);
  g_pc_prev = prev;
  g_pc_owner = getpid();
  write_long_file(PC_SYSCTL, 0);
}
static void page_cluster_restore(void) {
  if (g_pc_prev < 0 || getpid() != g_pc_owner) return;
  write_long_file(PC_SYSCTL, g_pc_prev);
  if (read_long_file(PC_SYSCTL) == g_pc_prev) unlink(pc_state_path());
  g_pc_prev = -1;
}
static void swap_cleanup(void) {
  J *files = g_swap ? jget(g_swap, "files") : NULL;
  if (!files || !SH || getpid() != SH->main_pid) return;
  for (int i = 0; i < files->n; i++) swapoff(files->v[i]->str);
  atomic_store(&SH->swap_on, 0);
  page_cluster_restore();
}

// the run's tmpfs directory for `open` (made on first use, under /dev/shm, which must be tmpfs); the main
// process removes it and its files at the end
static const char *files_dir(void) {
  if (SH->tmpdir[0]) return SH->tmpdir;
  char t[64] = "/dev/shm/mmsim-XXXXXX";
  if (!mkdtemp(t)) die("open: cannot make a directory under /dev/shm: %s", strerror(errno));
  snprintf(SH->tmpdir, sizeof SH->tmpdir, "%s", t);
  return SH->tmpdir;
}
// the run's hugetlbfs directory for `open` with fs: hugetlbfs: a hugetlbfs (2 MiB pages) mounted on a new directory
// under /tmp, in the executor's own mount namespace (hugetlbfs_private_ns, at the start: no other process sees the
// mount, and it goes with the executor's last process whatever ends it); files_cleanup unmounts it and removes the
// directory
static const char *hugetlbfs_dir(void) {
  if (SH->hugedir[0]) return SH->hugedir;
  char t[64] = "/tmp/mmsim-hugetlbfs-XXXXXX";
  if (!mkdtemp(t)) die("open: cannot make a directory under /tmp: %s", strerror(errno));
  if (mount("mmsim", t, "hugetlbfs", MS_NOSUID | MS_NODEV, "pagesize=2M")) {
    int e = errno;
    rmdir(t);
    die("open: cannot mount a hugetlbfs on %s: %s", t, strerror(e));
  }
  snprintf(SH->hugedir, sizeof SH->hugedir, "%s", t);
  return SH->hugedir;
}
// does the scenario open a file of hugetlbfs? Then the executor takes a mount namespace of its own before it starts a
// thread (unshare(CLONE_NEWNS) refuses a process that has threads), its mounts private (no propagation to the host)
static void hugetlbfs_private_ns(J *sc) {
  J *lists[1 + MAXT];
  int n = 0;
  J *setup = jget(sc, "setup"), *threads = jget(sc, "threads");
  if (setup) lists[n++] = setup;
  for (int i = 0; threads && i < threads->n && n < 1 + MAXT; i++) lists[n++] = jget(threads->v[i], "ops");
  int want = 0;
  for (int l = 0; l < n && !want; l++)
    for (int i = 0; lists[l] && i < lists[l]->n; i++)
      if (!strcmp(jstr(lists[l]->v[i], "op"), "open") && jbool(lists[l]->v[i], "hugetlbfs")) want = 1;
  if (!want) return;
  if (unshare(CLONE_NEWNS)) die("open: a hugetlbfs file needs a mount namespace of the executor's own: unshare: %s", strerror(errno));
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("open: cannot make the executor's mounts private: %s", strerror(errno));
}
static void files_cleanup(void) {
  if (!SH || getpid() != SH->main_pid) return;
  if (SH->hugedir[0]) {
    char f[384];
    DIR *d = opendir(SH->hugedir);
    if (d) {
      struct dirent *e;
      while ((e = readdir(d))) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
        snprintf(f, sizeof f, "%s/%s", SH->hugedir, e->d_name);
        unlink(f);
      }
      closedir(d);
    }
    umount2(SH->hugedir, MNT_DETACH);
    rmdir(SH->hugedir);
    SH->hugedir[0] = 0;
  }
  if (!SH->tmpdir[0]) return;
  char cmd[384];
  // the names are the scenario's own ([A-Za-z0-9_.-]+: the loader checks): unlink each, then the directory
  DIR *d = opendir(SH->tmpdir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
      snprintf(cmd, sizeof cmd, "%s/%s", SH->tmpdir, e->d_name);
      unlink(cmd);
    }
    closedir(d);
  }
  rmdir(SH->tmpdir);
  SH->tmpdir[0] = 0;
}

// ---- the hugetlb pool (options.hugepages: the free 2 MiB pages the scenario starts with) ----------------
// vm.nr_hugepages is system-wide: the executor (root) sets it for the run and ALWAYS writes the previous value
// back, before the result is written and on every failure path. The previous value is also in HP_STATE with
// the executor's pid, so that mmsim can give it back should the executor be killed (src/host/hugetlb.ts).
// Executors are serialised by lock_machine(), so two runs never share the pool.
#define HP_SYSCTL "/proc/sys/vm/nr_hugepages"
#define HP_OVERCOMMIT "/proc/sys/vm/nr_overcommit_hugepages"
static long g_hp_prev = -1;
static pid_t g_hp_owner;
static const char *hp_state_path(void) {
  return getenv("MMSIM_HUGETLB_STATE") ? getenv("MMSIM_HUGETLB_STATE") : "/tmp/mmsim-hugetlb.prev";
}
static long read_long_file(const char *path) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 ? atol(buf) : -1;
}
static int write_long_file(const char *path, long v) {
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%ld\n", v);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t w = write(fd, buf, (size_t)n);
  close(fd);
  return w == n ? 0 : -1;
}
// a "Name:   value" line of /proc/meminfo (-1: none). The kernel prints its counters as unsigned long: one that
// went below zero (HugePages_Rsvd can) reads as ULONG_MAX and is returned as the negative long it wrapped from
static long meminfo_value(const char *name) {
  FILE *f = fopen("/proc/meminfo", "re");
  if (!f) return -1;
  char line[256];
  long v = -1;
  size_t nl = strlen(name);
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, name, nl) && line[nl] == ':') {
      v = (long)strtoul(line + nl + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return v;
}
// the previous vm.nr_hugepages written back (main process only: a forked child's exit must not do it)
static void hugepages_cleanup(void) {
  if (g_hp_prev < 0 || getpid() != g_hp_owner) return;
  write_long_file(HP_SYSCTL, g_hp_prev);
  if (read_long_file(HP_SYSCTL) == g_hp_prev) unlink(hp_state_path());
  g_hp_prev = -1;
}
// the run cannot be carried out here (not an error of the scenario): one line for mmsim to skip it with
static void hugepages_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void hugepages_skip(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  hugepages_cleanup();
  shmem_thp_cleanup();
  Str s = {0};
  s_puts(&s, "{\"ok\":false,\"skip\":");
  s_json_str(&s, buf);
  s_puts(&s, "}\n");
  if (write(g_out_fd, s.p, s.n) < 0) _exit(3);
  _exit(3);
}
// a pool of exactly `want` free 2 MiB pages, none reserved or surplus, or a skip with the reason
static void hugepages_setup(long want) {
  if (geteuid() != 0) hugepages_skip("the scenario needs a hugetlb pool of %ld pages: setting vm.nr_hugepages needs root", want);
  long size = meminfo_value("Hugepagesize");
  if (size != 2048) hugepages_skip("the default huge page size here is %ld kB, the model's 2048 kB", size);
  long over = read_long_file(HP_OVERCOMMIT);
  if (over != 0) hugepages_skip("vm.nr_overcommit_hugepages is %ld here; the model makes no surplus pages (0)", over);
  long prev = read_long_file(HP_SYSCTL);
  if (prev < 0) hugepages_skip("cannot read " HP_SYSCTL);
  FILE *f = fopen(hp_state_path(), "we");
  if (!f) hugepages_skip("cannot write %s (where the previous vm.nr_hugepages is kept while the run lasts)", hp_state_path());
  fprintf(f, "%ld %d\n", prev, (int)getpid());
  fclose(f);
  g_hp_prev = prev;
  g_hp_owner = getpid();
  if (write_long_file(HP_SYSCTL, want) != 0) hugepages_skip("cannot write vm.nr_hugepages=%ld: %s", want, strerror(errno));
  long total = read_long_file(HP_SYSCTL), fr = meminfo_value("HugePages_Free"), rs = meminfo_value("HugePages_Rsvd"), sp = meminfo_value("HugePages_Surp");
  if (total != want || fr != want || rs != 0 || sp != 0) {
    hugepages_skip("the hugetlb pool could not be set to %ld free pages (vm.nr_hugepages=%ld, HugePages_Free %ld, Rsvd %ld, Surp %ld)", want, total, fr, rs, sp);
  }
}

// ---- shmem_enabled (options.shmem_enabled: the scenario's config) ------------------------------------
// /sys/kernel/mm/transparent_hugepage/shmem_enabled is system-wide, as vm.nr_hugepages is: the executor (root)
// sets it for the run and ALWAYS writes the previous value back, before the result is written and on every
// failure path; the previous value and the executor's pid are in SHMEM_STATE while the run lasts, so that
// mmsim can give it back should the executor be killed (src/host/shmem-thp.ts).
#define SHMEM_SYSFS "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
static char g_shmem_prev[32];
static pid_t g_shmem_owner;
static const char *shmem_state_path(void) {
  return getenv("MMSIM_SHMEM_THP_STATE") ? getenv("MMSIM_SHMEM_THP_STATE") : "/tmp/mmsim-shmem-thp.prev";
}
// the selected value of a sysfs choice ("always [never] ..." -> "never"), "" when unreadable
static void sysfs_selected(const char *path, char *out, size_t n) {
  char buf[256] = {0};
  out[0] = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t r = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (r <= 0) return;
  char *a = strchr(buf, '['), *b = a ? strchr(a, ']') : NULL;
  if (a && b) snprintf(out, n, "%.*s", (int)(b - a - 1), a + 1);
}
static int write_str_file(const char *path, const char *v) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t w = write(fd, v, strlen(v));
  close(fd);
  return w == (ssize_t)strlen(v) ? 0 : -1;
}
// the previous shmem_enabled written back (main process only: a forked child's exit must not do it)
static void shmem_thp_cleanup(void) {
  if (!g_shmem_prev[0] || getpid() != g_shmem_owner) return;
  write_str_file(SHMEM_SYSFS, g_shmem_prev);
  char now[32];
  sysfs_selected(SHMEM_SYSFS, now, sizeof now);
  if (!strcmp(now, g_shmem_prev)) unlink(shmem_state_path());
  g_shmem_prev[0] = 0;
}
// shmem_enabled set to `want` for the run, or a skip with the reason
static void shmem_thp_setup(const char *want) {
  if (geteuid() != 0) hugepages_skip("the scenario sets shmem_enabled=%s: writing " SHMEM_SYSFS " needs root", want);
  char prev[32];
  sysfs_selected(SHMEM_SYSFS, prev, sizeof prev);
  if (!prev[0]) hugepages_skip("cannot read " SHMEM_SYSFS " (no CONFIG_TRANSPARENT_HUGEPAGE?)");
  if (!strcmp(prev, want)) return;
  FILE *f = fopen(shmem_state_path(), "we");
  if (!f) hugepages_skip("cannot write %s (where the previous shmem_enabled is kept while the run lasts)", shmem_state_path());
  fprintf(f, "%s %d\n", prev, (int)getpid());
  fclose(f);
  snprintf(g_shmem_prev, sizeof g_shmem_prev, "%s", prev);
  g_shmem_owner = getpid();
  char now[32];
  if (write_str_file(SHMEM_SYSFS, want) != 0) hugepages_skip("cannot write shmem_enabled=%s: %s", want, strerror(errno));
  sysfs_selected(SHMEM_SYSFS, now, sizeof now);
  if (strcmp(now, want)) hugepages_skip("shmem_enabled reads %s after writing %s", now, want);
}

static Var *var_find(const char *name) {
  int n = atomic_load(&SH->nvars);
  for (int i = 0; i < n; i++)
    if (SH->vars[i].name && !strcmp(SH->vars[i].name, name)) return &SH->vars[i];
  return NULL;
}
static Var *var_set(const char *name, int kind) {
  if (!name) return NULL;
  Var *v = var_find(name);
  if (!v) {
    int i = atomic_fetch_add(&SH->nvars, 1);
    if (i >= MAXV) die("too many names");
    v = &SH->vars[i];
    v->name = name;
  }
  atomic_store(&v->kind, kind);
  return v;
}

// ---- expressions (src/scenario/expr.ts) ---------------------------------------------------------------
// eval's answers: a value, no value (a name that a failed or later operation would have defined: the
// operation is SKIPPED, as the model's EvalError makes it), or a plan mmsim never writes
#define EVAL_NOVALUE (-1)
#define EVAL_BAD (-2)
static char g_eval_err[256];
static int eval(J *e, uint64_t *out) {
  if (!e || e->t != J_OBJ) {
    snprintf(g_eval_err, sizeof g_eval_err, "bad expression");
    return EVAL_BAD;
  }
  const char *k = jstr(e, "k");
  if (!k) {
    snprintf(g_eval_err, sizeof g_eval_err, "bad expression");
    return EVAL_BAD;
  }
  if (!strcmp(k, "num")) {
    const char *v = jstr(e, "v");
    *out = v ? strtoull(v, NULL, 10) : 0;
    return 0;
  }
  if (!strcmp(k, "sym")) {
    const char *name = jstr(e, "name"), *field = jstr(e, "field");
    Var *v = var_find(name);
    int kind = v ? atomic_load(&v->kind) : V_NONE;
    int ok = 1;
    switch (kind) {
      case V_MAPPING:
        if (field && !strcmp(field, "len")) *out = v->b;
        else if (!field || !strcmp(field, "addr")) *out = v->a;
        else ok = 0;
        break;
      case V_MSG:
        // the argument union's three words by their names in each event (the model's UffdMsg): REMOVE and
        // UNMAP's start/end, REMAP's from/to/len
        if (!field || !strcmp(field, "address") || !strcmp(field, "end") || !strcmp(field, "to")) *out = v->a;
        else if (!strcmp(field, "flags") || !strcmp(field, "start") || !strcmp(field, "from")) *out = v->b;
        else if (!strcmp(field, "event")) *out = v->c;
        else if (!strcmp(field, "ptid") || !strcmp(field, "len")) *out = v->d;
        else ok = 0;
        break;
      case V_DATA:
        if (!field || !strcmp(field, "addr")) *out = v->a;
        else ok = 0;
        break;
      case V_IOCTLS: *out = v->a; break;
      default: ok = 0;
    }
    if (!ok) {
      snprintf(g_eval_err, sizeof g_eval_err, "'%s%s%s' has no value here", name, field ? "." : "", field ? field : "");
      return EVAL_NOVALUE;
    }
    return 0;
  }
  if (!strcmp(k, "un")) {
    uint64_t x;
    int r = eval(jget(e, "x"), &x);
    if (r) return r;
    *out = ~x;
    return 0;
  }
  if (!strcmp(k, "bin")) {
    // C's unsigned long arithmetic, as evalExpr does it (a shift of 64 or more gives 0)
    uint64_t a, b;
    int r = eval(jget(e, "a"), &a);
    if (r || (r = eval(jget(e, "b"), &b))) return r;
    const char *op = jstr(e, "op");
    if (!op) {
      snprintf(g_eval_err, sizeof g_eval_err, "bad expression");
      return EVAL_BAD;
    }
    switch (op[0]) {
      case '+': *out = a + b; break;
      case '-': *out = a - b; break;
      case '*': *out = a * b; break;
      case '&': *out = a & b; break;
      case '|': *out = a | b; break;
      case '^': *out = a ^ b; break;
      case '<': *out = b >= 64 ? 0 : a << b; break;
      case '>': *out = b >= 64 ? 0 : a >> b; break;
      case '/':
      case '%':
        if (!b) { // an EvalError in the model too: the operation is skipped
          snprintf(g_eval_err, sizeof g_eval_err, "division by zero");
          return EVAL_NOVALUE;
        }
        *out = op[0] == '/' ? a / b : a % b;
        break;
      default:
        snprintf(g_eval_err, sizeof g_eval_err, "unknown operator '%s'", op);
        return EVAL_BAD;
    }
    return 0;
  }
  snprintf(g_eval_err, sizeof g_eval_err, "unknown expression kind '%s'", k);
  return EVAL_BAD;
}

// ---- per-thread execution context ------------------------------------------------------------------
typedef struct {
  int ti; // thread index, -1 for setup
  Thread *T;
  sigjmp_buf jb;
  volatile int jb_armed;
  volatile int got_sig;
} Ctx;
static __thread Ctx *tls_ctx;

static void on_fault_signal(int sig, siginfo_t *si, void *uc) {
  (void)si;
  (void)uc;
  Ctx *c = tls_ctx;
  if (c && c->jb_armed) {
    c->got_sig = sig;
    c->jb_armed = 0;
    siglongjmp(c->jb, 1);
  }
  if (sig == SIGUSR1) return; // a kill request outside an operation: the loop sees `kill`
  // not a scenario access: the executor itself is broken; die with the signal
  signal(sig, SIG_DFL);
  raise(sig);
}

static void install_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault_signal;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
}

static void getflt(long *mn, long *mj) {
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  *mn = ru.ru_minflt;
  *mj = ru.ru_majflt;
}

// the record of operation oi of thread ti (-1: setup)
static Rec *rec_of(int ti, int oi) { return &RECS[ti < 0 ? oi : SH->op_base[ti] + oi]; }

// out: the fields the call wrote back into its argument struct (a JSON object), or NULL
static void record_out(int ti, int oi, int err, const char *result, const char *out) {
  Rec *x = rec_of(ti, oi);
  x->t = ti;
  x->i = oi;
  x->err = err;
  x->has_res = 0;
  if (result) {
    uint64_t n = strlen(result);
    uint64_t off = pool_reuse(&x->res_off, &x->res_cap, n + 1);
    if (off != ~0ULL) {
      memcpy(POOL + off, result, n + 1);
      x->res_len = n;
      x->has_res = 1;
    }
  }
  x->has_out = 0;
  if (out) {
    uint64_t n = strlen(out);
    uint64_t off = pool_reuse(&x->out_off, &x->out_cap, n + 1);
    if (off != ~0ULL) {
      memcpy(POOL + off, out, n + 1);
      x->has_out = 1;
    }
  }
  x->set = 1;
}
static void record(int ti, int oi, int err, const char *result) { record_out(ti, oi, err, result, NULL); }
/** a successful read's record: the bytes read, as "bytes:" and hex (the runner digests them as the model does) */
static void record_bytes(int ti, int oi, const uint8_t *buf, uint64_t n) {
  Str s = {0};
  s_puts(&s, "bytes:");
  for (uint64_t i = 0; i < n; i++) s_printf(&s, "%02x", buf[i]);
  record(ti, oi, 0, s.p);
  free(s.p);
}

// a buffer for this run of an operation's data (n bytes): read buffers alternate between two, so that the
// name a finished read defined keeps its bytes while the next run of the same read fills the other
static uint64_t op_data(int ti, int oi, uint64_t n, int alternate) {
  Rec *x = rec_of(ti, oi);
  int b = alternate ? x->data_next : 0;
  if (alternate) x->data_next ^= 1;
  return pool_reuse(&x->data_off[b], &x->data_cap[b], n);
}

static const char *sig_name(int sig) {
  static char b[32];
  if (sig == SIGSEGV) return "SIGSEGV";
  if (sig == SIGBUS) return "SIGBUS";
  snprintf(b, sizeof b, "signal %d", sig);
  return b;
}

// An output field the kernel did not write keeps this value: the ioctls write a byte count or -errno into
// uffdio_copy.copy / uffdio_zeropage.zeropage, and PAGEMAP_SCAN an address into walk_end, never this.
#define UNWRITTEN ((int64_t)INT64_MIN)
// UFFDIO_MOVE (v6.8): struct uffdio_move and its ioctl, spelled out for older userspace headers
struct mmsim_uffdio_move {
  uint64_t dst, src, len, mode;
  int64_t move;
};
#define MMSIM_UFFDIO_MOVE_MODE_DONTWAKE ((uint64_t)1 << 0)
#define MMSIM_UFFDIO_MOVE _IOWR(UFFDIO, 0x05, struct mmsim_uffdio_move)
// struct uffdio_continue as v5.13+ has it (UFFDIO_CONTINUE_MODE_WP, v6.4, is 1 << 1), and its ioctl, spelled
// out for userspace headers older than v5.13
struct mmsim_uffdio_continue {
  struct uffdio_range range;
  uint64_t mode;
  int64_t mapped;
};
#ifndef UFFDIO_CONTINUE
#define UFFDIO_CONTINUE _IOWR(UFFDIO, 0x07, struct mmsim_uffdio_continue)
#endif
#ifndef UFFDIO_CONTINUE_MODE_DONTWAKE
#define UFFDIO_CONTINUE_MODE_DONTWAKE ((uint64_t)1 << 0)
#endif
// UFFDIO_POISON (v6.6, 0x08): struct uffdio_poison has struct uffdio_continue's layout (range, mode with
// DONTWAKE in bit 0, the output `updated`), so the executor passes the one struct to both ioctls
#define MMSIM_UFFDIO_POISON _IOWR(UFFDIO, 0x08, struct mmsim_uffdio_continue)

static int madv_of(const char *n) {
  static const struct {
    const char *n;
    int v;
  } tab[] = {{"normal", 0}, {"random", 1}, {"sequential", 2}, {"willneed", 3}, {"dontneed", 4}, {"free", 8},
             {"remove", 9}, {"dontfork", 10}, {"dofork", 11}, {"mergeable", 12}, {"unmergeable", 13},
             {"hugepage", 14}, {"nohugepage", 15}, {"dontdump", 16}, {"dodump", 17}, {"wipeonfork", 18},
             {"keeponfork", 19}, {"cold", 20}, {"pageout", 21}, {"populate_read", 22}, {"populate_write", 23}, {"dontneed_locked", 24},
             {"collapse", 25}, {"guard_install", 102}, {"guard_remove", 103}};
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (!strcmp(tab[i].n, n)) return tab[i].v;
  return -1;
}

static int in_hugetlb_mapping(int pid, uint64_t addr);

// the address a blocked fault waits under, which a wake-up's range must cover (userfaultfd_wake_function
// compares the message's address): its page, or for a hugetlb fault its huge page's start. Worked out by
// the scheduler when the thread goes to sleep (reading smaps allocates: in a scenario thread's operation,
// its page faults would count as the operation's)
static uint64_t waiter_addr(Thread *T) {
  uint64_t a = atomic_load(&T->cur_addr) & ~(PAGE_SZ - 1);
  if (in_hugetlb_mapping(atomic_load(&T->pid), a)) a &= ~(uint64_t)((2u << 20) - 1);
  return a;
}

// does a wake-up through uffd u reach T's fault? Only the faults of the mm u serves (its context's, as
// userfaultfd_ctx's wait queues are): a FORK message's uffd wakes the child's faults, never the parent's at the
// same address (host fuzz seed 9104 run 72: the parent's fault was marked woken by the child's UFFDIO_ZEROPAGE)
static int wakes_thread(const Var *u, const Thread *T) {
  return !u || !u->c || T->proc == (int)u->c - 1;
}

// a deferred wake-up through uffd u (its descriptor fd): mark the blocked threads whose fault lies in [start, start+len)
static void defer_wake(const Var *u, int fd, uint64_t start, uint64_t len) {
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *T = &SH->threads[i];
    if (T->sched != S_BLOCKED_FAULT || !wakes_thread(u, T)) continue;
    uint64_t a = T->wait_addr;
    if (len == 0 || (a >= start && a < start + len)) {
      T->waken = 1;
      T->wake_fd = fd;
    }
  }
}

static uint64_t page_of(uint64_t a) { return a & ~(PAGE_SZ - 1); }

// /proc/self/maps, read into memory the executor settled (no allocation: a fault there would be the operation's)
static char g_maps[1 << 17];

// how many of the n pages from `first` lie in writable VMAs one after another: pin_user_pages(FOLL_WRITE)
// stops at the first page past them at the latest (a hole or a VMA without VM_WRITE is EFAULT, check_vma_flags);
// n when the maps do not fit the buffer
static uint64_t writable_prefix(uint64_t first, uint64_t n) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return n;
  size_t len = 0;
  ssize_t r;
  while (len < sizeof g_maps - 1 && (r = read(fd, g_maps + len, sizeof g_maps - 1 - len)) > 0) len += (size_t)r;
  close(fd);
  if (len >= sizeof g_maps - 1) return n;
  g_maps[len] = 0;
  uint64_t cur = first, end = first + n * PAGE_SZ;
  for (char *p = g_maps; *p && cur < end;) {
    unsigned long s, e;
    char perms[5] = {0};
    if (sscanf(p, "%lx-%lx %4s", &s, &e, perms) == 3 && e > cur) {
      if (s > cur || perms[1] != 'w') break; // (the lines go up by address)
      cur = e;
    }
    char *nl = strchr(p, '\n');
    if (!nl) break;
    p = nl + 1;
  }
  return ((cur < end ? cur : end) - first) / PAGE_SZ;
}

// the VMAs of T's process registered for uffd-wp ("uw" in smaps' VmFlags) that overlap [start, end)
static int uffd_wp_vmas(Thread *T, uint64_t start, uint64_t end, uint64_t (*r)[2], int max) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/smaps", atomic_load(&T->pid));
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  int n = 0;
  unsigned long s = 0, e = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long a, b;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3 && strchr(line, '-') < strchr(line, ' ')) {
      s = a, e = b;
      continue;
    }
    if (strncmp(line, "VmFlags:", 8) || e <= start || s >= end || n >= max) continue;
    if (strstr(line, " uw")) r[n][0] = s, r[n][1] = e, n++;
  }
  fclose(f);
  return n;
}

// the page a MADV_POPULATE_* of T sleeps on in handle_userfault. GUP walks the range in order and has made
// every page before it present (and, for MADV_POPULATE_WRITE, writable), so it is the first page that is
// not present, or for a write one that carries uffd-wp in a VMA registered for WP (a uffd-wp bit left in a
// VMA without VM_UFFD_WP does not stop GUP), as T's process's pagemap shows right after T went to sleep
static uint64_t gup_fault_page(Thread *T) {
  uint64_t start = page_of(atomic_load(&T->gup_start)), len = atomic_load(&T->gup_len);
  int write = atomic_load(&T->gup_write);
  uint64_t wp[64][2];
  int nwp = write ? uffd_wp_vmas(T, start, start + len, wp, 64) : 0;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/pagemap", atomic_load(&T->pid));
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return start;
  uint64_t buf[512];
  for (uint64_t a = start; a < start + len;) {
    uint64_t n = (start + len - a + PAGE_SZ - 1) / PAGE_SZ;
    if (n > 512) n = 512;
    ssize_t r = pread(f, buf, n * 8, (off_t)(a / PAGE_SZ * 8));
    if (r <= 0) break;
    for (uint64_t i = 0; i < (uint64_t)r / 8; i++, a += PAGE_SZ) {
      int stop = !(buf[i] & PM_PRESENT);
      for (int j = 0; !stop && (buf[i] & PM_UFFD_WP) && j < nwp; j++) stop = a >= wp[j][0] && a < wp[j][1];
      if (stop) {
        close(f);
        return a;
      }
    }
  }
  close(f);
  return start;
}

// the fault counters of T from /proc (minflt, majflt: fields 10 and 12 of its stat), for a thread that
// sleeps in the kernel and cannot call getrusage itself
static int task_flt(Thread *T, long *mn, long *mj) {
  char path[96], b[1024];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", atomic_load(&T->pid), atomic_load(&T->tid));
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return -1;
  ssize_t r = read(f, b, sizeof b - 1);
  close(f);
  if (r <= 0) return -1;
  b[r] = 0;
  char *p = strrchr(b, ')');
  if (!p) return -1;
  long v[9];
  // after "(comm)": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
  if (sscanf(p + 1, " %*c %ld %ld %ld %ld %ld %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) != 9) return -1;
  *mn = v[6];
  *mj = v[8];
  return 0;
}

// touch memory the way the CPU would: page by page, each page's first byte first
static void mem_access(Ctx *c, int kind, uint64_t addr, uint64_t len, const uint8_t *src, uint8_t fill, uint8_t *dst) {
  uint64_t done = 0;
  while (done < len) {
    uint64_t a = addr + done;
    uint64_t n = PAGE_SZ - (a % PAGE_SZ);
    if (n > len - done) n = len - done;
    if (c->T) atomic_store(&c->T->cur_addr, a);
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)a;
    if (kind == 'w') {
      for (uint64_t i = 0; i < n; i++) p[i] = src[done + i];
    } else if (kind == 'm') {
      for (uint64_t i = 0; i < n; i++) p[i] = fill;
    } else {
      for (uint64_t i = 0; i < n; i++) dst[done + i] = p[i];
    }
    done += n;
  }
}

static void fmt_hex(char *b, size_t n, uint64_t v) { snprintf(b, n, "0x%" PRIx64, v); }

// ---- GUP from user space: pins as io_uring fixed buffers, vmsplice pipes, /proc/self/mem ------------------
// A `pin` is what userspace can take of a long-term pin without a driver: IORING_REGISTER_BUFFERS pins the
// buffer's pages with pin_user_pages(FOLL_WRITE | FOLL_LONGTERM); `pin_read` reads through it
// (IORING_OP_WRITE_FIXED of the buffer into a memfd, then read back), `unpin` unregisters it. One ring per pin.
typedef struct {
  int fd;
  void *sq, *cq;
  size_t sq_len, cq_len;
  struct io_uring_sqe *sqes;
  size_t sqes_len;
  struct io_uring_params p;
} Ring;
#define MAXRING 64
static Ring g_rings[MAXRING]; // by slot; process-local (a forked child has copies of the mappings)
static pthread_mutex_t g_ring_lock = PTHREAD_MUTEX_INITIALIZER;

static Ring *ring_of(int fd) {
  for (int i = 0; i < MAXRING; i++)
    if (g_rings[i].fd == fd && g_rings[i].sq) return &g_rings[i];
  return NULL;
}
// a ring of 2 entries, its rings mapped; the ring fd, or -errno
static int ring_new(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int fd = (int)syscall(__NR_io_uring_setup, 2, &p);
  if (fd < 0) return -errno;
  pthread_mutex_lock(&g_ring_lock);
  Ring *r = NULL;
  for (int i = 0; i < MAXRING && !r; i++)
    if (!g_rings[i].sq) r = &g_rings[i];
  if (!r) {
    pthread_mutex_unlock(&g_ring_lock);
    close(fd);
    return -EMFILE;
  }
  memset(r, 0, sizeof *r);
  r->p = p;
  r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if (p.features & IORING_FEAT_SINGLE_MMAP) r->sq_len = r->cq_len = r->sq_len > r->cq_len ? r->sq_len : r->cq_len;
  r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  r->cq = (p.features & IORING_FEAT_SINGLE_MMAP) ? r->sq : mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
  r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
  r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED) {
    int e = errno;
    r->sq = NULL;
    pthread_mutex_unlock(&g_ring_lock);
    close(fd);
    return -e;
  }
  r->fd = fd;
  pthread_mutex_unlock(&g_ring_lock);
  return fd;
}
static void ring_free(Ring *r) {
  pthread_mutex_lock(&g_ring_lock);
  munmap(r->sqes, r->sqes_len);
  if (r->cq != r->sq) munmap(r->cq, r->cq_len);
  munmap(r->sq, r->sq_len);
  close(r->fd);
  r->sq = NULL;
  r->fd = -1;
  pthread_mutex_unlock(&g_ring_lock);
}
// IORING_OP_WRITE_FIXED of registered buffer 0 ([buf, buf+len)) to fd at offset 0: bytes written, or -errno
static long ring_write_fixed(Ring *r, uint64_t buf, uint64_t len, int fd) {
  char *sq = r->sq, *cq = r->cq;
  _Atomic unsigned *tail = (_Atomic unsigned *)(sq + r->p.sq_off.tail);
  unsigned mask = *(unsigned *)(sq + r->p.sq_off.ring_mask);
  unsigned *array = (unsigned *)(sq + r->p.sq_off.array);
  unsigned t = atomic_load(tail), idx = t & mask;
  struct io_uring_sqe *e = &r->sqes[idx];
  memset(e, 0, sizeof *e);
  e->opcode = IORING_OP_WRITE_FIXED;
  e->fd = fd;
  e->addr = buf;
  e->len = (unsigned)len;
  e->off = 0;
  e->buf_index = 0;
  array[idx] = idx;
  atomic_store_explicit(tail, t + 1, memory_order_release);
  if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) return -errno;
  _Atomic unsigned *head = (_Atomic unsigned *)(cq + r->p.cq_off.head);
  unsigned cmask = *(unsigned *)(cq + r->p.cq_off.ring_mask);
  unsigned h = atomic_load_explicit(head, memory_order_acquire);
  struct io_uring_cqe *c = (struct io_uring_cqe *)(cq + r->p.cq_off.cqes) + (h & cmask);
  long res = c->res;
  atomic_store_explicit(head, h + 1, memory_order_release);
  return res;
}

static int do_fork_for(int pi_parent, const char *as);
static int fork_via_controller(Thread *T, int oi);

// include/uapi/linux/mempolicy.h (no libnuma): the modes and the flag the migrate operation passes to mbind
#define MMSIM_MPOL_DEFAULT 0
#define MMSIM_MPOL_LOCAL 4
#define MMSIM_MPOL_MF_MOVE (1U << 1)

// ---- one operation ----------------------------------------------------------------------------------
// Returns 0 when it completed (errno recorded or not), 1 when the thread died of a signal.
static int exec_op(Ctx *c, int oi, J *op) {
  const char *volatile kind = jstr(op, "op");
  int ti = c->ti;
  char res[256], outs[64];
  const char *result = "0";
  const char *out = NULL; // what the call wrote back into its argument (record_out)
  int err = 0;
  uint64_t a = 0, l = 0, v = 0;
  // an argument that names what a failed operation never produced: the operation is skipped
#define EV(field, dst)                                                 \
  do {                                                                 \
    int ev_ = eval(jget(op, field), &(dst));                           \
    if (ev_ == EVAL_NOVALUE) {                                         \
      record(ti, oi, ERR_SKIPPED, NULL);                               \
      return 0;                                                        \
    }                                                                  \
    if (ev_) {                                                         \
      atomic_store(&SH->fatal, 1);                                     \
      snprintf(SH->fatal_msg, sizeof SH->fatal_msg, "%s", g_eval_err); \
      return 0;                                                        \
    }                                                                  \
  } while (0)
  long mn0, mj0, mn1, mj1;
  getflt(&mn0, &mj0);
  if (c->T) atomic_store(&c->T->op_minflt0, mn0), atomic_store(&c->T->op_majflt0, mj0);
  c->got_sig = 0;
  if (!strcmp(kind, "write") || !strcmp(kind, "memset") || !strcmp(kind, "read")) {
    EV("addr", a);
    uint8_t bytes[8] = {0};
    uint8_t *dst = NULL;
    uint64_t doff = ~0ULL;
    if (kind[0] == 'w' && kind[1] == 'r') {
      l = (uint64_t)jnum(op, "size", 1);
      EV("value", v);
      for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)(v >> (8 * i));
    } else EV("len", l);
    if (kind[0] == 'r') {
      doff = op_data(ti, oi, l, 1);
      if (doff == ~0ULL) return 0;
      dst = (uint8_t *)POOL + doff;
      memset(dst, 0, l);
    }
    if (c->T) atomic_store(&c->T->in_op, 1);
    c->jb_armed = 1;
    if (sigsetjmp(c->jb, 1) == 0) {
      mem_access(c, kind[0] == 'r' ? 'r' : kind[1] == 'r' ? 'w' : 'm', a, l, bytes, (uint8_t)jnum(op, "value", 0), dst);
      c->jb_armed = 0;
    }
    c->jb_armed = 0;
    if (c->T) atomic_store(&c->T->in_op, 0);
    getflt(&mn1, &mj1);
    if (c->T) {
      c->T->minflt += mn1 - mn0;
      c->T->majflt += mj1 - mj0;
    }
    if (c->got_sig) return 1;
    if (kind[0] == 'r') {
      const char *as = jstr(op, "as");
      Var *var = var_set(as, V_DATA);
      if (var) {
        var->a = a;
        var->off = doff;
        var->len = l;
      }
      record_bytes(ti, oi, dst, l);
      return 0;
    }
    record(ti, oi, 0, NULL);
    return 0;
  }
  if (!strcmp(kind, "mmap")) {
    EV("len", l);
    // a file mapping: the fd the file's name holds, at the byte offset
    int mfd = -1;
    uint64_t moff = 0;
    const char *fdn = jstr(op, "fd");
    if (fdn) {
      Var *fv = var_find(fdn);
      if (!fv || atomic_load(&fv->kind) != V_FILE) {
        record(ti, oi, ERR_SKIPPED, NULL);
        return 0;
      }
      if (fv->b & (uint64_t)(1 << (c->T ? c->T->proc : 0))) {
        record(ti, oi, EBADF, NULL);
        return 0;
      }
      mfd = (int)fv->a;
      EV("offset", moff);
    }
    int prot = (int)jnum(op, "prot", 3), flags = (int)jnum(op, "flags", MAP_PRIVATE | MAP_ANONYMOUS);
    uint64_t align = (uint64_t)jnum(op, "align", 4096);
    J *ae = jget(op, "addr");
    void *p;
    uint64_t len = (l + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
    // hugetlb: the kernel maps whole 2 MiB pages at a 2 MiB boundary (a fixed address off one is EINVAL); a file of
    // hugetlbfs (a MFD_HUGETLB memfd, a file of the run's hugetlbfs) is mapped so without MAP_HUGETLB too
    struct statfs hsfs;
    if ((flags & MAP_HUGETLB) || (mfd >= 0 && fstatfs(mfd, &hsfs) == 0 && (unsigned long)hsfs.f_type == 0x958458f6UL /* HUGETLBFS_MAGIC */)) {
      if (align < (2u << 20)) align = 2u << 20;
      len = (l + (2u << 20) - 1) & ~(uint64_t)((2u << 20) - 1);
    }
    if (ae && ae->t == J_OBJ) {
      EV("addr", a);
      release_ranges(a, l);
      p = mmap((void *)(uintptr_t)a, l, prot, flags, mfd, (off_t)moff);
    } else {
      J *ph = jget(jget(jget(PLAN, "options"), "placement"), jstr(op, "as"));
      if (g_arena_top && ph && ph->t == J_NUM) {
        // where the model put it, relative to the top of the arena as the model's to MMAP_BASE
        // (options.placement): the same offsets within 2 MiB blocks, the same neighbours in each block
        p = mmap((void *)(uintptr_t)(g_arena_top - (uint64_t)ph->num), l, prot, flags | MAP_FIXED, mfd, (off_t)moff);
      } else {
        // aligned, with a guard page (PROT_NONE) on each side so that it never merges with anything the
        // executor maps
        uint64_t span = len + align + 2 * PAGE_SZ;
        char *r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r == MAP_FAILED) p = MAP_FAILED;
        else {
          uint64_t start = ((uint64_t)(uintptr_t)r + PAGE_SZ + align - 1) & ~(align - 1);
          uint64_t gs = start - PAGE_SZ, ge = start + len + PAGE_SZ;
          if (gs > (uint64_t)(uintptr_t)r) munmap(r, gs - (uint64_t)(uintptr_t)r);
          if ((uint64_t)(uintptr_t)r + span > ge) munmap((void *)(uintptr_t)ge, (uint64_t)(uintptr_t)r + span - ge);
          p = mmap((void *)(uintptr_t)start, l, prot, flags | MAP_FIXED, mfd, (off_t)moff);
        }
      }
    }
    if (p == MAP_FAILED) err = errno;
    else {
      Var *var = var_set(jstr(op, "as"), V_MAPPING);
      if (var) {
        var->a = (uint64_t)(uintptr_t)p;
        var->b = len;
      }
      fmt_hex(res, sizeof res, (uint64_t)(uintptr_t)p);
      result = res;
    }
  } else if (!strcmp(kind, "munmap")) {
    EV("addr", a);
    EV("len", l);
    if (munmap((void *)(uintptr_t)a, l)) err = errno;
  } else if (!strcmp(kind, "mremap")) {
    // mremap(2) as the scenario asks (flags: MREMAP_MAYMOVE 1, MREMAP_FIXED 2, MREMAP_DONTUNMAP 4); a
    // REMAP or UNMAP event it sends blocks it in userfaultfd_event_wait_completion (wait_step: W_EVENT)
    uint64_t ol, nl, na = 0;
    EV("addr", a);
    EV("old_len", ol);
    EV("new_len", nl);
    J *ne = jget(op, "new_addr");
    if (ne && ne->t == J_OBJ) EV("new_addr", na);
    unsigned long fl = (unsigned long)jnum(op, "flags", 0);
    if (fl & 2) release_ranges(na, nl);
    long r = syscall(SYS_mremap, (unsigned long)a, (unsigned long)ol, (unsigned long)nl, fl, (unsigned long)na);
    if (r == -1) err = errno;
    else {
      Var *var = var_set(jstr(op, "as"), V_MAPPING);
      if (var) {
        var->a = (uint64_t)r;
        var->b = (nl + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
      }
      fmt_hex(res, sizeof res, (uint64_t)r);
      result = res;
    }
  } else if (!strcmp(kind, "mprotect")) {
    EV("addr", a);
    EV("len", l);
    if (mprotect((void *)(uintptr_t)a, l, (int)jnum(op, "prot", 0))) err = errno;
  } else if (!strcmp(kind, "madvise")) {
    EV("addr", a);
    EV("len", l);
    J *adv = jget(op, "advice");
    for (int i = 0; adv && i < adv->n && !err; i++) {
      int m = madv_of(adv->v[i]->str);
      if (m < 0) die("unknown madvise advice '%s'", adv->v[i]->str);
      // MADV_POPULATE_* may sleep in handle_userfault (GUP faults the range in): the scheduler then finds
      // the page it sleeps on (gup_fault_page), for the deferred wake-ups
      if (c->T && (m == 22 || m == 23)) {
        atomic_store(&c->T->gup_write, m == 23);
        atomic_store(&c->T->gup_start, a);
        atomic_store(&c->T->cur_addr, a);
        atomic_store(&c->T->gup_len, l);
      }
      if (madvise((void *)(uintptr_t)a, l, m)) err = errno;
      if (c->T) atomic_store(&c->T->gup_len, 0);
    }
  } else if (!strcmp(kind, "reclaim")) {
    // the model's reclaim device (memory pressure reclaims exactly these pages): on this kernel MADV_PAGEOUT
    // (21), which reclaims what it isolates the same way (reclaim_pages -> shrink_folio_list)
    EV("addr", a);
    EV("len", l);
    if (madvise((void *)(uintptr_t)a, l, 21)) err = errno;
  } else if (!strcmp(kind, "exit")) {
    // exit_group(2) of this forked process: the scheduler recorded the operation and waits for the process
    // to be gone (exit_process); the raw system call runs no atexit handler of the executor
    syscall(SYS_exit_group, (int)jnum(op, "status", 0));
  } else if (!strcmp(kind, "fork")) {
    int pid = c->T ? fork_via_controller(c->T, oi) : do_fork_for(0, jstr(op, "as"));
    // the thread's own faults while it waited (its stack copy-on-write until the controller settled the
    // process's memory, settle_own_memory) are the executor's: the fork's are the controller's
    getflt(&mn0, &mj0);
    if (pid == -EINTR && c->T && atomic_load(&c->T->kill)) {
      c->got_sig = SIGUSR1;
      return 1;
    }
    if (pid < 0) err = -pid;
    else {
      snprintf(res, sizeof res, "%d", pid);
      result = res;
    }
  } else if (!strcmp(kind, "userfaultfd")) {
    int fl = O_CLOEXEC | (jbool(op, "nonblock") ? O_NONBLOCK : 0) | (jbool(op, "user_mode_only") ? UFFD_USER_MODE_ONLY : 0);
    fl |= (int)jnum(op, "extra_flags", 0);
    int fd;
    const char *via = jstr(op, "via");
    if (via && !strcmp(via, "dev")) {
      int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
      if (dev < 0) fd = -1;
      else {
        fd = ioctl(dev, USERFAULTFD_IOC_NEW, fl);
        int e = errno;
        close(dev);
        errno = e;
      }
    } else fd = (int)syscall(SYS_userfaultfd, fl);
    if (fd < 0) err = errno;
    else {
      Var *var = var_set(jstr(op, "as"), V_UFFD);
      if (var) {
        var->a = (uint64_t)fd;
        var->b = 0; // closed in no process yet
        var->c = (uint64_t)(c->T ? c->T->proc : 0) + 1; // the mm of the process that made it
      }
      if (jbool(op, "api")) {
        struct uffdio_api api = {.api = UFFD_API, .features = (uint64_t)jnum(op, "features", 0)};
        if (ioctl(fd, UFFDIO_API, &api)) err = errno;
        else {
          fmt_hex(res, sizeof res, api.features);
          result = res;
        }
      }
    }
  } else if (!strcmp(kind, "memfd_create") || !strcmp(kind, "open")) {
    // a file: its fd, the access it gives (c: bit 0 read, bit 1 write) and the processes that closed it (b)
    int fd, acc = 3;
    if (kind[0] == 'm') fd = (int)syscall(SYS_memfd_create, jstr(op, "name"), (unsigned)jnum(op, "flags", 0));
    else {
      char path[160];
      snprintf(path, sizeof path, "%s/%s", jbool(op, "hugetlbfs") ? hugetlbfs_dir() : files_dir(), jstr(op, "path"));
      int fl = (int)jnum(op, "flags", 2);
      acc = (fl & 3) == 0 ? 1 : (fl & 3) == 1 ? 2 : 3;
      fd = open(path, fl | O_CLOEXEC, 0600);
    }
    if (fd < 0) err = errno;
    else {
      Var *var = var_set(jstr(op, "as"), V_FILE);
      if (var) {
        var->a = (uint64_t)fd;
        var->b = 0;
        var->c = (uint64_t)acc;
      }
      result = "fd";
    }
  } else if (!strcmp(kind, "ftruncate") || !strcmp(kind, "fallocate") || !strcmp(kind, "pwrite") || !strcmp(kind, "pread") ||
             (!strcmp(kind, "close") && jbool(op, "file"))) {
    const char *fn = jstr(op, kind[0] == 'c' ? "uffd" : "fd");
    Var *fv = fn ? var_find(fn) : NULL;
    if (!fv || atomic_load(&fv->kind) != V_FILE) {
      record(ti, oi, ERR_SKIPPED, NULL);
      return 0;
    }
    int pbit = 1 << (c->T ? c->T->proc : 0);
    if (fv->b & (uint64_t)pbit) {
      record(ti, oi, EBADF, NULL);
      return 0;
    }
    int fd = (int)fv->a;
    if (kind[0] == 'c') {
      if (close(fd)) err = errno;
      else fv->b |= (uint64_t)pbit;
    } else if (kind[0] == 'f' && kind[1] == 't') {
      EV("len", l);
      if (ftruncate(fd, (off_t)l)) err = errno;
    } else if (kind[0] == 'f') {
      uint64_t o;
      EV("offset", o);
      EV("len", l);
      if (fallocate(fd, (int)jnum(op, "mode", 0), (off_t)o, (off_t)l)) err = errno;
    } else {
      uint64_t o;
      EV("offset", o);
      EV("len", l);
      if (kind[1] == 'w') {
        // the source bytes come from a buffer faulted in before the run (a malloc'd one would fault in the
        // thread and count as its minor fault, which the model's pwrite, reading no user page, does not have);
        // a longer write goes in pieces of it
        static uint8_t wbuf[1 << 16] __attribute__((aligned(4096)));
        memset(wbuf, (int)jnum(op, "value", 1), sizeof wbuf);
        ssize_t n = 0;
        while ((uint64_t)n < l) {
          size_t part = l - (uint64_t)n < sizeof wbuf ? (size_t)(l - (uint64_t)n) : sizeof wbuf;
          ssize_t w = pwrite(fd, wbuf, part, (off_t)(o + (uint64_t)n));
          if (w < 0) {
            if (n == 0) n = -1;
            break;
          }
          n += w;
          if ((size_t)w < part) break;
        }
        if (n < 0) err = errno;
        else {
          snprintf(res, sizeof res, "%zd", n);
          result = res;
        }
      } else {
        uint64_t doff = op_data(ti, oi, l, 1);
        if (doff == ~0ULL) return 0;
        uint8_t *dst = (uint8_t *)POOL + doff;
        ssize_t n = pread(fd, dst, l, (off_t)o);
        if (n < 0) err = errno;
        else {
          Var *var = var_set(jstr(op, "as"), V_DATA);
          if (var) {
            var->a = o;
            var->off = doff;
            var->len = (uint64_t)n;
          }
          record_bytes(ti, oi, dst, (uint64_t)n);
          return 0;
        }
      }
    }
  } else if (!strncmp(kind, "uffdio_", 7) || !strcmp(kind, "read_uffd") || !strcmp(kind, "poll_uffd") || !strcmp(kind, "close")) {
    const char *un = jstr(op, "uffd");
    Var *u = un ? var_find(un) : NULL;
    if (!u || atomic_load(&u->kind) != V_UFFD) {
      // the userfaultfd call that defines it failed (or has not run): the SKIPPED rule, as in the model
      record(ti, oi, ERR_SKIPPED, NULL);
      return 0;
    }
    int fd = (int)u->a;
    // the processes that closed it (bit: process index): their fd is gone, whatever file the number
    // names now (a later open may reuse it), so the call is EBADF as the model's fd table says
    int pbit = 1 << (c->T ? c->T->proc : 0);
    if (u->b & (uint64_t)pbit) {
      record(ti, oi, EBADF, NULL);
      return 0;
    }
    if (!strcmp(kind, "close")) {
      if (close(fd)) err = errno;
      else u->b |= (uint64_t)pbit;
    } else if (!strcmp(kind, "poll_uffd")) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      int n = poll(&p, 1, 0);
      if (n < 0) err = errno;
      else {
        fmt_hex(res, sizeof res, (uint64_t)(unsigned short)p.revents);
        result = res;
      }
    } else if (!strcmp(kind, "read_uffd")) {
      struct uffd_msg msg;
      size_t want = (size_t)jnum(op, "size", sizeof msg);
      char buf[256];
      if (want > sizeof buf) want = sizeof buf;
      if (c->T) c->T->cur_addr = 0;
      atomic_store(&SH->last_event, 0);
      ssize_t n = read(fd, buf, want);
      if (n < 0 && errno == EINTR && c->T && atomic_load(&c->T->kill)) {
        c->got_sig = SIGUSR1; // the process died while this thread slept in read(2)
        return 1;
      }
      if (n < 0) err = errno;
      else {
        memcpy(&msg, buf, sizeof msg);
        atomic_store(&SH->last_event, msg.event);
        // the argument union as three words: pagefault flags / fork ufd / remap from / remove start, then
        // address / to / end, then ptid / remap len (the model's UffdMsg)
        uint64_t w0 = msg.arg.pagefault.flags, addr = msg.arg.pagefault.address, w2 = msg.arg.remap.len;
        if (msg.event == UFFD_EVENT_PAGEFAULT) w2 = msg.arg.pagefault.feat.ptid;
        else if (msg.event != UFFD_EVENT_REMAP) w2 = 0;
        if (msg.event == UFFD_EVENT_FORK) {
          // the child's uffd, a new fd of this process: the scenario names it (fork_uffd); its number is not compared
          const char *fu = jstr(op, "fork_uffd");
          if (fu) {
            Var *nv = var_set(fu, V_UFFD);
            if (nv) {
              nv->a = (uint64_t)msg.arg.fork.ufd;
              nv->b = 0;
              // (the fork waits until this read: its child is the latest one, do_fork_for)
              nv->c = (uint64_t)atomic_load(&SH->fork_child) + 1;
            }
          }
          w0 = 0;
        }
        Var *var = var_set(jstr(op, "as"), V_MSG);
        if (var) {
          var->a = addr;
          var->b = w0;
          var->c = msg.event;
          var->d = w2;
        }
        if (msg.event == UFFD_EVENT_REMAP)
          snprintf(res, sizeof res, "event=0x%x flags=0x%llx address=0x%" PRIx64 " len=0x%llx", msg.event, (unsigned long long)w0, addr, (unsigned long long)w2);
        else
          snprintf(res, sizeof res, "event=0x%x flags=0x%llx address=0x%" PRIx64, msg.event, (unsigned long long)w0, addr);
        result = res;
      }
    } else if (!strcmp(kind, "uffdio_api")) {
      struct uffdio_api api = {.api = (uint64_t)jnum(op, "api", UFFD_API), .features = (uint64_t)jnum(op, "features", 0)};
      if (ioctl(fd, UFFDIO_API, &api)) err = errno;
      else {
        fmt_hex(res, sizeof res, api.features);
        result = res;
      }
    } else if (!strcmp(kind, "uffdio_register")) {
      EV("addr", a);
      EV("len", l);
      struct uffdio_register r = {.range = {a, l}, .mode = (uint64_t)jnum(op, "mode", 0)};
      if (ioctl(fd, UFFDIO_REGISTER, &r)) err = errno;
      else {
        Var *var = var_set(jstr(op, "as"), V_IOCTLS);
        if (var) var->a = r.ioctls;
        fmt_hex(res, sizeof res, r.ioctls);
        result = res;
      }
    } else if (!strcmp(kind, "uffdio_unregister")) {
      EV("addr", a);
      EV("len", l);
      struct uffdio_range r = {a, l};
      if (ioctl(fd, UFFDIO_UNREGISTER, &r)) err = errno;
    } else if (!strcmp(kind, "uffdio_writeprotect")) {
      EV("addr", a);
      EV("len", l);
      uint64_t mode = (uint64_t)jnum(op, "mode", 0);
      // un-protect without DONTWAKE wakes: defer the wake-up to the woken thread's next step
      int defer = !(mode & UFFDIO_WRITEPROTECT_MODE_WP) && !(mode & UFFDIO_WRITEPROTECT_MODE_DONTWAKE);
      struct uffdio_writeprotect w = {.range = {a, l}, .mode = mode | (defer ? UFFDIO_WRITEPROTECT_MODE_DONTWAKE : 0)};
      if (ioctl(fd, UFFDIO_WRITEPROTECT, &w)) err = errno;
      else if (defer) defer_wake(u, fd, a, l);
    } else if (!strcmp(kind, "uffdio_copy")) {
      uint64_t s;
      EV("dst", a);
      EV("src", s);
      EV("len", l);
      uint64_t mode = (uint64_t)jnum(op, "mode", 0);
      int defer = !(mode & UFFDIO_COPY_MODE_DONTWAKE);
      struct uffdio_copy cp = {.dst = a, .src = s, .len = l, .mode = mode | (defer ? UFFDIO_COPY_MODE_DONTWAKE : 0), .copy = UNWRITTEN};
      if (ioctl(fd, UFFDIO_COPY, &cp)) err = errno;
      else {
        snprintf(res, sizeof res, "%lld", (long long)cp.copy);
        result = res;
      }
      // the kernel wakes the range it filled, also when it stopped short of len and returns EAGAIN
      if (defer && cp.copy > 0) defer_wake(u, fd, a, (uint64_t)cp.copy);
      if (cp.copy != UNWRITTEN) snprintf(outs, sizeof outs, "{\"copy\":%lld}", (long long)cp.copy), out = outs;
    } else if (!strcmp(kind, "uffdio_zeropage")) {
      EV("addr", a);
      EV("len", l);
      uint64_t mode = (uint64_t)jnum(op, "mode", 0);
      int defer = !(mode & UFFDIO_ZEROPAGE_MODE_DONTWAKE);
      struct uffdio_zeropage z = {.range = {a, l}, .mode = mode | (defer ? UFFDIO_ZEROPAGE_MODE_DONTWAKE : 0), .zeropage = UNWRITTEN};
      if (ioctl(fd, UFFDIO_ZEROPAGE, &z)) err = errno;
      else {
        snprintf(res, sizeof res, "%lld", (long long)z.zeropage);
        result = res;
      }
      if (defer && z.zeropage > 0) defer_wake(u, fd, a, (uint64_t)z.zeropage);
      if (z.zeropage != UNWRITTEN) snprintf(outs, sizeof outs, "{\"zeropage\":%lld}", (long long)z.zeropage), out = outs;
    } else if (!strcmp(kind, "uffdio_move")) {
      uint64_t s;
      EV("dst", a);
      EV("src", s);
      EV("len", l);
      uint64_t mode = (uint64_t)jnum(op, "mode", 0);
      int defer = !(mode & MMSIM_UFFDIO_MOVE_MODE_DONTWAKE);
      struct mmsim_uffdio_move mv = {.dst = a, .src = s, .len = l, .mode = mode | (defer ? MMSIM_UFFDIO_MOVE_MODE_DONTWAKE : 0), .move = UNWRITTEN};
      if (ioctl(fd, MMSIM_UFFDIO_MOVE, &mv)) err = errno;
      else {
        snprintf(res, sizeof res, "%lld", (long long)mv.move);
        result = res;
      }
      if (defer && mv.move > 0) defer_wake(u, fd, a, (uint64_t)mv.move);
      if (mv.move != UNWRITTEN) snprintf(outs, sizeof outs, "{\"move\":%lld}", (long long)mv.move), out = outs;
    } else if (!strcmp(kind, "uffdio_continue") || !strcmp(kind, "uffdio_poison")) {
      EV("addr", a);
      EV("len", l);
      uint64_t mode = (uint64_t)jnum(op, "mode", 0);
      // one layout for both (range, mode with DONTWAKE in bit 0, the bytes done or -errno); the kernel wakes
      // the range it filled: as for UFFDIO_COPY, the wake-up is the woken thread's next step
      int poison = !strcmp(kind, "uffdio_poison");
      int defer = !(mode & UFFDIO_CONTINUE_MODE_DONTWAKE);
      struct mmsim_uffdio_continue c = {.range = {a, l}, .mode = mode | (defer ? UFFDIO_CONTINUE_MODE_DONTWAKE : 0), .mapped = UNWRITTEN};
      if (ioctl(fd, poison ? MMSIM_UFFDIO_POISON : UFFDIO_CONTINUE, &c)) err = errno;
      if (defer && c.mapped > 0) defer_wake(u, fd, a, (uint64_t)c.mapped);
      if (c.mapped != UNWRITTEN) snprintf(outs, sizeof outs, "{\"%s\":%lld}", poison ? "updated" : "mapped", (long long)c.mapped), out = outs;
    } else if (!strcmp(kind, "uffdio_wake")) {
      EV("addr", a);
      EV("len", l);
      int any = 0;
      for (int i = 0; i < SH->nthreads; i++) {
        Thread *T = &SH->threads[i];
        if (T->sched != S_BLOCKED_FAULT || !wakes_thread(u, T)) continue;
        uint64_t pa = T->wait_addr;
        if (pa >= a && pa < a + l) any = 1;
      }
      if (any) defer_wake(u, fd, a, l); // the ioctl itself is issued when the woken thread runs
      else {
        struct uffdio_range r = {a, l};
        if (ioctl(fd, UFFDIO_WAKE, &r)) err = errno;
      }
    } else {
      die("unknown operation '%s' for the executor", kind);
    }
  } else if (!strcmp(kind, "pin") || !strcmp(kind, "vmsplice")) {
    EV("addr", a);
    EV("len", l);
    int is_pin = kind[0] == 'p';
    uint64_t first = page_of(a), end = (a + l + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
    // GUP may sleep in handle_userfault: the scheduler finds the page as for MADV_POPULATE_* (gup_fault_page)
    if (c->T) {
      atomic_store(&c->T->gup_op, 1);
      atomic_store(&c->T->gup_write, is_pin);
      atomic_store(&c->T->gup_start, a);
      atomic_store(&c->T->cur_addr, a);
      atomic_store(&c->T->gup_len, l);
    }
    if (is_pin) {
      // pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) of the whole pages: an io_uring fixed buffer
      int fd = ring_new();
      if (fd < 0) err = -fd;
      else {
        // pin_user_pages returns the pages it pinned before it stopped; io_uring unpins them and fails the
        // whole buffer (EFAULT): the longest prefix that registers is what pin_user_pages would have
        // pinned. Where the range runs past its writable VMAs, that prefix is tried first, alone: each
        // attempt takes the pages again (gup_fast marks them accessed), so one attempt ages them as one
        // pin_user_pages does. Otherwise (a fault that fails inside them) a binary search; the pages
        // before the stop are present then, the retries fault nothing.
        uint64_t n = (end - first) / PAGE_SZ, got = 0;
        uint64_t fit = writable_prefix(first, n), want = fit ? fit : n;
        struct iovec iov = {(void *)(uintptr_t)first, (size_t)(want * PAGE_SZ)};
        if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1) == 0) got = want;
        else if (fit == 0) err = errno; // the first page: nothing pinned
        else {
          err = errno;
          uint64_t lo = 0, hi = want; // lo: registers (0: none known), hi: does not
          while (hi - lo > 1) {
            uint64_t mid = lo + (hi - lo) / 2;
            iov.iov_len = (size_t)(mid * PAGE_SZ);
            if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1) == 0) {
              syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
              lo = mid;
            } else {
              if (mid == 1) err = errno; // nothing pinned: the first page's error
              hi = mid;
            }
          }
          if (lo > 0) {
            iov.iov_len = (size_t)(lo * PAGE_SZ);
            if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1) == 0) got = lo, err = 0;
          }
        }
        if (!got) ring_free(ring_of(fd));
        else {
          Var *var = var_set(jstr(op, "as"), V_PIN);
          if (var) var->a = (uint64_t)fd, var->b = first, var->c = got * PAGE_SZ;
          snprintf(res, sizeof res, "%" PRIu64, got);
          result = res;
        }
      }
    } else {
      // vmsplice(2) into a new pipe, large enough for the range: a read-only reference per page
      int pfd[2];
      if (pipe2(pfd, O_CLOEXEC)) err = errno;
      else {
        if (l + PAGE_SZ > 65536) fcntl(pfd[1], F_SETPIPE_SZ, (int)(l + PAGE_SZ));
        struct iovec iov = {(void *)(uintptr_t)a, (size_t)l};
        ssize_t n = vmsplice(pfd[1], &iov, 1, SPLICE_F_NONBLOCK);
        if (n < 0) {
          err = errno;
          close(pfd[0]);
          close(pfd[1]);
        } else {
          Var *var = var_set(jstr(op, "as"), V_PIPE);
          if (var) var->a = (uint64_t)pfd[0], var->b = first, var->c = (uint64_t)n, var->d = (uint64_t)pfd[1];
          snprintf(res, sizeof res, "%zd", n);
          result = res;
        }
      }
    }
    if (c->T) atomic_store(&c->T->gup_len, 0), atomic_store(&c->T->gup_op, 0);
  } else if (!strcmp(kind, "unpin") || !strcmp(kind, "pin_read") || !strcmp(kind, "read_pipe")) {
    const char *hn = jstr(op, kind[0] == 'r' ? "pipe" : "pin");
    Var *h = hn ? var_find(hn) : NULL;
    int hk = h ? atomic_load(&h->kind) : V_NONE;
    if (hk != V_PIN && hk != V_PIPE) {
      // the pin or vmsplice that defines it failed (or has not run): the SKIPPED rule, as in the model
      record(ti, oi, ERR_SKIPPED, NULL);
      return 0;
    }
    if (!strcmp(kind, "unpin")) {
      if (hk != V_PIN) die("unpin of %s, which is no pin", hn);
      Ring *r = ring_of((int)h->a);
      if (syscall(__NR_io_uring_register, (int)h->a, IORING_UNREGISTER_BUFFERS, NULL, 0) < 0) err = errno;
      if (r) ring_free(r);
      atomic_store(&h->kind, V_NONE);
    } else {
      // the bytes the holder of the pages sees now: through the pinned buffer, or what the pipe holds
      uint64_t n = h->c;
      uint64_t doff = op_data(ti, oi, n, 1);
      if (doff == ~0ULL) return 0;
      uint8_t *dst = (uint8_t *)POOL + doff;
      memset(dst, 0, n);
      long got = -1;
      if (hk == V_PIN) {
        if (kind[0] == 'r') die("read_pipe of %s, which is no pipe", hn);
        Ring *r = ring_of((int)h->a);
        int mfd = (int)syscall(SYS_memfd_create, "mmsim-pin", MFD_CLOEXEC);
        if (!r || mfd < 0) err = r ? errno : EBADF;
        else {
          got = ring_write_fixed(r, h->b, n, mfd);
          if (got < 0) err = (int)-got;
          else if (pread(mfd, dst, (size_t)got, 0) != got) err = errno ? errno : EIO;
        }
        if (mfd >= 0) close(mfd);
      } else if (kind[0] == 'p') {
        // pin_read of a pipe: tee(2) its buffers into another pipe and read that; the pipe keeps them
        int t2[2];
        if (pipe2(t2, O_CLOEXEC)) err = errno;
        else {
          if (n + PAGE_SZ > 65536) fcntl(t2[1], F_SETPIPE_SZ, (int)(n + PAGE_SZ));
          ssize_t m = tee((int)h->a, t2[1], n, SPLICE_F_NONBLOCK);
          if (m < 0) err = errno;
          else got = read(t2[0], dst, (size_t)m);
          close(t2[0]);
          close(t2[1]);
        }
      } else {
        got = read((int)h->a, dst, (size_t)n);
        if (got < 0) err = errno;
        close((int)h->a);
        close((int)h->d);
        atomic_store(&h->kind, V_NONE);
      }
      if (!err) {
        Var *var = var_set(jstr(op, "as"), V_DATA);
        if (var) var->a = h->b, var->off = doff, var->len = (uint64_t)got;
        record_bytes(ti, oi, dst, (uint64_t)got);
        return 0;
      }
    }
  } else if (!strcmp(kind, "proc_mem_write") || !strcmp(kind, "proc_mem_read")) {
    // pwrite/pread of /proc/self/mem: GUP with FOLL_FORCE, one page at a time (mem_rw)
    EV("addr", a);
    int wr = kind[9] == 'w';
    uint8_t bytes[8] = {0};
    if (wr) {
      l = (uint64_t)jnum(op, "size", 1);
      EV("value", v);
      for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)(v >> (8 * i));
    } else EV("len", l);
    int f = open("/proc/self/mem", (wr ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (f < 0) err = errno;
    else if (wr) {
      ssize_t n = pwrite(f, bytes, (size_t)l, (off_t)a);
      if (n < 0) err = errno;
      else snprintf(res, sizeof res, "%zd", n), result = res;
    } else {
      uint64_t doff = op_data(ti, oi, l ? l : 1, 1);
      if (doff == ~0ULL) {
        close(f);
        return 0;
      }
      uint8_t *dst = (uint8_t *)POOL + doff;
      memset(dst, 0, l);
      ssize_t n = pread(f, dst, (size_t)l, (off_t)a);
      if (n < 0) err = errno;
      else {
        close(f);
        getflt(&mn1, &mj1);
        if (c->T) {
          c->T->minflt += mn1 - mn0, c->T->majflt += mj1 - mj0;
          atomic_store(&c->T->gup_faults, (int)((mn1 - mn0) + (mj1 - mj0)));
        }
        Var *var = var_set(jstr(op, "as"), V_DATA);
        if (var) var->a = a, var->off = doff, var->len = (uint64_t)n;
        record_bytes(ti, oi, dst, (uint64_t)n);
        return 0;
      }
    }
    if (f >= 0) close(f);
  } else if (!strcmp(kind, "swapon")) {
    // the file mmsim made for this operation, enabled at the highest priority so that it is used first
    J *files = g_swap ? jget(g_swap, "files") : NULL;
    const char *id = jstr(op, "id");
    int fi = -1;
    for (int i = 0; files && id && i < files->n; i++)
      if (!strcmp(files->k[i], id)) fi = i;
    if (fi < 0) die("no swap file for operation %s (mmsim host makes one per swapon)", id ? id : "?");
    page_cluster_zero();
    if (swapon(files->v[fi]->str, SWAP_FLAG_PREFER | ((SWAP_PRIO << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK))) err = errno;
    else atomic_store(&SH->swap_on, fi + 1);
  } else if (!strcmp(kind, "swapoff")) {
    // the file enabled now, else one that is no swap area (EINVAL, as the model's "no device")
    J *files = g_swap ? jget(g_swap, "files") : NULL;
    int on = atomic_load(&SH->swap_on);
    const char *path = on > 0 && files && on <= files->n ? files->v[on - 1]->str : g_swap ? jstr(g_swap, "none") : NULL;
    if (!path) die("swapoff without a swap plan (mmsim host makes one for scenarios with swapon or swapoff)");
    if (swapoff(path)) err = errno;
    else atomic_store(&SH->swap_on, 0);
  } else if (!strcmp(kind, "split_huge_page")) {
    // debugfs split_huge_pages: "pid,0xstart,0xend" splits the THPs mapped there (the kernel logs how many)
    EV("addr", a);
    EV("len", l);
    int f = open("/sys/kernel/debug/split_huge_pages", O_WRONLY | O_CLOEXEC);
    char b[96];
    int n = snprintf(b, sizeof b, "%d,0x%" PRIx64 ",0x%" PRIx64, (int)getpid(), a, a + l);
    if (f < 0 || write(f, b, (size_t)n) < 0) err = errno;
    if (f >= 0) close(f);
  } else if (!strcmp(kind, "setuid")) {
    // leave root for good: no supplementary groups, then gid, then uid (glibc applies each to every
    // thread); setresuid from root clears the capabilities. The process becomes non-dumpable, which would
    // make its own /proc/self files root's: dumpable again, as an unprivileged program would be.
    gid_t g = (gid_t)jnum(op, "gid", 65534);
    uid_t u = (uid_t)jnum(op, "uid", 65534);
    if (setgroups(0, NULL) || setresgid(g, g, g) || setresuid(u, u, u)) err = errno;
    else prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  } else if (!strcmp(kind, "clear_refs")) {
    int f = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    char b[64];
    const char *text = jstr(op, "text");
    int n = text ? snprintf(b, sizeof b, "%s", text) : snprintf(b, sizeof b, "%d", (int)jnum(op, "value", 0));
    if (f < 0 || write(f, b, (size_t)n) < 0) err = errno;
    if (f >= 0) close(f);
  } else if (!strcmp(kind, "pagemap_scan")) {
    EV("addr", a);
    EV("len", l);
    uint64_t vec_len = (uint64_t)jnum(op, "vec_len", 64);
    // the kernel is told vec_len as given (a huge one tests access_ok's size); the vector holds at most 4096
    uint64_t vec_cap = vec_len > 4096 ? 4096 : vec_len;
    // the vector lives in the (populated) pool: a fresh heap page would be a fault of this thread
    uint64_t voff = op_data(ti, oi, (vec_cap ? vec_cap : 1) * sizeof(struct mmsim_page_region), 0);
    if (voff == ~0ULL) return 0;
    struct mmsim_page_region *vec = (struct mmsim_page_region *)(POOL + voff);
    struct mmsim_pm_scan_arg arg = {
        .size = (uint64_t)jnum(op, "size", sizeof arg), .flags = (uint64_t)jnum(op, "flags", 0), .start = a, .end = a + l,
        .walk_end = (uint64_t)UNWRITTEN,
        .vec = vec_len ? (uint64_t)(uintptr_t)vec : 0, .vec_len = vec_len, .max_pages = (uint64_t)jnum(op, "max_pages", 0),
        .category_inverted = (uint64_t)jnum(op, "category_inverted", 0), .category_mask = (uint64_t)jnum(op, "category_mask", 0),
        .category_anyof_mask = (uint64_t)jnum(op, "category_anyof_mask", 0), .return_mask = (uint64_t)jnum(op, "return_mask", 0)};
    // a region the kernel wrote has end > start: the unwritten rest of the vector stays zero
    memset(vec, 0, (vec_cap ? vec_cap : 1) * sizeof(struct mmsim_page_region));
    int f = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    long n = f < 0 ? -1 : ioctl(f, MMSIM_PAGEMAP_SCAN, &arg);
    if (n < 0) err = errno;
    if (f >= 0) close(f);
    getflt(&mn1, &mj1);
    if (c->T) c->T->minflt += mn1 - mn0, c->T->majflt += mj1 - mj0;
    // once it accepted its arguments, the kernel writes walk_end and the regions back, also when it fails
    Str o = {0}, r = {0};
    if (arg.walk_end != (uint64_t)UNWRITTEN) {
      s_puts(&o, "{\"regions\":[");
      for (uint64_t i = 0; i < vec_cap && vec[i].end; i++)
        s_printf(&o, "%s{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\",\"categories\":%" PRIu64 "}", i ? "," : "", vec[i].start, vec[i].end, vec[i].categories);
      s_printf(&o, "],\"walk_end\":\"0x%" PRIx64 "\"}", arg.walk_end);
    }
    if (!err) {
      s_printf(&r, "%ld", n);
      for (long i = 0; i < n && (uint64_t)i < vec_cap; i++) s_printf(&r, " 0x%" PRIx64 "-0x%" PRIx64 ":0x%" PRIx64, vec[i].start, vec[i].end, vec[i].categories);
      s_printf(&r, " walk_end=0x%" PRIx64, arg.walk_end);
    }
    record_out(ti, oi, err, err ? NULL : r.p, o.p);
    free(o.p);
    free(r.p);
    return 0;
  } else if (!strcmp(kind, "migrate")) {
    // page migration as the mkdirty selftest asks for it on one node: mbind(MPOL_LOCAL, MPOL_MF_MOVE) queues
    // every page of the range that is not on the "local" node set (an empty mask, inverted: all of them) and
    // migrate_pages() moves each to a new page of the same node. mbind also gives the range a VMA policy,
    // which would split VMAs and stop merges the model knows nothing of: MPOL_DEFAULT takes it off again
    // (mbind_range merges the VMAs back), without moving anything.
    EV("addr", a);
    EV("len", l);
    if (syscall(SYS_mbind, (unsigned long)a, (unsigned long)l, MMSIM_MPOL_LOCAL, NULL, 0UL, MMSIM_MPOL_MF_MOVE)) err = errno;
    else if (syscall(SYS_mbind, (unsigned long)a, (unsigned long)l, MMSIM_MPOL_DEFAULT, NULL, 0UL, 0U))
      die("mbind(MPOL_DEFAULT) after a migration failed: errno %d", errno);
  } else if (!strcmp(kind, "move_pages")) {
    // device: move_pages(2) of this process (pid 0) with a node per page; the arrays live in the (populated)
    // pool, so that the kernel's reads and writes of them fault nothing. A status the kernel did not write
    // keeps a value no status has and shows as '?'. The model has one memory node (0): mmsim host skips the
    // scenario on a machine with memory on other nodes (src/host/requirements.ts).
    J *pj = jget(op, "pages"), *nj = jget(op, "nodes");
    int n = pj && pj->t == J_ARR ? pj->n : 0;
    if (n <= 0 || !nj || nj->t != J_ARR || nj->n != n) die("move_pages: pages and nodes must be lists of one length");
    uint64_t doff = op_data(ti, oi, (uint64_t)n * (sizeof(void *) + 2 * sizeof(int)), 0);
    if (doff == ~0ULL) return 0;
    void **pages = (void **)(POOL + doff);
    int *nodes = (int *)(pages + n), *status = nodes + n;
    for (int i = 0; i < n; i++) {
      uint64_t pa = 0;
      int ev_ = eval(pj->v[i], &pa);
      if (ev_ == EVAL_NOVALUE) {
        record(ti, oi, ERR_SKIPPED, NULL);
        return 0;
      }
      if (ev_) {
        atomic_store(&SH->fatal, 1);
        snprintf(SH->fatal_msg, sizeof SH->fatal_msg, "%s", g_eval_err);
        return 0;
      }
      pages[i] = (void *)(uintptr_t)pa;
      nodes[i] = (int)nj->v[i]->num;
      status[i] = 0x7eadbeef;
    }
    long r = syscall(SYS_move_pages, 0, (unsigned long)n, pages, nodes, status, (int)jnum(op, "flags", 0));
    if (r < 0) err = errno;
    getflt(&mn1, &mj1);
    if (c->T) c->T->minflt += mn1 - mn0, c->T->majflt += mj1 - mj0;
    Str rs = {0};
    if (!err) {
      s_printf(&rs, "%ld status=", r);
      for (int i = 0; i < n; i++) {
        int st = status[i];
        const char *name = st == -EFAULT ? "EFAULT" : st == -ENOENT ? "ENOENT" : st == -EACCES ? "EACCES" : st == -EBUSY ? "EBUSY"
                         : st == -ENOMEM ? "ENOMEM" : st == -EINVAL ? "EINVAL" : st == -ENODEV ? "ENODEV" : st == -EPERM ? "EPERM" : NULL;
        if (i) s_puts(&rs, ",");
        if (st == 0x7eadbeef) s_puts(&rs, "?");
        else if (st < 0 && name) s_printf(&rs, "-%s", name);
        else s_printf(&rs, "%d", st);
      }
    }
    record_out(ti, oi, err, err ? NULL : rs.p, NULL);
    free(rs.p);
    return 0;
  } else if (!strcmp(kind, "mincore")) {
    // mincore(2): one byte per page (bit 0 is residency; the other bits are reserved and 0), the vector in
    // the (populated) pool so that the kernel's writes of it fault nothing
    EV("addr", a);
    EV("len", l);
    uint64_t n = (l + PAGE_SZ - 1) / PAGE_SZ;
    if (n > 4096) die("mincore: more than 4096 pages");
    uint64_t doff = op_data(ti, oi, n ? n : 1, 0);
    if (doff == ~0ULL) return 0;
    unsigned char *vec = (unsigned char *)(POOL + doff);
    memset(vec, 0x7e, n);
    if (mincore((void *)(uintptr_t)a, (size_t)l, vec)) err = errno;
    getflt(&mn1, &mj1);
    if (c->T) c->T->minflt += mn1 - mn0, c->T->majflt += mj1 - mj0;
    Str rs = {0};
    if (!err) {
      s_puts(&rs, "0 status=");
      for (uint64_t i = 0; i < n; i++) s_printf(&rs, i ? ",%d" : "%d", (int)vec[i]);
    }
    record_out(ti, oi, err, err ? NULL : rs.p, NULL);
    free(rs.p);
    return 0;
  } else if (!strcmp(kind, "hmm_migrate")) {
    // device: the HMM test driver's HMM_DMIRROR_MIGRATE_TO_DEV on a device-coherent dmirror
    die("operation hmm_migrate cannot be carried out on the host: it needs lib/test_hmm.c loaded with device-coherent memory (spm_addr_dev0, spm_addr_dev1), which this machine does not have");
  } else if (!strcmp(kind, "khugepaged")) {
    // khugepaged is a kernel thread: no system call starts its visit of a block, aims it at one, or holds
    // it between its scan and its collapse (MADV_COLLAPSE is the collapse in one call)
    die("operation khugepaged cannot be carried out on the host: khugepaged is a kernel thread whose scan and collapse no process can start or pause");
  } else {
    die("unknown operation '%s' for the executor", kind);
  }
  getflt(&mn1, &mj1);
  // a read of a uffd touches no scenario memory (its buffer is the executor's): whatever it faulted is the
  // executor's, such as its stack, copy-on-write while a fork it let go (a FORK message) copies the process
  if (!strcmp(kind, "read_uffd")) mn1 = mn0, mj1 = mj0;
  if (c->T) {
    c->T->minflt += mn1 - mn0;
    c->T->majflt += mj1 - mj0;
    if (!strcmp(kind, "pin") || !strcmp(kind, "vmsplice") || !strcmp(kind, "proc_mem_write") || !strcmp(kind, "proc_mem_read"))
      atomic_store(&c->T->gup_faults, (int)((mn1 - mn0) + (mj1 - mj0)));
  }
  record_out(ti, oi, err, err ? NULL : result, out);
  return 0;
#undef EV
}

// ---- scenario threads --------------------------------------------------------------------------
static void thread_end(Thread *T, int status) {
  atomic_store(&T->status, status);
  atomic_store(&T->last, R_ENDED);
  atomic_fetch_add(&T->done, 1);
  futex_wake(&T->done);
}

static void *thread_main(void *arg) {
  Thread *T = arg;
  Ctx c;
  memset(&c, 0, sizeof c);
  c.ti = (int)(T - SH->threads);
  c.T = T;
  tls_ctx = &c;
  atomic_store(&T->tid, (int)gettid());
  atomic_store(&T->pid, (int)getpid());
  int seen = 0;
  for (;;) {
    int g;
    while ((g = atomic_load(&T->go)) == seen) {
      if (atomic_load(&T->kill)) goto killed;
      futex_wait(&T->go, seen, 100000000L);
    }
    seen = g;
    if (atomic_load(&T->kill)) goto killed;
    int pc = atomic_load(&T->pc);
    J *op = T->ops->v[pc];
    int dead = exec_op(&c, pc, op);
    if (c.got_sig == SIGUSR1 || (dead && atomic_load(&T->kill))) goto killed;
    if (dead) {
      atomic_store(&T->sig, c.got_sig);
      thread_end(T, T_SIGNAL);
      return NULL;
    }
    if (pc + 1 >= T->nops && !T->loop) {
      atomic_store(&T->pc, pc + 1);
      thread_end(T, T_DONE);
      return NULL;
    }
    // a server thread starts again at its first operation after the last
    atomic_store(&T->pc, pc + 1 < T->nops ? pc + 1 : 0);
    atomic_store(&T->last, R_DONE);
    atomic_fetch_add(&T->done, 1);
    futex_wake(&T->done);
  }
killed:
  thread_end(T, T_KILLED);
  return NULL;
}

// A thread's stack is mapped by the main process before any scenario mapping, also for the threads of
// forked processes, which inherit it: a stack mapped in a child after the fork would be placed by the kernel
// in whatever hole it finds, such as the range of a MADV_DONTFORK mapping the child does not have, where the
// scenario's accesses must fault (they hit the thread's own stack instead).
static void alloc_stack(Thread *T) {
  T->stack_len = 256 * 1024;
  T->stack = mmap(NULL, T->stack_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_STACK, -1, 0);
  if (T->stack == MAP_FAILED) die("cannot allocate a thread stack");
  madvise(T->stack, T->stack_len, MADV_NOHUGEPAGE);
}

static void start_thread(Thread *T) {
  // a stack of its own, populated now so that the thread's faults are the scenario's only. (It cannot be
  // MADV_DONTFORK: glibc's fork walks the thread descriptors at the top of each stack in the child.
  // After a fork the scheduler breaks copy-on-write on it instead, see settle_own_memory.)
  if (!T->stack) alloc_stack(T);
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setstack(&at, T->stack, T->stack_len);
  pthread_t th;
  if (pthread_create(&th, &at, thread_main, T)) die("pthread_create failed");
  pthread_detach(th);
  while (atomic_load(&T->tid) == 0) sched_yield();
  atomic_store(&T->status, T_READY);
}

// map every readable page of the executor's own file mappings, and make its own private writable
// memory copy-on-write-broken, so that scenario threads take no faults on executor memory
static void settle_own_memory(int after_fork) {
  FILE *f = fopen("/proc/self/maps", "re");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    unsigned long s, e;
    char perms[8] = {0};
    if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) != 3) continue;
    if (strstr(line, "[vvar") || strstr(line, "[vsyscall]") || strstr(line, "[vdso]")) continue;
    int scen = 0;
    int nv = atomic_load(&SH->nvars);
    for (int i = 0; i < nv; i++) {
      Var *v = &SH->vars[i];
      if (atomic_load(&v->kind) == V_MAPPING && s < v->a + v->b + PAGE_SZ && e > v->a - PAGE_SZ) scen = 1;
    }
    if (scen) continue;
    if ((uintptr_t)SH >= s && (uintptr_t)SH < e) {
      // the shared area: a forked process gets no copy of its page tables (dup_mmap copies none for a
      // shared mapping), so map every page of it now; else a thread's first use of a pool page (a read
      // buffer that another process's operations pushed onto a new page) is a fault of the scenario's
      if (after_fork)
        for (unsigned long p = s; p < e; p += PAGE_SZ) (void)*(volatile char *)p;
      continue;
    }
    int is_file = strchr(line, '/') != NULL;
    if (perms[0] == 'r' && is_file)
      for (unsigned long p = s; p < e; p += PAGE_SZ) (void)*(volatile char *)p;
    if (after_fork && perms[1] == 'w' && perms[3] == 'p' && perms[0] == 'r' && !strstr(line, "[stack]")) {
      unsigned char vec[4096];
      for (unsigned long p = s; p < e; p += 4096UL * PAGE_SZ) {
        unsigned long n = (e - p) / PAGE_SZ;
        if (n > 4096) n = 4096;
        if (mincore((void *)p, n * PAGE_SZ, vec)) break;
        for (unsigned long i = 0; i < n; i++)
          if (vec[i] & 1) __atomic_fetch_add((volatile char *)(p + i * PAGE_SZ), 0, __ATOMIC_RELAXED);
      }
    }
  }
  fclose(f);
}

// ---- processes ------------------------------------------------------------------------------------
static int proc_index(const char *name) {
  for (int i = 0; i < SH->nprocs; i++)
    if (!strcmp(SH->procs[i].name, name)) return i;
  return -1;
}

static void serve_forks(int pi);
static void child_controller(int pi) {
  tls_ctx = NULL; // (the forking thread's, in the parent)
  Proc *P = &SH->procs[pi];
  // a child of the executor's main process dies with it; a grandchild must outlive its parent (a scenario
  // process may exit while its children go on), so it watches the main process instead (below)
  if (getppid() == SH->main_pid) prctl(PR_SET_PDEATHSIG, SIGKILL);
  atomic_store(&P->pid, (int)getpid());
  settle_own_memory(1);
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *T = &SH->threads[i];
    if (T->proc == pi) start_thread(T);
  }
  atomic_store(&P->ctl_tid, (int)gettid());
  atomic_store(&P->ready, 1);
  futex_wake(&P->ready);
  serve_forks(pi);
}

// serve the fork requests of process pi's threads (fork_via_controller) until told to exit. The fork(2)
// runs here, not in the scenario thread: a child's PR_SET_PDEATHSIG fires when the thread that forked it
// ends, and this thread lives as long as its process. And not in the scheduler: with
// UFFD_FEATURE_EVENT_FORK the fork sleeps in the kernel (dup_userfaultfd_complete ->
// userfaultfd_event_wait_completion) until a reader takes the FORK message, and the reader's step is the
// scheduler's to give. The scenario thread waits for the answer meanwhile; its wchan is this thread's.
static void serve_forks(int pi) {
  Proc *P = &SH->procs[pi];
  for (;;) {
    int r = atomic_load(&P->req);
    if (pi && (atomic_load(&P->shutdown) || (kill(SH->main_pid, 0) < 0 && errno == ESRCH))) _exit(0);
    if (r) {
      Thread *T = &SH->threads[P->req_thread];
      J *op = T->ops->v[P->req_op];
      int pid = do_fork_for(pi, jstr(op, "as"));
      atomic_store(&P->req, 0);
      atomic_store(&P->req_done, pid);
      futex_wake(&P->req_done);
      continue;
    }
    // (a forked process polls for the main process's end; the main process's forker only waits for work)
    futex_wait(&P->req, 0, pi ? 50000000L : 1000000000L);
  }
}

// the main process's controller: a thread of its own that forks for the main process's scenario threads
static void *main_forker(void *arg) {
  (void)arg;
  atomic_store(&SH->procs[0].ctl_tid, (int)gettid());
  futex_wake(&SH->procs[0].ctl_tid);
  serve_forks(0);
  return NULL;
}

static void start_main_forker(void) {
  // its stack is mapped before any scenario mapping, as the scenario threads' are (alloc_stack)
  Thread st;
  memset(&st, 0, sizeof st);
  alloc_stack(&st);
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setstack(&at, st.stack, st.stack_len);
  pthread_t th;
  if (pthread_create(&th, &at, main_forker, NULL)) die("pthread_create failed");
  pthread_detach(th);
  while (atomic_load(&SH->procs[0].ctl_tid) == 0) futex_wait(&SH->procs[0].ctl_tid, 0, 1000000L);
}

// a fork operation of scenario thread T (its index oi): its process's controller forks, T waits for the
// pid (or -errno). Meanwhile T's wchan is the controller's (proxy_tid): the scheduler sees the fork asleep
// in userfaultfd_event_wait_completion as T's operation waiting for its event to be read (S_BLOCKED_EVENT)
static int fork_via_controller(Thread *T, int oi) {
  Proc *P = &SH->procs[T->proc];
  P->req_thread = (int)(T - SH->threads);
  P->req_op = oi;
  atomic_store(&P->req_done, 0);
  atomic_store(&T->proxy_pid, atomic_load(&P->pid));
  atomic_store(&T->proxy_tid, atomic_load(&P->ctl_tid));
  atomic_store(&P->req, 1);
  futex_wake(&P->req);
  int r;
  while (!(r = atomic_load(&P->req_done)) && !atomic_load(&T->kill)) futex_wait(&P->req_done, 0, 100000000L);
  atomic_store(&T->proxy_tid, 0);
  return r ? r : -EINTR; // (its process died meanwhile: the thread ends)
}

// fork the calling process; the child becomes the controller of the scenario process `as`
static int do_fork_for(int pi_parent, const char *as) {
  int pi = proc_index(as);
  if (pi < 0) die("fork: unknown process '%s'", as);
  Proc *P = &SH->procs[pi];
  atomic_store(&SH->fork_child, pi);
  // the child's fd table is the parent's: a userfaultfd or file the parent closed is closed in the child
  // too (EBADF there, as in the model), even when a later pipe or open reused its number
  int nv = atomic_load(&SH->nvars);
  for (int i = 0; i < nv; i++) {
    Var *x = &SH->vars[i];
    int k = atomic_load(&x->kind);
    if ((k == V_UFFD || k == V_FILE) && (x->b & (1ULL << pi_parent))) x->b |= 1ULL << pi;
  }
  fflush(NULL);
  // the system call itself, not glibc's fork(): that takes malloc's and stdio's locks around the call, and
  // a fork with UFFD_FEATURE_EVENT_FORK sleeps in it until its FORK message is read, while the scheduler
  // (which allocates) gives the reader its step. The child skips glibc's fork handlers: it is made while
  // every other thread of this process waits (the scheduler for the forking thread's step, the others
  // for their next), so no lock is held, and it runs no thread of the parent's
  pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0) return -errno;
  if (pid == 0) {
    child_controller(pi);
    _exit(0);
  }
  atomic_store(&P->alive, 1);
  while (!atomic_load(&P->ready)) futex_wait(&P->ready, 0, 10000000L);
  settle_own_memory(1);
  Var *v = var_set(as, V_PROCESS);
  if (v) v->a = (uint64_t)pid;
  return pid;
}

// ---- observations -------------------------------------------------------------------------------------
static const char *VMSTAT_NAMES[] = {"pgfault", "pgmajfault", "thp_fault_alloc", "thp_fault_fallback", "thp_split_pmd",
                                     "thp_split_page", "thp_zero_page_alloc", "thp_collapse_alloc", "thp_deferred_split_page"};
#define NVMSTAT (sizeof VMSTAT_NAMES / sizeof VMSTAT_NAMES[0])
// The vmstat counters are system-wide, and other processes on the machine fault THPs too. So they are
// only counted while a step of the scenario runs: the scheduler reads them before and after each step
// (steps never overlap), and a snapshot reports the sum.
static long long vmstat_acc[NVMSTAT], vmstat_t0[NVMSTAT];

static void read_vmstat(long long *out) {
  FILE *f = fopen("/proc/vmstat", "re");
  for (size_t i = 0; i < NVMSTAT; i++) out[i] = 0;
  if (!f) return;
  char name[128];
  long long v;
  while (fscanf(f, "%127s %lld", name, &v) == 2)
    for (size_t i = 0; i < NVMSTAT; i++)
      if (!strcmp(name, VMSTAT_NAMES[i])) out[i] = v;
  fclose(f);
}

typedef struct {
  uint64_t s, e;
  long anon_huge, rss;
  int readable;
} MapEnt;

static int read_smaps(MapEnt *m, int max) {
  FILE *f = fopen("/proc/self/smaps", "re");
  if (!f) return 0;
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long s, e;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3 && strchr(line, '-') < strchr(line, ' ')) {
      if (n >= max) break;
      m[n].s = s;
      m[n].e = e;
      m[n].anon_huge = m[n].rss = 0;
      m[n].readable = perms[0] == 'r';
      n++;
      continue;
    }
    long kb;
    if (n && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1) m[n - 1].anon_huge = kb;
    else if (n && sscanf(line, "Rss: %ld kB", &kb) == 1) m[n - 1].rss = kb;
  }
  fclose(f);
  return n;
}

static void vm_begin(void) { read_vmstat(vmstat_t0); }
static void vm_end(void) {
  long long t1[NVMSTAT];
  read_vmstat(t1);
  for (size_t i = 0; i < NVMSTAT; i++) vmstat_acc[i] += t1[i] - vmstat_t0[i];
}

static void *g_drain_page;
static cpu_set_t g_cpus;

// The arena: a PROT_NONE reservation, made before the first scenario mapping, in which the mappings
// without a fixed address are placed where the model placed them (options.placement gives each one's
// distance below the model's MMAP_BASE; g_arena_top stands for MMAP_BASE and is 1 GiB aligned, as that is).
// Whether a range can hold a THP, where a PMD is split, and which mappings share a page table depend on
// the layout within 2 MiB blocks. What is left of the reservation keeps other mappings out of the
// scenario's blocks and acts as the guard pages.
static void reserve_arena(J *placement) {
  uint64_t maxd = 0;
  for (int i = 0; placement && placement->t == J_OBJ && i < placement->n; i++)
    if (placement->v[i]->t == J_NUM && (uint64_t)placement->v[i]->num > maxd) maxd = (uint64_t)placement->v[i]->num;
  if (!maxd) return;
  // the top 1 GiB aligned, and the whole GiB below it reserved, so that no other memory shares the
  // scenario's page tables down to the PMD table
  const uint64_t G = 1UL << 30;
  uint64_t size = maxd + 2 * G;
  char *r = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) return;
  g_arena_top = ((uint64_t)(uintptr_t)r + size) & ~(G - 1);
}
static int g_pagemap_fd = -1, g_kpf_fd = -1;

// Settle the per-CPU folio batches (lru_add, lru_lazyfree, lru_activate...) of every CPU, as the model
// has none: its folios are on the LRU as soon as they are mapped, and MADV_FREE's lazyfree and GUP's
// activation take effect at once. A change of a VMA's VM_LOCKED drains the batches of the CPU it runs
// on only (mlock_fixup -> mlock_vma_pages_range -> lru_add_drain), and a folio faulted on one CPU sits
// in that CPU's batch, off the LRU and with an extra reference, until the batch drains or fills. So the
// caller visits each CPU this process may run on and munlocks and mlocks a page of its own there.
static void drain_lru_all_cpus(void) {
  cpu_set_t one;
  int moved = 0;
  for (int c = 0; c < CPU_SETSIZE; c++) {
    if (!CPU_ISSET(c, &g_cpus)) continue;
    CPU_ZERO(&one);
    CPU_SET(c, &one);
    if (sched_setaffinity(0, sizeof one, &one)) continue;
    moved = 1;
    munlock(g_drain_page, PAGE_SZ);
    mlock(g_drain_page, PAGE_SZ);
  }
  if (moved) sched_setaffinity(0, sizeof g_cpus, &g_cpus);
  else {
    munlock(g_drain_page, PAGE_SZ);
    mlock(g_drain_page, PAGE_SZ);
  }
}

static uint64_t kpf_of(uint64_t pfn, int *ok) {
  uint64_t v = 0;
  *ok = g_kpf_fd >= 0 && pread(g_kpf_fd, &v, 8, (off_t)(pfn * 8)) == 8;
  return v;
}

// the index of pfn inside its folio: walk back over compound tails to the head
static uint64_t folio_index(uint64_t pfn, uint64_t kpf) {
  if (!(kpf & KPF_COMPOUND_TAIL)) return 0;
  uint64_t buf[512];
  uint64_t idx = 0, p = pfn;
  for (int round = 0; round < 1024; round++) {
    uint64_t n = p >= 512 ? 512 : p;
    if (n == 0) break;
    ssize_t r = pread(g_kpf_fd, buf, n * 8, (off_t)((p - n) * 8));
    if (r != (ssize_t)(n * 8)) break;
    for (int64_t i = (int64_t)n - 1; i >= 0; i--) {
      idx++;
      if (buf[i] & KPF_COMPOUND_HEAD) return idx;
      if (!(buf[i] & KPF_COMPOUND_TAIL)) return 0;
    }
    p -= n;
  }
  return 0;
}

static void snapshot(Str *o, const char *name, J *pages) {
  drain_lru_all_cpus();
  static MapEnt maps[8192];
  int nm = read_smaps(maps, 8192);
  s_json_str(o, name);
  s_puts(o, ":{\"pages\":{");
  int first = 1;
  for (int i = 0; pages && i < pages->n; i++) {
    J *p = pages->v[i];
    uint64_t addr;
    if (eval(jget(p, "expr"), &addr)) continue;
    // a page of a forked process is read from that process's pagemap (not there yet: not reported)
    const char *pname = jstr(p, "process");
    int pmfd = g_pagemap_fd, own = 0;
    if (pname && strcmp(pname, "main")) {
      int pi = proc_index(pname);
      if (pi < 0 || !atomic_load(&SH->procs[pi].alive) || atomic_load(&SH->procs[pi].pid) <= 0) continue;
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/pagemap", atomic_load(&SH->procs[pi].pid));
      pmfd = open(path, O_RDONLY | O_CLOEXEC);
      if (pmfd < 0) continue;
      own = 1;
    }
    uint64_t pm = 0;
    if (pread(pmfd, &pm, 8, (off_t)(addr / PAGE_SZ * 8)) != 8) pm = 0;
    if (own) close(pmfd);
    if (!first) s_puts(o, ",");
    first = 0;
    s_json_str(o, jstr(p, "key"));
    s_printf(o, ":{\"addr\":\"0x%" PRIx64 "\",", addr);
    if (pm & PM_PRESENT) {
      int ok;
      uint64_t pfn = pm & PM_PFN_MASK;
      uint64_t kpf = kpf_of(pfn, &ok);
      uint64_t idx = ok ? folio_index(pfn, kpf) : 0;
      s_printf(o, "\"pagemap\":\"0x%016" PRIx64 "\",", (uint64_t)((pm & ~PM_PFN_MASK) | idx));
      // the raw PFN only tells which pages are the same page (mmsim turns it into a per-run pfn_id)
      s_printf(o, "\"pfn\":\"0x%" PRIx64 "\",", pfn);
      if (ok) s_printf(o, "\"kpageflags\":\"0x%" PRIx64 "\"", kpf);
      else s_puts(o, "\"kpageflags\":null");
    } else {
      s_printf(o, "\"pagemap\":\"0x%016" PRIx64 "\",\"kpageflags\":null", pm);
    }
    s_puts(o, "}");
  }
  // memory values (the scenario's mems: key, expr, size), little-endian, null when a page is not mapped
  s_puts(o, "},\"mem\":{");
  J *mems = jget(PLAN, "mems");
  first = 1;
  for (int i = 0; mems && i < mems->n; i++) {
    J *mv = mems->v[i];
    uint64_t addr;
    if (eval(jget(mv, "expr"), &addr)) continue;
    int size = (int)jnum(mv, "size", 1);
    int mapped = 1, readable = 1;
    for (int b = 0; b < size && mapped; b++) {
      uint64_t pm = 0;
      if (pread(g_pagemap_fd, &pm, 8, (off_t)((addr + (uint64_t)b) / PAGE_SZ * 8)) != 8 || !(pm & PM_PRESENT)) mapped = 0;
      int r = 0;
      for (int m = 0; m < nm; m++)
        if (addr + (uint64_t)b >= maps[m].s && addr + (uint64_t)b < maps[m].e) r = maps[m].readable;
      readable &= r;
    }
    uint64_t v = 0;
    if (mapped) {
      uint8_t bytes[8] = {0};
      // a page the scenario could not read (PROT_NONE) reads as not mapped, as in the model
      if (readable) {
        for (int b = 0; b < size; b++) bytes[b] = *(volatile uint8_t *)(uintptr_t)(addr + (uint64_t)b);
      } else mapped = 0;
      for (int b = size - 1; b >= 0; b--) v = (v << 8) | bytes[b];
    }
    if (!first) s_puts(o, ",");
    first = 0;
    s_json_str(o, jstr(mv, "key"));
    if (mapped) s_printf(o, ":\"0x%" PRIx64 "\"", v);
    else s_puts(o, ":null");
  }
  s_puts(o, "},\"smaps\":{");
  int nvma = 0;
  first = 1;
  J *mappings = jget(PLAN, "mappings");
  // which VMAs intersect some scenario mapping
  static unsigned char counted[8192];
  memset(counted, 0, sizeof counted);
  for (int i = 0; mappings && i < mappings->n; i++) {
    Var *v = var_find(mappings->v[i]->str);
    if (!v || atomic_load(&v->kind) != V_MAPPING) continue;
    long ah = 0, rss = 0;
    for (int m = 0; m < nm; m++) {
      if (maps[m].s < v->a + v->b && maps[m].e > v->a) {
        ah += maps[m].anon_huge;
        rss += maps[m].rss;
        counted[m] = 1;
      }
    }
    if (!first) s_puts(o, ",");
    first = 0;
    s_json_str(o, mappings->v[i]->str);
    s_printf(o, ":{\"AnonHugePages\":%ld,\"Rss\":%ld}", ah, rss);
  }
  for (int m = 0; m < nm; m++) nvma += counted[m];
  s_printf(o, "},\"vma_count\":%d,\"vmstat\":{", nvma);
  long long vs[NVMSTAT] = {0};
  (void)vs;
  for (size_t i = 0; i < NVMSTAT; i++) s_printf(o, "%s\"%s\":%lld", i ? "," : "", VMSTAT_NAMES[i], vmstat_acc[i]);
  s_puts(o, "}");
  // the hugetlb pool's lines of /proc/meminfo, when this run set the pool (it is the scenario's alone then)
  if (g_hp_prev >= 0) {
    s_printf(o, ",\"meminfo\":{\"HugePages_Total\":%ld,\"HugePages_Free\":%ld,\"HugePages_Rsvd\":%ld,\"HugePages_Surp\":%ld}",
             meminfo_value("HugePages_Total"), meminfo_value("HugePages_Free"), meminfo_value("HugePages_Rsvd"), meminfo_value("HugePages_Surp"));
  }
  s_puts(o, "}");
}

// ---- the scheduler -----------------------------------------------------------------------------------
static long g_step_timeout_ms = 5000;
static Str g_snaps;
static int g_nsnaps;
static Str g_taken;
static int g_ntaken;

static void take_checkpoint(const char *name) {
  if (g_nsnaps++) s_puts(&g_snaps, ",");
  snapshot(&g_snaps, name, jget(PLAN, "pages"));
}

static int read_wchan(Thread *T, char *buf, size_t n) {
  char path[96];
  // a fork under way: its process's controller is in the system call (fork_via_controller)
  int ptid = atomic_load(&T->proxy_tid);
  if (ptid) snprintf(path, sizeof path, "/proc/%d/task/%d/wchan", atomic_load(&T->proxy_pid), ptid);
  else snprintf(path, sizeof path, "/proc/%d/task/%d/wchan", atomic_load(&T->pid), atomic_load(&T->tid));
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return -1;
  ssize_t r = read(f, buf, n - 1);
  close(f);
  buf[r > 0 ? r : 0] = 0;
  return 0;
}

// wait until T's operation completes or T sleeps in the kernel. Returns R_DONE / R_ENDED / S_BLOCKED_*.
enum { W_DONE = 1, W_ENDED = 2, W_FAULT = 3, W_READ = 4, W_EVENT = 5 };
static int wait_step(Thread *T) {
  uint64_t t0 = now_ns();
  long sleep_ns = 20000;
  for (;;) {
    int d = atomic_load(&T->done);
    if (d != T->seen_done) {
      T->seen_done = d;
      return atomic_load(&T->last) == R_ENDED ? W_ENDED : W_DONE;
    }
    futex_wait(&T->done, d, sleep_ns);
    if (atomic_load(&T->done) != d) continue;
    char w[128];
    if (read_wchan(T, w, sizeof w) == 0) {
      if (!strcmp(w, "handle_userfault")) return W_FAULT;
      // a fork, madvise or munmap waiting for its userfaultfd event to be read
      if (!strcmp(w, "userfaultfd_event_wait_completion")) return W_EVENT;
      if (!strncmp(w, "userfaultfd", 11)) return W_READ;
    }
    if (atomic_load(&SH->fatal)) die("%s", SH->fatal_msg);
    if ((now_ns() - t0) / 1000000 > (uint64_t)g_step_timeout_ms) {
      int pc = atomic_load(&T->pc);
      char w2[128] = "?";
      read_wchan(T, w2, sizeof w2);
      die_hung((int)(T - SH->threads), pc, "thread %s: operation %s neither finished nor blocked within %g s (wchan %s)", T->name,
               jstr(T->ops->v[pc], "id"), (double)g_step_timeout_ms / 1000.0, w2);
    }
    if (sleep_ns < 2000000) sleep_ns *= 2;
  }
}

static int runnable(Thread *T) {
  if (T->yields > 0) return 1; // the rest of a GUP operation's steps (step())
  // its operation ended already, but the model's thread still waits for the reader's step (step_inner)
  if (T->event_asleep && !T->waken) return 0;
  int st = atomic_load(&T->status);
  // a thread waiting in the kernel that went on by itself and ended there (an event waiter whose last
  // operation the read let finish): that completion is still its step, as in the model
  if (st == T_DONE && T->sched != S_IDLE && atomic_load(&T->done) != T->seen_done) return 1;
  if (st != T_READY) return 0;
  if (T->sched == S_IDLE) return atomic_load(&T->pc) < T->nops;
  if (atomic_load(&T->done) != T->seen_done) return 1; // finished on its own (woken by the kernel)
  if (T->sched == S_BLOCKED_FAULT || T->sched == S_BLOCKED_EVENT) return T->waken;
  return 0;
}

static void kill_process(Thread *dead, int sig) {
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *O = &SH->threads[i];
    if (O == dead || O->proc != dead->proc) continue;
    int st = atomic_load(&O->status);
    if (st == T_UNBORN) {
      atomic_store(&O->status, T_KILLED);
      O->killed_by = sig;
      continue;
    }
    if (st != T_READY) continue;
    O->killed_by = sig;
    atomic_store(&O->kill, 1);
    futex_wake(&O->go);
    if (O->sched != S_IDLE) syscall(SYS_tgkill, atomic_load(&O->pid), atomic_load(&O->tid), SIGUSR1);
    // wait for it to end
    uint64_t t0 = now_ns();
    while (atomic_load(&O->status) == T_READY && now_ns() - t0 < 2000000000ULL) {
      int d = atomic_load(&O->done);
      if (atomic_load(&O->status) != T_READY) break;
      futex_wait(&O->done, d, 10000000L);
      if (O->sched != S_IDLE && atomic_load(&O->status) == T_READY)
        syscall(SYS_tgkill, atomic_load(&O->pid), atomic_load(&O->tid), SIGUSR1);
    }
    O->seen_done = atomic_load(&O->done);
    O->sched = S_IDLE;
  }
}

// the threads of /proc/PID/task (-1: the process is gone)
static int task_count(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

// the state letter of /proc/PID/stat ('?' when the process is gone)
static char proc_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return '?';
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return '?';
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  return rp && rp[1] && rp[2] ? rp[2] : '?';
}

static void settle_released(void);

// the process is gone: reaped (a child of this process), or its leader a zombie with no other thread left
// (each thread has run exit_mm and exit_files by then); it is no longer observed
static void wait_process_gone(Proc *P, pid_t pid, const char *what) {
  uint64_t t0 = now_ns();
  for (;;) {
    int ws;
    if (waitpid(pid, &ws, WNOHANG | __WALL) == pid) break;
    char st = proc_state(pid);
    if (st == '?' || ((st == 'Z' || st == 'X') && task_count(pid) <= 1)) break;
    if (now_ns() - t0 > 10000000000ULL) die("process %d (%s) did not end within 10 s", (int)pid, what);
    usleep(500);
  }
  atomic_store(&P->alive, 0);
}

// do the threads of scenario process pi pin or vmsplice? (the model keeps those references when the process
// dies of a signal, so such a process is kept alive here too: diesWhole in src/sched/exec.ts)
static int proc_holds_refs(int pi) {
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *O = &SH->threads[i];
    if (O->proc != pi) continue;
    for (int j = 0; j < O->nops; j++) {
      const char *k = jstr(O->ops->v[j], "op");
      if (k && (!strcmp(k, "pin") || !strcmp(k, "vmsplice"))) return 1;
    }
  }
  return 0;
}

// A fatal signal killed a thread of forked process pi and kill_process ended the others: the process exits as
// the kernel's would (its controller's _exit), so its address space and files go before the next step
static void end_process(int pi, const char *what) {
  Proc *P = &SH->procs[pi];
  pid_t pid = atomic_load(&P->pid);
  atomic_store(&P->shutdown, 1);
  futex_wake(&P->req);
  wait_process_gone(P, pid, what);
  settle_released();
}

// An `exit` of thread T (the model's do_group_exit): the other threads of its process are killed by it, as
// the model has them (status killed, SIGKILL), T's own thread calls exit_group, and the step ends once the
// process is gone: reaped (a child of this process), or its leader a zombie with no other thread left.
// Each thread has run exit_mm and exit_files by then, so the last mmput's exit_mmap and the files' release
// are done before any other step runs.
static void exit_process(Thread *T, int pc) {
  Proc *P = &SH->procs[T->proc];
  pid_t pid = atomic_load(&P->pid);
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *O = &SH->threads[i];
    if (O == T || O->proc != T->proc) continue;
    int st = atomic_load(&O->status);
    if (st != T_READY && st != T_UNBORN) continue;
    O->killed_by = SIGKILL;
    atomic_store(&O->status, T_KILLED);
    O->sched = S_IDLE;
    O->waken = 0;
  }
  J *op = T->ops->v[pc];
  char b[32];
  snprintf(b, sizeof b, "%d", (int)jnum(op, "status", 0));
  record((int)(T - SH->threads), pc, 0, b);
  atomic_fetch_add(&T->go, 1);
  futex_wake(&T->go);
  wait_process_gone(P, pid, jstr(op, "id"));
  atomic_store(&T->pc, pc + 1);
  atomic_store(&T->status, T_DONE);
  T->sched = S_IDLE;
  T->waken = 0;
  T->seen_done = atomic_load(&T->done);
  // a fault in another process whose uffd's last file this process held was woken by the release
  settle_released();
}

static void adopt_threads(void) {
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *T = &SH->threads[i];
    if (atomic_load(&T->status) == T_UNBORN && atomic_load(&SH->procs[T->proc].alive) && atomic_load(&T->tid))
      atomic_store(&T->status, T_READY);
  }
}

// the blocked readers of a uffd: after a fault queued a message, a reader sleeping in read(2) takes it
static void settle_readers(void) {
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *R = &SH->threads[i];
    if (R->sched != S_BLOCKED_READ) continue;
    uint64_t t0 = now_ns();
    while (atomic_load(&R->done) == R->seen_done && now_ns() - t0 < 200000000ULL) futex_wait(&R->done, R->seen_done, 1000000L);
  }
}

// after a close(2) that released a uffd: the kernel woke every fault waiting on it at once (no deferred
// wake-up is possible), so each such thread finishes its access on its own; wait briefly for them, so
// that they are runnable when the model's are (runnable(): finished on its own)
static void settle_released(void) {
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *B = &SH->threads[i];
    if (B->sched != S_BLOCKED_FAULT) continue;
    uint64_t t0 = now_ns();
    while (atomic_load(&B->done) == B->seen_done && now_ns() - t0 < 100000000ULL) {
      char w[128];
      if (read_wchan(B, w, sizeof w) == 0 && strcmp(w, "handle_userfault") && strcmp(w, "0")) break;
      futex_wait(&B->done, B->seen_done, 1000000L);
    }
  }
}

// after a read(2) that took an event: the kernel let its waiter go at once. The model lets the oldest
// waiter go (events are read in the order they were sent); wait briefly for it to finish or wait again
// (the default schedule gives that waiter its step next: g_let_go)
static Thread *g_let_go;
static void settle_event(void) {
  Thread *B = NULL;
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *X = &SH->threads[i];
    if (X->sched == S_BLOCKED_EVENT && !X->waken && (!B || X->event_seq < B->event_seq)) B = X;
  }
  if (!B) return;
  B->waken = 1;
  g_let_go = B;
  uint64_t t0 = now_ns();
  while (atomic_load(&B->done) == B->seen_done && now_ns() - t0 < 100000000ULL) futex_wait(&B->done, B->seen_done, 1000000L);
}

// is addr in a hugetlb mapping of process pid (MAP_HUGETLB, or a hugetlbfs file such as a MFD_HUGETLB memfd)?
// /proc/PID/smaps gives the VMA's KernelPageSize: 2048 kB for hugetlb
static int in_hugetlb_mapping(int pid, uint64_t addr) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/%d/smaps", pid);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  int huge = 0, in = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long long s0, e0;
    long kps;
    // a VMA's first line starts with its range (a field's name is never hex digits and a '-')
    if (sscanf(line, "%llx-%llx ", &s0, &e0) == 2) {
      if (in) break;
      in = addr >= s0 && addr < e0;
    } else if (in && sscanf(line, "KernelPageSize: %ld kB", &kps) == 1) {
      huge = kps == 2048;
      break;
    }
  }
  fclose(f);
  return huge;
}

// one step of T: 1 when the thread can go on, 0 when it blocked or ended
static int step_inner(Thread *T);
static int step(Thread *T) {
  if (g_ntaken++) s_puts(&g_taken, ",");
  s_json_str(&g_taken, T->name);
  if (T->yields > 0) return --T->yields > 0 ? 1 : T->yield_ret;
  vm_begin();
  int r = step_inner(T);
  vm_end();
  drain_lru_all_cpus();
  if (T->sched == S_BLOCKED_FAULT && atomic_load(&T->gup_op)) {
    // a pin or vmsplice asleep in handle_userfault: the faults it took before are the model's steps before
    // the one that blocks (read from /proc, the thread cannot count them itself)
    long mn, mj;
    if (!task_flt(T, &mn, &mj)) {
      int cur = (int)((mn - atomic_load(&T->op_minflt0)) + (mj - atomic_load(&T->op_majflt0)));
      for (; T->gup_counted < cur; T->gup_counted++) {
        s_puts(&g_taken, ",");
        s_json_str(&g_taken, T->name);
        g_ntaken++;
      }
    }
  }
  int f = atomic_exchange(&T->gup_faults, 0);
  if (f > 0) f -= T->gup_counted;
  if (atomic_load(&T->gup_faults) == 0 && T->sched != S_BLOCKED_FAULT) T->gup_counted = 0;
  if (f > 0) {
    T->yields = f;
    T->yield_ret = r;
    return 1;
  }
  return r;
}

// the scheduler carried out T's operation pc on its behalf: 1 when T goes on (a loop thread starts again at
// its first operation after the last), 0 when that was its last operation and T has ended
static int sched_advance(Thread *T, int pc) {
  if (pc + 1 < T->nops || T->loop) {
    atomic_store(&T->pc, pc + 1 < T->nops ? pc + 1 : 0);
    return 1;
  }
  atomic_store(&T->pc, pc + 1);
  // tell the thread to finish
  atomic_store(&T->kill, 2);
  futex_wake(&T->go);
  while (atomic_load(&T->status) == T_READY) futex_wait(&T->done, atomic_load(&T->done), 1000000L);
  atomic_store(&T->status, T_DONE);
  T->seen_done = atomic_load(&T->done);
  return 0;
}

// the event of the message a thread asleep in read(2) of a uffd took during T's operation (its read ended
// on its own), or 0 when none did: a reader still asleep took nothing; one the kernel woke (handed a
// message) is waited for until its read ends
static int taken_asleep(Thread *T) {
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *R = &SH->threads[i];
    if (R == T || R->sched != S_BLOCKED_READ) continue;
    if (atomic_load(&R->done) == R->seen_done) {
      char w[128];
      if (read_wchan(R, w, sizeof w) != 0 || !strncmp(w, "userfaultfd", 11)) continue;
      uint64_t t0 = now_ns();
      while (atomic_load(&R->done) == R->seen_done && now_ns() - t0 < 100000000ULL) futex_wait(&R->done, R->seen_done, 1000000L);
      if (atomic_load(&R->done) == R->seen_done) continue;
    }
    int ev = atomic_load(&SH->last_event);
    if (ev) return ev;
  }
  return 0;
}

// did a reader asleep take, during T's operation (one that sends non-cooperative events), an event that
// operation sent (no page fault)?
static int event_taken_asleep(Thread *T, const char *kind) {
  // (an mmap(MAP_FIXED) sends the UNMAP events of what it replaces: session 14, found by fuzz seed 6404 run 349)
  // (and a fork sends FORK: its thread's wchan is the controller's, which forks for it)
  if (!kind || (strcmp(kind, "madvise") && strcmp(kind, "munmap") && strcmp(kind, "mremap") && strcmp(kind, "mmap") && strcmp(kind, "fork"))) return 0;
  int ev = taken_asleep(T);
  return ev && ev != UFFD_EVENT_PAGEFAULT;
}

// did a reader asleep take, during T's memory access, the page-fault message of that access, and the access
// end without a wait the executor saw? Only a release can wake a fault the executor did not wake: the
// reader's read held the last reference to a closed uffd, and its return released it (userfaultfd_release
// wakes every fault). The model has T wait, the reader's step take the message (and release), and T's next
// step finish the access.
static int fault_taken_asleep(Thread *T, const char *kind) {
  if (!kind || (strcmp(kind, "write") && strcmp(kind, "read") && strcmp(kind, "memset"))) return 0;
  return taken_asleep(T) == UFFD_EVENT_PAGEFAULT;
}

static int step_inner(Thread *T) {
  int r;
  if (T->sched != S_IDLE && atomic_load(&T->done) != T->seen_done) {
    T->event_asleep = 0;
    // it finished without waiting for its turn (the kernel woke it): this step is that completion
    r = wait_step(T);
  } else if (T->sched == S_BLOCKED_EVENT) {
    // its event was read and it went on by itself: it finished (above) or waits for its next event
    r = wait_step(T);
  } else if (T->sched == S_BLOCKED_FAULT) {
    // the page its fault waits on: a hugetlb fault waits on its huge page (the message's address)
    uint64_t wa = atomic_load(&T->cur_addr), wl = PAGE_SZ;
    if (in_hugetlb_mapping(atomic_load(&T->pid), wa)) {
      wl = 2u << 20;
      wa &= ~(uint64_t)(wl - 1);
    }
    struct uffdio_range wr = {page_of(wa), wl};
    T->waken = 0;
    ioctl(T->wake_fd, UFFDIO_WAKE, &wr);
    r = wait_step(T);
  } else {
    int pc = atomic_load(&T->pc);
    J *op = T->ops->v[pc];
    const char *kind = jstr(op, "op");
    if (!strcmp(kind, "checkpoint")) {
      // done by the scheduler on the thread's behalf: snapshots are of the main process
      take_checkpoint(jstr(op, "name"));
      record((int)(T - SH->threads), pc, 0, "0");
      return sched_advance(T, pc);
    }
    if (!strcmp(kind, "exit")) {
      exit_process(T, pc);
      return 0;
    }
    // (a fork is the thread's operation: its process's controller forks for it, fork_via_controller)
    atomic_fetch_add(&T->go, 1);
    futex_wake(&T->go);
    int seen0 = T->seen_done;
    r = wait_step(T);
    if ((r == W_DONE || r == W_ENDED) && event_taken_asleep(T, jstr(op, "op"))) {
      // a thread asleep in read(2) of the uffd took the event this operation sent inside its syscall, which
      // the executor saw end without a wait: the model has this thread wait for the event, the reader's step
      // take it, and this thread's next step end the wait (its end is kept for that step)
      T->seen_done = seen0;
      T->event_asleep = 1;
      r = W_EVENT;
    } else if ((r == W_DONE || r == W_ENDED) && fault_taken_asleep(T, jstr(op, "op"))) {
      // (the same three steps for a fault whose message a sleeping reader took, and whose wait the release
      // that reader's return ran ended: fault_taken_asleep)
      T->seen_done = seen0;
      T->event_asleep = 1;
      r = W_FAULT;
    }
  }
  if (r == W_FAULT) {
    T->sched = S_BLOCKED_FAULT;
    T->waken = 0;
    if (atomic_load(&T->gup_len)) atomic_store(&T->cur_addr, gup_fault_page(T));
    T->wait_addr = waiter_addr(T);
    settle_readers();
    return 0;
  }
  if (r == W_READ) {
    T->sched = S_BLOCKED_READ;
    return 0;
  }
  if (r == W_EVENT) {
    static long event_seq;
    // a fork asleep until its FORK message is read has copied the page tables already: the executor's own
    // private memory is copy-on-write from now on, so break that now (as after a fork), or the reader's
    // step and those of the other threads of this process would take faults on it as theirs
    if (atomic_load(&T->proxy_tid) && T->proc == 0) settle_own_memory(1);
    T->sched = S_BLOCKED_EVENT;
    T->waken = 0;
    T->event_seq = ++event_seq;
    settle_readers();
    return 0;
  }
  T->sched = S_IDLE;
  T->waken = 0;
  if (atomic_load(&T->status) != T_SIGNAL) {
    int pc = atomic_load(&T->pc);
    int li = pc ? pc - 1 : T->nops - 1;
    const char *lk = jstr(T->ops->v[li], "op");
    if (!strcmp(lk, "close")) settle_released();
    if (!strcmp(lk, "read_uffd")) {
      // a read that released its uffd as it returned (fault_taken_asleep) woke the fault it took: that
      // thread's next step ends its access
      for (int i = 0; i < SH->nthreads; i++) {
        Thread *B = &SH->threads[i];
        if (B != T && B->event_asleep && B->sched == S_BLOCKED_FAULT) B->waken = 1;
      }
    }
    if (!strcmp(lk, "read_uffd") && atomic_load(&SH->last_event) && atomic_load(&SH->last_event) != UFFD_EVENT_PAGEFAULT) settle_event();
  }
  if (r == W_ENDED) {
    if (atomic_load(&T->status) == T_SIGNAL) {
      kill_process(T, atomic_load(&T->sig));
      if (T->proc != 0 && !proc_holds_refs(T->proc)) end_process(T->proc, T->name);
    }
    return 0;
  }
  return atomic_load(&T->pc) < T->nops;
}

// what a thread is doing, in the model's words (describe() in src/sched/machine.ts)
static const char *describe(Thread *T) {
  int st = atomic_load(&T->status);
  if (st == T_READY && T->sched == S_BLOCKED_FAULT) return "blocked in handle_userfault";
  if (st == T_READY && T->sched == S_BLOCKED_READ) return "blocked reading its userfaultfd";
  if (st == T_READY && atomic_load(&T->pc) >= T->nops) return "finished";
  switch (st) {
    case T_READY: return "ready";
    case T_UNBORN: return "unborn";
    case T_SIGNAL: return "signal";
    case T_KILLED: return "killed";
    default: return "done";
  }
}

static Thread *thread_by_name(const char *n) {
  for (int i = 0; i < SH->nthreads; i++)
    if (!strcmp(SH->threads[i].name, n)) return &SH->threads[i];
  return NULL;
}

// the model's bound on the default schedule (src/sched/machine.ts DEFAULT_STEP_LIMIT), from the plan
static long g_step_limit = 1000000;

static void run_default(void) {
  Thread *cur = NULL;
  for (long n = 0;; n++) {
    if (atomic_load(&SH->fatal)) die("%s", SH->fatal_msg);
    if (n >= g_step_limit) die_incomplete("the default schedule did not end after %ld steps (a loop thread that never blocks?)", g_step_limit);
    if (!cur || !runnable(cur)) {
      cur = NULL;
      for (int i = 0; i < SH->nthreads && !cur; i++)
        if (runnable(&SH->threads[i])) cur = &SH->threads[i];
    }
    if (!cur) break;
    g_let_go = NULL;
    int go_on = step(cur);
    adopt_threads();
    // a read that took an event let its waiter go on in the kernel: it takes its step at once, then the
    // reader goes on (Machine.runDefault in src/sched/machine.ts)
    Thread *w = g_let_go;
    g_let_go = NULL;
    if (w && w != cur && runnable(w)) {
      step(w);
      adopt_threads();
    }
    if (!go_on) cur = NULL;
  }
}

// ---- setup must not block ------------------------------------------------------------------------------------
// The setup runs in the main thread before any scenario thread exists: a setup operation that sleeps in
// handle_userfault or in a read of a uffd would sleep forever. A watcher sees it in the main thread's wchan
// and ends the run as the model does (Machine.runSetup): an error of the scenario, at the operation.
static _Atomic int g_setup_op = -1; // the setup operation the main thread runs; -1 between two, -2 after the setup
static int g_main_tid;

static void *setup_watch(void *arg) {
  J *setup = arg;
  char path[64], w[128];
  snprintf(path, sizeof path, "/proc/self/task/%d/wchan", g_main_tid);
  for (;;) {
    int i = atomic_load(&g_setup_op);
    if (i == -2) return NULL;
    if (i >= 0) {
      int f = open(path, O_RDONLY | O_CLOEXEC);
      ssize_t n = f < 0 ? -1 : read(f, w, sizeof w - 1);
      if (f >= 0) close(f);
      w[n > 0 ? n : 0] = 0;
      int asleep = !strcmp(w, "handle_userfault") || !strncmp(w, "userfaultfd", 11);
      // still the same operation: the wchan is this one's
      if (asleep && atomic_load(&g_setup_op) == i)
        die_input(-1, i, "setup operation %s blocked; setup must not wait for a thread", jstr(setup->v[i], "id"));
    }
    struct timespec ts = {0, 2000000L};
    nanosleep(&ts, NULL);
  }
}

// ---- the run ---------------------------------------------------------------------------------------------
static char *read_all(int fd, size_t *len) {
  Str s = {0};
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s_add(&s, buf, (size_t)n);
  *len = s.n;
  return s.p ? s.p : strdup("");
}

// a loop thread waiting for a uffd message at the head of its loop: a server with no work, not a deadlock
// (Machine.idle in src/sched/machine.ts)
static int thread_idle(Thread *T) {
  return T->loop && atomic_load(&T->status) == T_READY && T->sched == S_BLOCKED_READ && atomic_load(&T->pc) == 0;
}

static const char *status_name(Thread *T) {
  int st = atomic_load(&T->status);
  switch (st) {
    case T_UNBORN: return "unborn";
    case T_DONE: return "done";
    case T_SIGNAL: return "signal";
    case T_KILLED: return "killed";
    default:
      if (thread_idle(T)) return "idle";
      if (T->sched != S_IDLE) return "blocked";
      return atomic_load(&T->pc) >= T->nops ? "done" : "unfinished";
  }
}

/**
 * One scenario at a time on this machine: the vmstat counters the snapshots compare are system-wide, and
 * another executor (a parallel test file, a fuzzer) faulting or splitting THPs during a step would be
 * counted. An exclusive flock on a well-known file, held until the process ends, serialises executors;
 * without the file (an unwritable /tmp) the run goes on unlocked. The scenario's processes inherit it.
 */
static int g_lock_fd = -1;
static void lock_machine(void) {
  const char *path = getenv("MMSIM_EXEC_LOCK") ? getenv("MMSIM_EXEC_LOCK") : "/tmp/mmsim-exec.lock";
  int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  while (flock(fd, LOCK_EX) != 0 && errno == EINTR) {}
  g_lock_fd = fd;
}

/**
 * Tell mmsim that the lock is held (MMSIM_LOCKED_FD names a pipe it reads): its watchdog counts the run's
 * timeout from here, not from the wait for another executor to finish. The descriptor is closed at once, so
 * no process of the scenario inherits it.
 */
static void say_locked(void) {
  const char *e = getenv("MMSIM_LOCKED_FD");
  if (!e || !*e) return;
  int fd = atoi(e);
  if (fd < 3) return;
  ssize_t w;
  do w = write(fd, "L", 1); while (w < 0 && errno == EINTR);
  close(fd);
}

static int run_scenario(void) {
  size_t n;
  char *text = read_all(0, &n);
  lock_machine();
  say_locked();
  Rd r = {text, text + n};
  PLAN = rd_value(&r, 0);
  J *sc = jget(PLAN, "scenario") ? jget(PLAN, "scenario") : PLAN;
  J *opts = jget(PLAN, "options");
  g_step_timeout_ms = (long)jnum(opts, "step_timeout_ms", 5000);
  g_step_limit = (long)jnum(opts, "step_limit", 1000000);
  g_swap = jget(opts, "swap");
  if (g_swap && g_swap->t != J_OBJ) g_swap = NULL;
  J *hp = jget(opts, "hugepages");
  if (hp && hp->t == J_NUM) {
    // a reader that went away must not kill the executor before it gave the pool back
    signal(SIGPIPE, SIG_IGN);
    hugepages_setup((long)hp->num);
  }
  J *se = jget(opts, "shmem_enabled");
  if (se && se->t == J_STR) {
    signal(SIGPIPE, SIG_IGN);
    shmem_thp_setup(se->str);
  }
  // a reader that went away (mmsim killed) must not kill the executor before it swapped its files off
  if (g_swap) signal(SIGPIPE, SIG_IGN);
  hugetlbfs_private_ns(sc);
  J *setup = jget(sc, "setup"), *threads = jget(sc, "threads");
  // the pieces the snapshots read: keep them at the top level of PLAN's view
  if (sc != PLAN) {
    jpush(PLAN, strdup("pages"), jget(sc, "pages"));
    jpush(PLAN, strdup("mems"), jget(sc, "mems"));
    jpush(PLAN, strdup("mappings"), jget(sc, "mappings"));
  }
  // size the shared area: a record per operation; read buffers and results go to the pool
  if (threads && threads->n > MAXT) die("too many threads (at most %d)", MAXT);
  size_t nops = setup ? (size_t)setup->n : 0;
  for (int i = 0; threads && i < threads->n; i++) nops += (size_t)jget(threads->v[i], "ops")->n;
  size_t maxrec = nops ? nops : 1;
  uint64_t pool = (uint64_t)jnum(opts, "pool_bytes", 16 << 20);
  size_t total = sizeof(Shared) + maxrec * sizeof(Rec) + pool;
  total = (total + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
  void *shm = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (shm == MAP_FAILED) die("cannot map the shared area (%zu bytes)", total);
  SH = shm;
  RECS = (Rec *)((char *)shm + sizeof(Shared));
  POOL = (char *)(RECS + maxrec);
  SH->nslots = (int)nops;
  SH->pool_size = pool;
  SH->main_pid = getpid();
  g_drain_page = mmap(NULL, PAGE_SZ, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (sched_getaffinity(0, sizeof g_cpus, &g_cpus)) CPU_ZERO(&g_cpus);
  g_pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  g_kpf_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
  // processes: main, then one per fork op
  SH->procs[0].name = "main";
  atomic_store(&SH->procs[0].alive, 1);
  atomic_store(&SH->procs[0].pid, getpid());
  SH->nprocs = 1;
  J *names = jget(sc, "names");
  for (int i = 0; names && i < names->n; i++) {
    if (!strcmp(names->v[i]->str, "fork")) {
      if (SH->nprocs >= MAXP) die("too many processes");
      SH->procs[SH->nprocs++].name = names->k[i];
    }
  }
  int slot = setup ? setup->n : 0;
  for (int i = 0; threads && i < threads->n; i++) {
    Thread *T = &SH->threads[i];
    J *t = threads->v[i];
    T->name = jstr(t, "name");
    T->ops = jget(t, "ops");
    T->nops = T->ops->n;
    T->loop = jbool(t, "loop");
    SH->op_base[i] = slot;
    slot += T->nops;
    const char *pn = jstr(t, "process");
    T->proc = pn ? proc_index(pn) : 0;
    if (T->proc < 0) die("thread %s: unknown process '%s'", T->name, pn);
    atomic_store(&T->status, T_UNBORN);
  }
  SH->nthreads = threads ? threads->n : 0;
  install_handlers();
  // the main process's threads exist from the start; every thread's stack is mapped before any scenario
  // mapping (alloc_stack)
  for (int i = 0; i < SH->nthreads; i++)
    if (SH->threads[i].proc != 0 && SH->threads[i].nops > 0) alloc_stack(&SH->threads[i]);
  for (int i = 0; i < SH->nthreads; i++)
    if (SH->threads[i].proc == 0) {
      if (SH->threads[i].nops == 0) {
        atomic_store(&SH->threads[i].status, T_DONE);
        continue;
      }
      start_thread(&SH->threads[i]);
    }
  start_main_forker();
  reserve_arena(jget(opts, "placement"));
  // the watcher of the setup (its stack is the executor's own memory, locked below with the rest)
  J *setup_ops = setup;
  g_main_tid = (int)gettid();
  pthread_t watcher;
  pthread_attr_t wat;
  pthread_attr_init(&wat);
  pthread_attr_setstacksize(&wat, 64 * 1024);
  if (setup && setup->n && pthread_create(&watcher, &wat, setup_watch, setup_ops) == 0) pthread_detach(watcher);
  // the executor's own memory is settled and locked before the scenario starts
  settle_own_memory(0);
  mlockall(MCL_CURRENT);
  // the placeholders of the scenario's fixed ranges are not the executor's memory: no need to lock them
  for (int i = 0; i < g_nres; i++)
    if (g_res[i].e > g_res[i].s) munlock((void *)(uintptr_t)g_res[i].s, g_res[i].e - g_res[i].s);
  uint64_t t_setup = now_ns();
  // setup runs in the main thread
  Ctx c;
  memset(&c, 0, sizeof c);
  c.ti = -1;
  tls_ctx = &c;
  for (int i = 0; setup && i < setup->n; i++) {
    J *op = setup->v[i];
    if (!strcmp(jstr(op, "op"), "checkpoint")) {
      take_checkpoint(jstr(op, "name"));
      record(-1, i, 0, "0");
      continue;
    }
    vm_begin();
    atomic_store(&g_setup_op, i);
    int dead = exec_op(&c, i, op);
    atomic_store(&g_setup_op, -1);
    vm_end();
    drain_lru_all_cpus();
    if (dead) die_input(-1, i, "setup operation %s died of %s", jstr(op, "id"), sig_name(c.got_sig));
    if (atomic_load(&SH->fatal)) die("%s", SH->fatal_msg);
  }
  atomic_store(&g_setup_op, -2);
  tls_ctx = NULL;
  take_checkpoint("setup");
  uint64_t t_run = now_ns();
  adopt_threads();
  for (int i = 0; i < SH->nthreads; i++)
    if (SH->threads[i].nops == 0 && atomic_load(&SH->threads[i].status) == T_READY) atomic_store(&SH->threads[i].status, T_DONE);
  J *sched = jget(opts, "schedule");
  for (int i = 0; sched && i < sched->n; i++) {
    Thread *T = thread_by_name(sched->v[i]->str);
    if (!T) die_input(0, -1, "schedule step %d: unknown thread '%s'", i + 1, sched->v[i]->str);
    if (!runnable(T)) die_input(0, -1, "schedule step %d: thread '%s' cannot run (%s)", i + 1, T->name, describe(T));
    step(T);
    adopt_threads();
  }
  run_default();
  uint64_t t_end = now_ns();
  int deadlock = 0;
  for (int i = 0; i < SH->nthreads; i++)
    if (atomic_load(&SH->threads[i].status) == T_READY && SH->threads[i].sched != S_IDLE && !thread_idle(&SH->threads[i])) deadlock = 1;
  take_checkpoint("final");
  // a thread still asleep in the kernel: its operation never returned to count its faults (the pages a
  // populate or an access faulted in before it slept); the kernel counted them, read them from /proc
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *T = &SH->threads[i];
    long mn, mj;
    // (a fork still waiting for its FORK message to be read is its process's controller's: the thread's own
    // faults meanwhile are the executor's, fork_via_controller)
    if (atomic_load(&T->status) != T_READY || T->sched == S_IDLE || atomic_load(&T->proxy_tid) || task_flt(T, &mn, &mj)) continue;
    T->minflt += mn - atomic_load(&T->op_minflt0);
    T->majflt += mj - atomic_load(&T->op_majflt0);
  }

  Str o = {0};
  s_puts(&o, "{\"ok\":true,\"threads\":[");
  for (int i = 0; i < SH->nthreads; i++) {
    Thread *T = &SH->threads[i];
    int st = atomic_load(&T->status);
    int sig = st == T_SIGNAL ? atomic_load(&T->sig) : st == T_KILLED ? T->killed_by : 0;
    s_printf(&o, "%s{\"name\":", i ? "," : "");
    s_json_str(&o, T->name);
    s_printf(&o, ",\"state\":\"%s\",\"signal\":%d,\"minflt\":%ld,\"majflt\":%ld}", status_name(T), sig, T->minflt, T->majflt);
  }
  s_puts(&o, "],\"records\":[");
  for (int i = 0, first_rec = 1; i < SH->nslots; i++) {
    Rec *x = &RECS[i];
    if (!x->set) continue;
    s_printf(&o, "%s{\"t\":%d,\"i\":%d,", first_rec ? "" : ",", x->t, x->i);
    first_rec = 0;
    if (x->err == ERR_SKIPPED) s_puts(&o, "\"errno\":0,\"skipped\":true");
    else s_printf(&o, "\"errno\":%d", x->err);
    s_puts(&o, ",\"result\":");
    if (!x->has_res) s_puts(&o, "null");
    else s_json_str(&o, POOL + x->res_off);
    if (x->has_out) {
      s_puts(&o, ",\"out\":");
      s_puts(&o, POOL + x->out_off);
    }
    s_puts(&o, "}");
  }
  s_puts(&o, "],\"vars\":{");
  int nv = atomic_load(&SH->nvars), first = 1;
  for (int i = 0; i < nv; i++) {
    Var *v = &SH->vars[i];
    int k = atomic_load(&v->kind);
    if (!v->name || k == V_NONE) continue;
    if (!first) s_puts(&o, ",");
    first = 0;
    s_json_str(&o, v->name);
    switch (k) {
      case V_MAPPING: s_printf(&o, ":{\"kind\":\"mapping\",\"addr\":\"0x%" PRIx64 "\",\"len\":\"0x%" PRIx64 "\"}", v->a, v->b); break;
      case V_MSG:
        s_printf(&o, ":{\"kind\":\"msg\",\"address\":\"0x%" PRIx64 "\",\"flags\":%" PRIu64 ",\"event\":%" PRIu64 ",\"ptid\":%" PRIu64 "}", v->a, v->b, v->c, v->d);
        break;
      case V_DATA: {
        s_printf(&o, ":{\"kind\":\"data\",\"addr\":\"0x%" PRIx64 "\",\"hex\":\"", v->a);
        for (uint64_t b = 0; b < v->len; b++) s_printf(&o, "%02x", (uint8_t)POOL[v->off + b]);
        s_puts(&o, "\"}");
        break;
      }
      case V_IOCTLS: s_printf(&o, ":{\"kind\":\"ioctls\",\"value\":\"0x%" PRIx64 "\"}", v->a); break;
      case V_UFFD: s_printf(&o, ":{\"kind\":\"uffd\",\"fd\":%" PRIu64 "}", v->a); break;
      case V_PROCESS: s_printf(&o, ":{\"kind\":\"process\",\"pid\":%" PRIu64 "}", v->a); break;
      default: s_puts(&o, ":{\"kind\":\"other\"}");
    }
  }
  s_puts(&o, "},\"snapshots\":{");
  if (g_snaps.p) s_puts(&o, g_snaps.p);
  s_puts(&o, "},\"taken\":[");
  if (g_taken.p) s_puts(&o, g_taken.p);
  s_printf(&o, "],\"deadlock\":%s,\"timing\":{\"setup_ns\":%" PRIu64 ",\"run_ns\":%" PRIu64 "}}\n", deadlock ? "true" : "false",
           t_run - t_setup, t_end - t_run);
  // children go first: a thread blocked in a fault is ended by the exit
  for (int i = 1; i < SH->nprocs; i++) {
    Proc *P = &SH->procs[i];
    if (!atomic_load(&P->alive)) continue;
    atomic_store(&P->shutdown, 1);
    futex_wake(&P->req);
    int pid = atomic_load(&P->pid);
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
    }
  }
  // a thread of this process still asleep in the kernel (a fault that do_swap_page handed to
  // handle_userfault keeps its swap entry) would keep swapoff(2) waiting for ever: then the swap is left
  // to mmsim, which swaps it off after this process's exit has ended the thread (src/host/swap.ts)
  int asleep = 0;
  for (int i = 0; i < SH->nthreads; i++)
    if (SH->threads[i].proc == 0 && SH->threads[i].sched != S_IDLE && atomic_load(&SH->threads[i].status) == T_READY) asleep = 1;
  if (!asleep) swap_cleanup();
  else {
    // ... but not outside the machine lock: a child that inherits it (flock follows the open file) waits for
    // this process to be gone, swaps the plan's files off and only then lets the next executor run (whose
    // own swap file would otherwise get another swap type while these are still on)
    // The child is spawned (clone with CLONE_VM | CLONE_VFORK, then exec), never forked: a fork copies the
    // address space (dup_mmap), and where a uffd with UFFD_FEATURE_EVENT_FORK still has registered VMAs here
    // (a scenario fork waiting for its FORK message to be read is such a sleeping thread) it would send a FORK
    // message of its own and sleep until it is read, for ever (host fuzz seed 9001 run 23). The lock's file
    // goes to the new image (its close-on-exec flag cleared), whose --swapoff-after waits for this process.
    J *files = g_swap ? jget(g_swap, "files") : NULL;
    if (files && files->n) {
      char pid[24];
      snprintf(pid, sizeof pid, "%d", (int)getpid());
      char **argv = calloc((size_t)files->n + 4, sizeof *argv);
      argv[0] = "mmsim-exec";
      argv[1] = "--swapoff-after";
      argv[2] = pid;
      for (int i = 0; i < files->n; i++) argv[3 + i] = files->v[i]->str;
      if (g_lock_fd >= 0) fcntl(g_lock_fd, F_SETFD, 0);
      pid_t c;
      if (posix_spawn(&c, "/proc/self/exe", NULL, NULL, argv, environ) != 0) swap_cleanup();
    }
  }
  files_cleanup();
  hugepages_cleanup();
  shmem_thp_cleanup();
  size_t off = 0;
  while (off < o.n) {
    ssize_t w = write(g_out_fd, o.p + off, o.n - off);
    if (w <= 0) break;
    off += (size_t)w;
  }
  _exit(0);
}

// ---- --probe -----------------------------------------------------------------------------------------
// The probe watches what the kernel does, not only what sysfs says: each experiment maps a little
// private anonymous memory, touches it, and reads back pagemap (and kpageflags where readable).
#define PM_EXCLUSIVE_BIT (1ULL << 56)
#define PM_GUARD_BIT (1ULL << 58)
#define PM_FILE_BIT (1ULL << 61)
#define KPF_THP_BIT (1ULL << 22)
#define KPF_ZERO_PAGE_BIT (1ULL << 24)
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

static int g_probe_pm = -1, g_probe_kpf = -1;

/** pagemap entry of addr (0 when unreadable) */
static uint64_t probe_pm(const void *addr) {
  uint64_t e = 0;
  if (g_probe_pm < 0 || pread(g_probe_pm, &e, 8, (off_t)((uintptr_t)addr / PAGE_SZ * 8)) != 8) return 0;
  return e;
}
/** kpageflags of the page mapped at addr, or -1 (as all ones) when it cannot be read */
static uint64_t probe_kpf(const void *addr) {
  uint64_t e = probe_pm(addr), f = 0;
  if (!(e & PM_PRESENT) || !(e & PM_PFN_MASK) || g_probe_kpf < 0) return ~0ULL;
  if (pread(g_probe_kpf, &f, 8, (off_t)((e & PM_PFN_MASK) * 8)) != 8) return ~0ULL;
  return f;
}
/** an anonymous private mapping of len bytes aligned to `align` (the rest of the reservation unmapped) */
static char *probe_map(size_t len, size_t align) {
  char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return NULL;
  uintptr_t a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
  if (a > (uintptr_t)p) munmap(p, a - (uintptr_t)p);
  uintptr_t end = (uintptr_t)p + len + align;
  if (end > a + len) munmap((char *)(a + len), end - (a + len));
  return (char *)a;
}
/** what a page looks like: "zero" (the shared zero page), "page" (a page of its own), "none" or "unknown" */
static const char *probe_kind(const void *addr) {
  uint64_t e = probe_pm(addr), f = probe_kpf(addr);
  if (!(e & PM_PRESENT)) return "none";
  if (f != ~0ULL) return (f & KPF_ZERO_PAGE_BIT) ? "zero" : "page";
  return (e & PM_EXCLUSIVE_BIT) ? "page" : "zero";
}
static void probe_pm_json(Str *o, const char *key, const void *addr) {
  uint64_t f = probe_kpf(addr);
  s_printf(o, ",\"%s_pagemap\":\"0x%016" PRIx64 "\",\"%s_kpageflags\":", key, probe_pm(addr), key);
  if (f == ~0ULL) s_puts(o, "null");
  else s_printf(o, "\"0x%" PRIx64 "\"", f);
}
/** one sysfs or procfs value, trimmed; "" when unreadable */
static void probe_read_file(const char *path, char *buf, size_t n) {
  buf[0] = 0;
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return;
  ssize_t r = read(f, buf, n - 1);
  close(f);
  buf[r > 0 ? r : 0] = 0;
  for (ssize_t i = r - 1; i >= 0 && (buf[i] == '\n' || buf[i] == ' '); i--) buf[i] = 0;
}
/** the bracketed choice of a sysfs selector ("always [madvise] never" -> madvise) */
static void probe_selected(const char *path, char *out, size_t n) {
  char buf[256];
  probe_read_file(path, buf, sizeof buf);
  char *a = strchr(buf, '['), *b = a ? strchr(a, ']') : NULL;
  if (!a || !b) { snprintf(out, n, "%s", buf[0] ? buf : "none"); return; }
  snprintf(out, n, "%.*s", (int)(b - a - 1), a + 1);
}

static void probe_behaviour(Str *o) {
  g_probe_pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  g_probe_kpf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
  const size_t M2 = 2UL << 20;
  // 1. a read fault of untouched 4 KiB memory (64 KiB: never a THP): the zero page, or a page of its own
  volatile char *p = (volatile char *)probe_map(64 << 10, PAGE_SZ);
  if (p) {
    madvise((void *)p, 64 << 10, MADV_NOHUGEPAGE);
    (void)p[0];
    s_printf(o, ",\"read_fault_maps\":\"%s\"", probe_kind((const void *)p));
    probe_pm_json(o, "read_fault", (const void *)p);
    munmap((void *)p, 64 << 10);
  }
  // 2. a read fault of a MADV_HUGEPAGE range: the huge zero page, a THP, or 4 KiB
  char *h = probe_map(M2, M2);
  if (h) {
    int ok = madvise(h, M2, MADV_HUGEPAGE) == 0;
    (void)*(volatile char *)h;
    uint64_t e = probe_pm(h), f = probe_kpf(h);
    const char *what = !ok ? "unknown" : !(e & PM_PRESENT) ? "none"
                     : (f != ~0ULL && (f & KPF_ZERO_PAGE_BIT) && (f & KPF_THP_BIT)) || (f == ~0ULL && (e & PM_FILE_BIT)) ? "huge_zero_page"
                     : (f != ~0ULL && (f & KPF_ZERO_PAGE_BIT)) ? "zero"
                     : (f != ~0ULL && (f & KPF_THP_BIT)) ? "thp" : "page";
    s_printf(o, ",\"thp_read_fault_maps\":\"%s\"", what);
    probe_pm_json(o, "thp_read_fault", h);
    munmap(h, M2);
  }
  // 3. write faults with and without MADV_HUGEPAGE: does the kernel give a THP?
  int thp_madvised = -1, thp_plain = -1;
  for (int adv = 0; adv < 2; adv++) {
    char *w = probe_map(M2, M2);
    if (!w) continue;
    madvise(w, M2, adv ? MADV_HUGEPAGE : MADV_NORMAL);
    w[0] = 1;
    uint64_t f = probe_kpf(w);
    int thp = f == ~0ULL ? -1 : (f & KPF_THP_BIT) != 0;
    if (adv) thp_madvised = thp;
    else thp_plain = thp;
    munmap(w, M2);
  }
  s_printf(o, ",\"thp_write_fault\":{\"madvised\":%s,\"plain\":%s}",
           thp_madvised < 0 ? "null" : thp_madvised ? "true" : "false", thp_plain < 0 ? "null" : thp_plain ? "true" : "false");
  // 4. UFFDIO_ZEROPAGE: the zero page, or a fresh zeroed page (mm_forbids_zeropage, 90a7592da149)
  int ufd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
  const char *uz = "unknown";
  if (ufd >= 0) {
    struct uffdio_api api = {.api = UFFD_API, .features = 0};
    char *z = probe_map(64 << 10, PAGE_SZ);
    if (z && ioctl(ufd, UFFDIO_API, &api) == 0) {
      struct uffdio_register r = {.range = {(uint64_t)(uintptr_t)z, 64 << 10}, .mode = UFFDIO_REGISTER_MODE_MISSING};
      struct uffdio_zeropage zp = {.range = {(uint64_t)(uintptr_t)z, PAGE_SZ}, .mode = 0};
      if (ioctl(ufd, UFFDIO_REGISTER, &r) == 0 && ioctl(ufd, UFFDIO_ZEROPAGE, &zp) == 0) uz = probe_kind(z);
    }
    if (z) munmap(z, 64 << 10);
    close(ufd);
  }
  s_printf(o, ",\"uffd_zeropage_maps\":\"%s\"", uz);
  // 5. guard regions (MADV_GUARD_INSTALL, v6.13) and their pagemap bit 58
  char *g = probe_map(PAGE_SZ * 2, PAGE_SZ);
  int guard = -1;
  if (g) {
    if (madvise(g, PAGE_SZ, MADV_GUARD_INSTALL) == 0) guard = (probe_pm(g) & PM_GUARD_BIT) != 0;
    else guard = 0;
    munmap(g, PAGE_SZ * 2);
  }
  s_printf(o, ",\"guard_regions\":%s", guard < 0 ? "null" : guard ? "true" : "false");
  // 6. what sysfs says of THP
  char buf[256];
  probe_selected("/sys/kernel/mm/transparent_hugepage/defrag", buf, sizeof buf);
  s_printf(o, ",\"thp_defrag\":");
  s_json_str(o, buf);
  probe_selected("/sys/kernel/mm/transparent_hugepage/shmem_enabled", buf, sizeof buf);
  s_printf(o, ",\"shmem_enabled\":");
  s_json_str(o, buf);
  probe_read_file("/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none", buf, sizeof buf);
  s_printf(o, ",\"max_ptes_none\":%ld", buf[0] ? atol(buf) : -1L);
  probe_read_file("/sys/kernel/mm/transparent_hugepage/khugepaged/defrag", buf, sizeof buf);
  s_printf(o, ",\"khugepaged_defrag\":%ld", buf[0] ? atol(buf) : -1L);
  // 7. the migrate operation: does mbind(MPOL_LOCAL, MPOL_MF_MOVE) move a written page to another PFN, with
  // its data? ("moved", "stayed", or "errno N": no CONFIG_NUMA, a seccomp filter...)
  char *mg = probe_map(PAGE_SZ, PAGE_SZ);
  if (mg) {
    memset(mg, 0x5a, PAGE_SZ);
    uint64_t p0 = probe_pm(mg) & PM_PFN_MASK;
    long r = syscall(SYS_mbind, (unsigned long)(uintptr_t)mg, (unsigned long)PAGE_SZ, MMSIM_MPOL_LOCAL, NULL, 0UL, MMSIM_MPOL_MF_MOVE);
    int e = r ? errno : 0;
    uint64_t p1 = probe_pm(mg) & PM_PFN_MASK;
    if (e) s_printf(o, ",\"mbind_migrate\":\"errno %d\"", e);
    else s_printf(o, ",\"mbind_migrate\":\"%s\"", !p0 ? "unknown" : p1 != p0 && mg[PAGE_SZ - 1] == 0x5a ? "moved" : "stayed");
    munmap(mg, PAGE_SZ);
  }
  if (g_probe_pm >= 0) close(g_probe_pm);
  if (g_probe_kpf >= 0) close(g_probe_kpf);
}

static void probe(void) {
  Str o = {0};
  struct utsname u;
  uname(&u);
  s_puts(&o, "{\"release\":");
  s_json_str(&o, u.release);
  s_printf(&o, ",\"root\":%s", geteuid() == 0 ? "true" : "false");
  char buf[256] = "";
  int f = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);
  if (f >= 0) {
    ssize_t n = read(f, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    close(f);
  }
  const char *thp = strstr(buf, "[always]") ? "always" : strstr(buf, "[madvise]") ? "madvise" : strstr(buf, "[never]") ? "never" : "none";
  s_printf(&o, ",\"thp\":\"%s\"", thp);
  buf[0] = 0;
  f = open("/sys/kernel/mm/transparent_hugepage/use_zero_page", O_RDONLY);
  if (f >= 0) {
    ssize_t n = read(f, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    close(f);
  }
  s_printf(&o, ",\"use_zero_page\":%s", buf[0] == '1' ? "true" : "false");
  buf[0] = 0;
  f = open("/proc/sys/vm/nr_hugepages", O_RDONLY);
  if (f >= 0) {
    ssize_t n = read(f, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    close(f);
  }
  s_printf(&o, ",\"nr_hugepages\":%ld", buf[0] ? atol(buf) : -1L);
  buf[0] = 0;
  f = open("/proc/sys/vm/unprivileged_userfaultfd", O_RDONLY);
  if (f >= 0) {
    ssize_t n = read(f, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    close(f);
  }
  s_printf(&o, ",\"unprivileged_userfaultfd\":%s", buf[0] == '1' ? "true" : "false");
  // userfaultfd through the syscall, the device, and user-mode-only
  int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
  s_printf(&o, ",\"uffd_syscall\":%s", fd >= 0 ? "true" : "false");
  uint64_t features = 0, ioctls = 0;
  if (fd >= 0) {
    struct uffdio_api api = {.api = UFFD_API, .features = 0};
    if (ioctl(fd, UFFDIO_API, &api) == 0) {
      features = api.features;
      ioctls = api.ioctls;
    }
    close(fd);
  }
  int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
  int dfd = dev >= 0 ? ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC) : -1;
  s_printf(&o, ",\"uffd_dev\":%s", dfd >= 0 ? "true" : "false");
  if (dfd >= 0) {
    if (!features) {
      struct uffdio_api api = {.api = UFFD_API, .features = 0};
      if (ioctl(dfd, UFFDIO_API, &api) == 0) features = api.features, ioctls = api.ioctls;
    }
    close(dfd);
  }
  if (dev >= 0) close(dev);
  fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
  s_printf(&o, ",\"uffd_user_mode_only\":%s", fd >= 0 ? "true" : "false");
  if (fd >= 0) close(fd);
  s_printf(&o, ",\"uffd_features\":\"0x%" PRIx64 "\",\"uffd_api_ioctls\":\"0x%" PRIx64 "\"", features, ioctls);
  // PAGEMAP_SCAN: a scan of one page of our own stack
  char probe_page[PAGE_SZ * 2];
  probe_page[0] = 1;
  struct mmsim_page_region reg[4];
  uint64_t s0 = ((uint64_t)(uintptr_t)probe_page + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
  struct mmsim_pm_scan_arg arg = {.size = sizeof arg, .start = s0, .end = s0 + PAGE_SZ, .vec = (uint64_t)(uintptr_t)reg,
                                  .vec_len = 4, .category_mask = 0, .return_mask = 0xff};
  int pmf = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  long pr = pmf >= 0 ? ioctl(pmf, MMSIM_PAGEMAP_SCAN, &arg) : -1;
  s_printf(&o, ",\"pagemap_scan\":%s", pr >= 0 ? "true" : "false");
  // PFNs and /proc/kpageflags
  uint64_t pm = 0;
  if (pmf >= 0 && pread(pmf, &pm, 8, (off_t)(s0 / PAGE_SZ * 8)) != 8) pm = 0;
  int kf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
  s_printf(&o, ",\"pfn\":%s,\"kpageflags\":%s", (pm & PM_PFN_MASK) ? "true" : "false", kf >= 0 ? "true" : "false");
  if (kf >= 0) close(kf);
  // soft-dirty: clear_refs 4, write, and see whether pagemap bit 55 comes back
  char *sd = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int softdirty = 0;
  if (sd != MAP_FAILED) {
    sd[0] = 1;
    int cr = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (cr >= 0) {
      if (write(cr, "4", 1) == 1) {
        sd[0] = 2;
        uint64_t e = 0;
        if (pmf >= 0 && pread(pmf, &e, 8, (off_t)((uintptr_t)sd / PAGE_SZ * 8)) == 8) softdirty = (e >> 55) & 1;
      }
      close(cr);
    }
    munmap(sd, PAGE_SZ);
  }
  if (pmf >= 0) close(pmf);
  s_printf(&o, ",\"soft_dirty\":%s", softdirty ? "true" : "false");
  s_printf(&o, ",\"split_huge_pages\":%s", access("/sys/kernel/debug/split_huge_pages", W_OK) == 0 ? "true" : "false");
  {
    // io_uring fixed buffers (the host's long-term pins): a ring, and a buffer registered and unregistered;
    // otherwise the errno (io_uring_disabled, RLIMIT_MEMLOCK, no CONFIG_IO_URING)
    int e = 0;
    char *buf = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = ring_new();
    if (fd < 0) e = -fd;
    else {
      struct iovec iov = {buf, PAGE_SZ};
      if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, &iov, 1) < 0) e = errno;
      else syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
      ring_free(ring_of(fd));
    }
    munmap(buf, PAGE_SZ);
    if (e) s_printf(&o, ",\"io_uring_buffers\":false,\"io_uring_errno\":%d", e);
    else s_puts(&o, ",\"io_uring_buffers\":true");
  }
  probe_behaviour(&o);
  s_puts(&o, "}\n");
  if (write(1, o.p, o.n) < 0) _exit(1);
}

// ---- --bench: the native side of bench/host.ts ----------------------------------------------------------
// Each workload prints {"ns": time of the measured part}. Memory is populated (and so warmed) before
// the clock starts, as in the model's runs.
static char *bench_mem;
static int bench_uffd;
static _Atomic int bench_stop;

static void *bench_handler(void *arg) {
  (void)arg;
  struct pollfd pfd = {bench_uffd, POLLIN, 0};
  while (!atomic_load(&bench_stop)) {
    if (poll(&pfd, 1, 100) <= 0) continue;
    struct uffd_msg m;
    if (read(bench_uffd, &m, sizeof m) != sizeof m) continue;
    struct uffdio_writeprotect w = {.range = {m.arg.pagefault.address & ~(PAGE_SZ - 1), PAGE_SZ}, .mode = 0};
    ioctl(bench_uffd, UFFDIO_WRITEPROTECT, &w);
  }
  return NULL;
}

static char *bench_map(size_t len, int huge) {
  char *r = mmap(NULL, len + (2UL << 20), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) die("bench: mmap failed");
  char *p = (char *)(((uintptr_t)r + (2UL << 20) - 1) & ~((2UL << 20) - 1));
  madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  return p;
}

static int bench_wp_setup(char *p, size_t len) {
  int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) die("bench: userfaultfd: %s", strerror(errno));
  struct uffdio_api api = {.api = UFFD_API, .features = 0};
  if (ioctl(fd, UFFDIO_API, &api)) die("bench: UFFDIO_API: %s", strerror(errno));
  struct uffdio_register r = {.range = {(uint64_t)(uintptr_t)p, len}, .mode = UFFDIO_REGISTER_MODE_WP};
  if (ioctl(fd, UFFDIO_REGISTER, &r)) die("bench: UFFDIO_REGISTER: %s", strerror(errno));
  return fd;
}

static void bench(const char *w, size_t pages) {
  uint64_t ns = 0, t0;
  size_t len = pages * PAGE_SZ;
  if (!strcmp(w, "W1")) {
    // uffd-wp synchronous round trip: every write faults, a handler thread un-protects that page
    bench_mem = bench_map(len, 0);
    memset(bench_mem, 1, len);
    bench_uffd = bench_wp_setup(bench_mem, len);
    struct uffdio_writeprotect wp = {.range = {(uint64_t)(uintptr_t)bench_mem, len}, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
    ioctl(bench_uffd, UFFDIO_WRITEPROTECT, &wp);
    pthread_t h;
    pthread_create(&h, NULL, bench_handler, NULL);
    t0 = now_ns();
    for (size_t i = 0; i < pages; i++) ((volatile char *)bench_mem)[i * PAGE_SZ] = 2;
    ns = now_ns() - t0;
    atomic_store(&bench_stop, 1);
    pthread_join(h, NULL);
  } else if (!strcmp(w, "W2") || !strcmp(w, "W3")) {
    // UFFDIO_WRITEPROTECT of a populated range (W2: 4 KiB pages, W3: THPs)
    char *p = bench_map(len, w[1] == '3');
    memset(p, 1, len);
    int fd = bench_wp_setup(p, len);
    struct uffdio_writeprotect wp = {.range = {(uint64_t)(uintptr_t)p, len}, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
    t0 = now_ns();
    if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp)) die("bench: UFFDIO_WRITEPROTECT: %s", strerror(errno));
    ns = now_ns() - t0;
  } else if (!strcmp(w, "W4")) {
    // mprotect RO then RW of populated 4 KiB pages
    char *p = bench_map(len, 0);
    memset(p, 1, len);
    t0 = now_ns();
    mprotect(p, len, PROT_READ);
    mprotect(p, len, PROT_READ | PROT_WRITE);
    ns = now_ns() - t0;
  } else if (!strcmp(w, "W5")) {
    // first touch with 4 KiB pages; the range was populated and freed just before (warm memory)
    char *p = bench_map(len, 0);
    memset(p, 1, len);
    madvise(p, len, MADV_DONTNEED);
    t0 = now_ns();
    for (size_t i = 0; i < pages; i++) ((volatile char *)p)[i * PAGE_SZ] = 1;
    ns = now_ns() - t0;
  } else die("unknown workload '%s'", w);
  char out[128];
  int n = snprintf(out, sizeof out, "{\"ok\":true,\"workload\":\"%s\",\"pages\":%zu,\"ns\":%" PRIu64 "}\n", w, pages, ns);
  if (write(1, out, (size_t)n) < 0) _exit(1);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strncmp(argv[1], "--reserve=", 10)) {
    // first of all, before anything of the executor's own is mapped (see reserve_ranges)
    if (reserve_ranges(argv[1] + 10) < 0) {
      const char *n = getenv("MMSIM_EXEC_RELAYOUT");
      int tries = n ? atoi(n) : 0;
      if (tries < 4) {
        char b[16];
        snprintf(b, sizeof b, "%d", tries + 1);
        setenv("MMSIM_EXEC_RELAYOUT", b, 1);
        execv("/proc/self/exe", argv);
      }
      // the layout is not random here, or unlucky: go on with what could be reserved
    }
    argv++;
    argc--;
  }
  if (argc > 2 && !strcmp(argv[1], "--swapoff")) {
    // mmsim's cleanup of a swap file (src/host/swap.ts): 0 when it is off now (also: it was not on)
    if (swapoff(argv[2]) == 0 || errno == EINVAL) return 0;
    fprintf(stderr, "swapoff %s: %s\n", argv[2], strerror(errno));
    return 1;
  }
  if (argc > 3 && !strcmp(argv[1], "--swapoff-after")) {
    // the end of a run that left a thread asleep in the kernel (run_scenario): once that executor (our parent,
    // argv[2]) is gone, swap its files off, holding the machine lock it handed down until then
    pid_t parent = (pid_t)atoi(argv[2]);
    while (getppid() == parent) usleep(1000);
    for (int i = 3; i < argc; i++) swapoff(argv[i]);
    return 0;
  }
  if (argc > 1 && !strcmp(argv[1], "--probe")) {
    probe();
    return 0;
  }
  if (argc > 2 && !strcmp(argv[1], "--bench")) {
    bench(argv[2], argc > 3 ? (size_t)strtoull(argv[3], NULL, 10) : 262144);
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "usage: mmsim-exec [--reserve=S-E,...] [--probe | --bench W1..W5 [pages] | --swapoff FILE] < plan.json\n");
    return 2;
  }
  return run_scenario();
}
