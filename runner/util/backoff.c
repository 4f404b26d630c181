/* backoff.c -- jittered exponential backoff; see backoff.h. */
#include "backoff.h"

#include <time.h>
#include <unistd.h>

double backoff_uniform(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

void backoff_init(struct backoff *b, double first_ms, double max_ms, double jitter,
                  int hard_cap, uint64_t seed)
{
    b->first_ms = first_ms;
    b->max_ms = max_ms;
    b->jitter = jitter;
    b->hard_cap = hard_cap;
    if (!seed) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
               ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)b;
    }
    b->state = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

uint64_t backoff_delay_ms(const struct backoff *b, unsigned attempt, double u)
{
    double ms = b->first_ms;

    for (unsigned i = 1; i < attempt && ms < b->max_ms; i++)
        ms *= 2;
    if (ms > b->max_ms)
        ms = b->max_ms;
    ms *= 1.0 + b->jitter * (2.0 * u - 1.0);
    if (b->hard_cap && ms > b->max_ms)
        ms = b->max_ms;
    ms += 0.5;
    return ms < 1 ? 1 : (uint64_t)ms;
}

uint64_t backoff_next_ms(struct backoff *b, unsigned attempt)
{
    return backoff_delay_ms(b, attempt, backoff_uniform(&b->state));
}
