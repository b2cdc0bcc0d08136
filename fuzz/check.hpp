#pragma once
// What every fuzz target shares: a property check that stops the run with the reason (libFuzzer then
// saves the input as crash-*), and the one exception type a parser may throw for bad input.
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, ...)                                                    \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "property violated: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::fprintf(stderr, __VA_ARGS__);                                         \
      std::fputc('\n', stderr);                                                  \
      std::abort();                                                              \
    }                                                                            \
  } while (0)
