// glibc malloc tuning (mallopt) for the kura executable.
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif
