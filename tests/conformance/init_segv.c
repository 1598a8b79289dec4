// init_segv: a fatal synchronous signal raised by init itself (a real fault, not kill()) kills
// init even though it has no handler, and the box's status reports the signal (128+11).
// docs/pid-semantics.md D.32 (force_sig clears SIGNAL_UNKILLABLE), D.25.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <sys/resource.h>

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  printf("faulting=1\n");
  fflush(stdout);
  volatile int* volatile nowhere = NULL;
  *nowhere = 1;
  printf("survived_fault=1\n");
  return 0;
}
