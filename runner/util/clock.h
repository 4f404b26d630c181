/* clock.h -- wall-clock time for what is recorded (history rows, run
 * markers).  Durations and timeouts use libuv's monotonic clock instead. */
#ifndef RUNNER_CLOCK_H
#define RUNNER_CLOCK_H

/* Seconds since the epoch, with sub-second precision (CLOCK_REALTIME). */
double clock_epoch_s(void);

#endif
