/* The thread pool that parallel loops of generated kernels run on. One pool per process,
 * started on first use with TESSEL_NUM_THREADS threads (or one per available core); the
 * calling thread takes part. A parallel loop inside a parallel loop runs serially.
 *
 * A model runs one parallel loop after another, tens of microseconds apart, and waking a
 * sleeping thread costs about as much (a futex call on each side). So a worker that finishes
 * its part spins for a while on the loop counter before it sleeps on the condition variable,
 * and the caller spins on the count of parts still running before it does: between the
 * kernels of one run nobody sleeps. When the pool has more threads than the process has
 * cores, spinning would take the core from the thread it waits for, so nobody spins.
 * TESSEL_SPIN_MICROSECONDS sets how long a thread spins (default 500; 0 never spins). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "runtime/internal.h"

typedef void (*parallel_body)(void *closure, int64_t begin, int64_t end);

static struct {
  pthread_once_t once;
  pthread_mutex_t lock, submit;
  pthread_cond_t work, done;
  int threads; /* participants, the caller included */
  pthread_t *workers;
  int64_t spin_ns;             /* how long a thread spins before it sleeps; 0: never */
  _Atomic uint64_t generation; /* changed under lock, read by spinning workers without */
  parallel_body body;
  void *closure;
  int64_t begin, end;
  _Atomic int remaining; /* parts still running; the last to finish signals `done` */
} pool = {
    .once = PTHREAD_ONCE_INIT,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .submit = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

static __thread bool inside_parallel;
static int requested_threads;

static int available_cores(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 0 ? (int)cores : 1;
}

int tsl_runtime_default_threads(void) {
  const char *text = getenv("TESSEL_NUM_THREADS");
  if (text && *text) {
    char *end;
    long count = strtol(text, &end, 10);
    if (*end == '\0' && count > 0 && count <= 1024) return (int)count;
  }
  return available_cores();
}

/* Participant `index` runs its share of [begin, end). */
static void run_part(int index) {
  int64_t total = pool.end - pool.begin;
  int64_t first = pool.begin + total * index / pool.threads;
  int64_t last = pool.begin + total * (index + 1) / pool.threads;
  if (first < last) {
    inside_parallel = true;
    pool.body(pool.closure, first, last);
    inside_parallel = false;
  }
}

static int64_t now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Spins until done(argument) holds or the spin time runs out; says whether it held. */
static bool spin_until(bool (*done)(const void *), const void *argument) {
  if (pool.spin_ns == 0) return done(argument);
  int64_t deadline = 0;
  for (unsigned round = 0;; round++) {
    if (done(argument)) return true;
    cpu_relax();
    if (round % 256 == 255) {
      /* Lets a thread that shares this core (the one we wait for, on a busy machine) run. */
      sched_yield();
      int64_t now = now_ns();
      if (deadline == 0)
        deadline = now + pool.spin_ns;
      else if (now > deadline)
        return false;
    }
  }
}

static bool generation_changed(const void *seen) {
  return atomic_load_explicit(&pool.generation, memory_order_acquire) != *(const uint64_t *)seen;
}

static bool parts_finished(const void *unused) {
  (void)unused;
  return atomic_load_explicit(&pool.remaining, memory_order_acquire) == 0;
}

static void *worker(void *argument) {
  int index = (int)(intptr_t)argument;
  uint64_t seen = 0;
  for (;;) {
    if (!spin_until(generation_changed, &seen)) {
      pthread_mutex_lock(&pool.lock);
      while (atomic_load(&pool.generation) == seen) pthread_cond_wait(&pool.work, &pool.lock);
      pthread_mutex_unlock(&pool.lock);
    }
    seen = atomic_load(&pool.generation);
    run_part(index);
    if (atomic_fetch_sub_explicit(&pool.remaining, 1, memory_order_acq_rel) == 1) {
      /* Under the lock, so that a caller between its check and its wait cannot miss it. */
      pthread_mutex_lock(&pool.lock);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.lock);
    }
  }
  return NULL;
}

/* TESSEL_SPIN_MICROSECONDS, or the default; none when the threads outnumber the cores. */
static int64_t spin_time_ns(int threads) {
  if (threads > available_cores()) return 0;
  const char *text = getenv("TESSEL_SPIN_MICROSECONDS");
  if (text && *text) {
    char *end;
    long microseconds = strtol(text, &end, 10);
    if (*end == '\0' && microseconds >= 0 && microseconds <= 10000000)
      return (int64_t)microseconds * 1000;
  }
  return 500 * 1000;
}

static void start_pool(void) {
  pool.threads = requested_threads > 0 ? requested_threads : tsl_runtime_default_threads();
  pool.workers = calloc((size_t)pool.threads, sizeof(pthread_t));
  pool.spin_ns = spin_time_ns(pool.threads);
  for (int i = 1; i < pool.threads; i++) {
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    if (pthread_create(&pool.workers[i], &attributes, worker, (void *)(intptr_t)i) != 0) {
      /* Fewer threads than asked: the work is still split over those that started. */
      pool.threads = i;
      pthread_attr_destroy(&attributes);
      break;
    }
    pthread_detach(pool.workers[i]);
    pthread_attr_destroy(&attributes);
  }
}

bool tsl_runtime_set_threads(int threads) {
  if (threads < 1) return false;
  /* Only before the pool starts: its threads cannot be changed while kernels may run. */
  pthread_mutex_lock(&pool.lock);
  bool started = pool.threads != 0;
  if (!started) requested_threads = threads;
  pthread_mutex_unlock(&pool.lock);
  return !started || threads == pool.threads;
}

int tsl_runtime_threads(void) {
  pthread_once(&pool.once, start_pool);
  return pool.threads;
}

void tsl_kernel_parallel_for(parallel_body body, void *closure, int64_t begin, int64_t end) {
  if (end <= begin) return;
  pthread_once(&pool.once, start_pool);
  if (inside_parallel || pool.threads == 1 || end - begin == 1) {
    body(closure, begin, end);
    return;
  }
  pthread_mutex_lock(&pool.submit);
  pthread_mutex_lock(&pool.lock);
  pool.body = body;
  pool.closure = closure;
  pool.begin = begin;
  pool.end = end;
  atomic_store(&pool.remaining, pool.threads - 1);
  atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
  pthread_cond_broadcast(&pool.work);
  pthread_mutex_unlock(&pool.lock);
  run_part(0);
  if (!spin_until(parts_finished, NULL)) {
    pthread_mutex_lock(&pool.lock);
    while (atomic_load(&pool.remaining) > 0) pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
  }
  pthread_mutex_unlock(&pool.submit);
}

void *tsl_kernel_alloc(int64_t bytes) {
  void *memory = NULL;
  if (posix_memalign(&memory, 64, (size_t)bytes) != 0) {
    fprintf(stderr, "tessel: out of memory: a kernel needs %lld bytes of scratch\n",
            (long long)bytes);
    abort();
  }
  return memory;
}

void tsl_kernel_free(void *memory) { free(memory); }
