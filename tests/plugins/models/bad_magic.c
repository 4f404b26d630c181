/* Something else exported under the registry's name. */
#include <runner/model.h>

RUNNER__EXPORT const struct runner_models runner_models = { .magic = 0x12345678u };
