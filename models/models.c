/* models.c -- the registry of the project's models (the guide's
 * models/__init__.py step): declare each model defined in its own file and
 * list it once in RUNNER_MODELS. */
#include <runner/model.h>

RUNNER_MODEL_DECLARE(user);     /* user.c */

RUNNER_MODELS(RUNNER_MODEL_REF(user));
