/* models.h -- the project's models plugin (plugin-api/include/runner/model.h)
 * turned into a struct schema for autogenerate.
 *
 * models.c dlopens the plugin, checks its magic and ABI version, validates
 * the declarations (duplicates, types, foreign-key targets) and copies them
 * into the normalised struct schema (schema.h) that introspect.c also
 * produces.  It applies SQLAlchemy's defaults on PostgreSQL (index names
 * ix_<table>_<column>, PostgreSQL's own constraint names, SERIAL for a lone
 * integer primary key).  It knows nothing of the database or of diffing. */
#ifndef RUNNER_MODELS_H
#define RUNNER_MODELS_H

#include "err.h"
#include "schema.h"

struct runner_models;

/* Load the models plugin at path into *out (which must be SCHEMA_INIT).
 * Everything is copied and the plugin is closed before returning.  On
 * failure returns -1 with a one-line error naming the file, model and field,
 * and *out is left empty.  The caller releases *out with schema_release(). */
int models_load(const char *path, struct schema *out, struct err *e);
/* models_load(), which is this with allow_unsafe 0: the plugin is opened
 * once and loaded only when it and every directory above it pass trust.h's
 * rule ("unsafe models plugin file '<path>' ..."); allow_unsafe
 * (--allow-unsafe-plugins) turns the refusal into a warning. */
int models_load_trusted(const char *path, int allow_unsafe, struct schema *out, struct err *e);

/* The conversion alone, for a registry already in memory (tests). */
int models_convert(const struct runner_models *reg, struct schema *out, struct err *e);

#endif
