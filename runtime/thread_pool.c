/* The thread pool that parallel loops of generated kernels run on. One pool per process,
 * started on first use with TESSEL_NUM_THREADS threads (or one per available core); the
 * calling thread takes part. A parallel loop inside a parallel loop runs serially. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/internal.h"

typedef void (*parallel_body)(void *closure, int64_t begin, int64_t end);

static struct {
  pthread_once_t once;
  pthread_mutex_t lock, submit;
  pthread_cond_t work, done;
  int threads; /* participants, the caller included */
  pthread_t *workers;
  uint64_t generation;
  parallel_body body;
  void *closure;
  int64_t begin, end;
  int remaining;
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

static void *worker(void *argument) {
  int index = (int)(intptr_t)argument;
  uint64_t seen = 0;
  for (;;) {
    pthread_mutex_lock(&pool.lock);
    while (pool.generation == seen) pthread_cond_wait(&pool.work, &pool.lock);
    seen = pool.generation;
    pthread_mutex_unlock(&pool.lock);
    run_part(index);
    pthread_mutex_lock(&pool.lock);
    if (--pool.remaining == 0) pthread_cond_signal(&pool.done);
    pthread_mutex_unlock(&pool.lock);
  }
  return NULL;
}

static void start_pool(void) {
  pool.threads = requested_threads > 0 ? requested_threads : tsl_runtime_default_threads();
  pool.workers = calloc((size_t)pool.threads, sizeof(pthread_t));
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
  pool.remaining = pool.threads - 1;
  pool.generation++;
  pthread_cond_broadcast(&pool.work);
  pthread_mutex_unlock(&pool.lock);
  run_part(0);
  pthread_mutex_lock(&pool.lock);
  while (pool.remaining > 0) pthread_cond_wait(&pool.done, &pool.lock);
  pthread_mutex_unlock(&pool.lock);
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
