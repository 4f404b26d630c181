/* snapshot.c -- the schema as sorted facts (see snapshot.h). */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "introspect.h"
#include "pg.h"
#include "pg_prepared.h"
#include "schema.h"
#include "sql_quote.h"

/* Owner keys: the catalog (one of these codes) in the high 32 bits, the
 * oid in the low ones; the same on both sides of the wire. */
enum {
    K_REL = 1,      /* pg_class: tables, views, sequences, composite types; indexes */
    K_TYPE,         /* pg_type: enum, domain and range types */
    K_PROC,         /* pg_proc */
    K_NSP,          /* pg_namespace */
    K_EXT,          /* pg_extension */
    K_CON,          /* pg_constraint */
    K_TRIG,         /* pg_trigger */
    K_DEF,          /* pg_attrdef: a column default */
};

#define KEY(code, oid) (((uint64_t)(code) << 32) | (uint64_t)(oid))
#define SQL_KEY(code, oid) " ((" #code "::int8 << 32) + (" oid ")::int8) "

/* The comment on an object: pg_description itself, because
 * obj_description() is an SQL function that is planned again on every
 * execution of the statement calling it (a few ms each). */
#define DESCRIPTION(oid, catalog)                                                 \
    "(SELECT pd.description FROM pg_catalog.pg_description pd WHERE pd.objoid = " \
    oid " AND pd.classoid = 'pg_catalog." catalog "'::regclass AND pd.objsubid = 0)"

/* An object that belongs to an extension (the extension stands for it). */
#define EXT_MEMBER(catalog, oid)                                                   \
    " EXISTS (SELECT 1 FROM pg_catalog.pg_depend xd WHERE xd.classid = 'pg_catalog." \
    catalog "'::regclass AND xd.objid = " oid " AND xd.deptype = 'e') "

/* Everything introspect.c does not read, as (object, attr, value, owner,
 * self) rows with the object already named the way fact names are (bare
 * when the name needs no quotes, qualified outside public).  :excluded
 * is the text[] of excluded table names, inlined (it never changes).
 * Two variants: ALL_OWNERS, and ONLY_OWNERS, whose $1 is the oid[] of
 * the owners to read (the caller drops rows of other catalogs whose oid
 * happens to be in the list). */
#define ALL_OWNERS(oid) ""
#define ONLY_OWNERS(oid) " AND " oid " = ANY($1::oid[]) "
#define EXTRAS_SQL(only)                                                                    \
    "WITH ns AS (SELECT n.oid, n.nspname,"                                                  \
    "  CASE WHEN n.nspname = 'public' THEN '' ELSE pg_catalog.quote_ident(n.nspname) || '.' END" \
    "  AS q FROM pg_catalog.pg_namespace n"                                                 \
    "  WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'),"                   \
    " rel AS (SELECT c.oid, c.relname, c.relkind, ns.q,"                                    \
    "  ns.q || pg_catalog.quote_ident(c.relname) AS qn"                                     \
    "  FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace"                       \
    "  WHERE NOT" EXT_MEMBER("pg_class", "c.oid")                                           \
    "  AND NOT (c.relname = ANY(:excluded::text[]) AND c.relkind IN ('r', 'p'))"            \
    only("c.oid") "),"                                                                      \
    " f(object, attr, value, owner, self) AS ("                                             \
    /* schemas */                                                                           \
    " SELECT 'schema ' || pg_catalog.quote_ident(ns.nspname), a.attr, a.value,"             \
    SQL_KEY(4, "ns.oid") "," SQL_KEY(4, "ns.oid") " FROM ns"                                \
    "  CROSS JOIN LATERAL (VALUES ('', CASE WHEN ns.nspname <> 'public' THEN '' END),"      \
    "   ('comment', " DESCRIPTION("ns.oid", "pg_namespace") ")) a(attr, value)"              \
    "  WHERE NOT" EXT_MEMBER("pg_namespace", "ns.oid") only("ns.oid")                       \
    /* extensions */                                                                        \
    " UNION ALL SELECT 'extension ' || pg_catalog.quote_ident(x.extname), a.attr, a.value," \
    SQL_KEY(5, "x.oid") "," SQL_KEY(5, "x.oid")                                             \
    "  FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace" \
    "  CROSS JOIN LATERAL (VALUES ('', ''), ('version', x.extversion), ('schema', n.nspname))" \
    "  a(attr, value) WHERE true" only("x.oid")                                             \
    /* sequences, except those an excluded table owns */                                    \
    " UNION ALL SELECT 'sequence ' || rel.qn, a.attr, a.value,"                             \
    SQL_KEY(1, "rel.oid") "," SQL_KEY(1, "rel.oid") " FROM rel"                             \
    "  JOIN pg_catalog.pg_sequence s ON s.seqrelid = rel.oid"                               \
    "  CROSS JOIN LATERAL (VALUES ('', ''), ('definition',"                                 \
    "   pg_catalog.format_type(s.seqtypid, NULL) || ' increment ' || s.seqincrement"        \
    "   || ' minvalue ' || s.seqmin || ' maxvalue ' || s.seqmax || ' start ' || s.seqstart" \
    "   || ' cache ' || s.seqcache || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END),"     \
    "   ('comment', " DESCRIPTION("rel.oid", "pg_class") ")) a(attr, value)"                 \
    "  WHERE rel.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"        \
    "   JOIN pg_catalog.pg_class t ON t.oid = d.refobjid"                                   \
    "   WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = rel.oid"            \
    "   AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')"     \
    "   AND t.relname = ANY(:excluded::text[]))"                                            \
    /* views, materialized views, foreign tables, composite types */                        \
    " UNION ALL SELECT CASE rel.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view '" \
    "   WHEN 'f' THEN 'foreign table ' ELSE 'type ' END || rel.qn, a.attr, a.value,"        \
    SQL_KEY(1, "rel.oid") "," SQL_KEY(1, "rel.oid") " FROM rel"                             \
    "  CROSS JOIN LATERAL (VALUES ('', ''),"                                                \
    "   ('definition', CASE WHEN rel.relkind IN ('v', 'm')"                                 \
    "    THEN pg_catalog.pg_get_viewdef(rel.oid, true) ELSE"                                \
    "    (SELECT string_agg(pg_catalog.quote_ident(at.attname) || ' '"                      \
    "     || pg_catalog.format_type(at.atttypid, at.atttypmod), ', ' ORDER BY at.attnum)"   \
    "     FROM pg_catalog.pg_attribute at WHERE at.attrelid = rel.oid AND at.attnum > 0"    \
    "     AND NOT at.attisdropped) END),"                                                   \
    "   ('comment', " DESCRIPTION("rel.oid", "pg_class") ")) a(attr, value)"                 \
    "  WHERE rel.relkind IN ('v', 'm', 'f', 'c')"                                           \
    /* comments on indexes (introspect.c reads their definitions), by                      \
     * their table, and on table constraints */                                             \
    " UNION ALL SELECT 'index ' || rel.q || pg_catalog.quote_ident(i.relname), 'comment',"  \
    "  d.description," SQL_KEY(1, "rel.oid") "," SQL_KEY(1, "i.oid")                        \
    "  FROM rel JOIN pg_catalog.pg_index x ON x.indrelid = rel.oid"                         \
    "  JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid"                                  \
    "  JOIN pg_catalog.pg_description d ON d.objoid = i.oid"                                \
    "   AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0"                \
    "  WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c"                          \
    "   WHERE c.conindid = i.oid AND c.contype IN ('p', 'u', 'x'))"                         \
    " UNION ALL SELECT 'constraint ' || pg_catalog.quote_ident(c.conname) || ' on ' || rel.qn," \
    "  'comment', d.description," SQL_KEY(1, "rel.oid") "," SQL_KEY(6, "c.oid")             \
    "  FROM rel JOIN pg_catalog.pg_constraint c ON c.conrelid = rel.oid"                    \
    "  JOIN pg_catalog.pg_description d ON d.objoid = c.oid"                                \
    "   AND d.classoid = 'pg_catalog.pg_constraint'::regclass"                              \
    /* functions, procedures, aggregates */                                                 \
    " UNION ALL SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' WHEN 'a' THEN 'aggregate '" \
    "   ELSE 'function ' END || p.q || pg_catalog.quote_ident(p.proname) || '('"            \
    "   || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', a.attr, a.value,"   \
    SQL_KEY(3, "p.oid") "," SQL_KEY(3, "p.oid")                                             \
    /* the schemas first (OFFSET 0 keeps it so): pg_proc is big */                          \
    /* FirstNormalObjectId: what initdb made is below, all else above; the                 \
     * range uses the oid index instead of reading all of pg_proc */                        \
    "  FROM (SELECT p.oid, p.proname, p.prokind, ns.q FROM pg_catalog.pg_proc p"            \
    "   JOIN ns ON ns.oid = p.pronamespace WHERE p.oid >= 16384::oid" only("p.oid")         \
    "   OFFSET 0) p"                                                                        \
    "  CROSS JOIN LATERAL (VALUES ('', ''), ('definition', CASE WHEN p.prokind IN ('f', 'p')" \
    "   THEN pg_catalog.pg_get_functiondef(p.oid) ELSE"                                     \
    "   pg_catalog.pg_get_function_result(p.oid) END),"                                     \
    "   ('comment', " DESCRIPTION("p.oid", "pg_proc") ")) a(attr, value)"                    \
    "  WHERE NOT" EXT_MEMBER("pg_proc", "p.oid")                                            \
    /* triggers */                                                                          \
    " UNION ALL SELECT 'trigger ' || pg_catalog.quote_ident(t.tgname) || ' on ' || rel.qn," \
    "  a.attr, a.value," SQL_KEY(1, "rel.oid") "," SQL_KEY(7, "t.oid")                      \
    "  FROM rel JOIN pg_catalog.pg_trigger t ON t.tgrelid = rel.oid"                        \
    "  CROSS JOIN LATERAL (VALUES ('', ''), ('definition', pg_catalog.pg_get_triggerdef(t.oid, true))," \
    "   ('enabled', t.tgenabled::text),"                                                    \
    "   ('comment', " DESCRIPTION("t.oid", "pg_trigger") ")) a(attr, value)"                 \
    "  WHERE NOT t.tgisinternal"                                                            \
    /* domains, range types and comments on enum types (enums are introspect.c's) */        \
    " UNION ALL SELECT CASE t.typtype WHEN 'd' THEN 'domain ' ELSE 'type ' END || t.q"      \
    "   || pg_catalog.quote_ident(t.typname), a.attr, a.value,"                             \
    SQL_KEY(2, "t.oid") "," SQL_KEY(2, "t.oid")                                             \
    "  FROM (SELECT t.oid, t.typname, t.typtype, t.typbasetype, t.typtypmod, t.typnotnull," \
    "   t.typdefault, ns.q FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace"    \
    "   AND t.oid >= 16384::oid"                                                            \
    "   WHERE t.typtype IN ('d', 'r', 'e')" only("t.oid") " OFFSET 0) t"                    \
    "  CROSS JOIN LATERAL (VALUES ('', CASE WHEN t.typtype <> 'e' THEN '' END),"            \
    "   ('definition', CASE WHEN t.typtype = 'd' THEN"                                      \
    "    pg_catalog.format_type(t.typbasetype, t.typtypmod)"                                \
    "    || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END"                            \
    "    || COALESCE(' DEFAULT ' || t.typdefault, '')"                                      \
    "    || COALESCE((SELECT ' ' || string_agg(pg_catalog.pg_get_constraintdef(c.oid, true), ' '" \
    "     ORDER BY c.conname) FROM pg_catalog.pg_constraint c WHERE c.contypid = t.oid), '')" \
    "    WHEN t.typtype = 'r' THEN (SELECT pg_catalog.format_type(r.rngsubtype, NULL)"      \
    "     FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid) END),"                       \
    "   ('comment', " DESCRIPTION("t.oid", "pg_type") ")) a(attr, value)"                    \
    "  WHERE NOT" EXT_MEMBER("pg_type", "t.oid")                                            \
    ")"                                                                                     \
    " SELECT object, attr, value, owner, self FROM f WHERE value IS NOT NULL"

static const char extras_all_sql[] = EXTRAS_SQL(ALL_OWNERS);
static const char extras_only_sql[] = EXTRAS_SQL(ONLY_OWNERS);

/* What names are rendered under: format_type(), pg_get_viewdef() and the
 * like qualify what the search path does not find, quote by
 * quote_all_identifiers, print constants by the date and number
 * settings. */
#define SETTINGS_SQL                                                                        \
    "pg_catalog.concat_ws(' ', pg_catalog.array_to_string(pg_catalog.current_schemas(true), ','),"\
    " current_user, pg_catalog.current_setting('quote_all_identifiers'),"                   \
    " pg_catalog.current_setting('standard_conforming_strings'),"                           \
    " pg_catalog.current_setting('DateStyle'), pg_catalog.current_setting('IntervalStyle'),"\
    " pg_catalog.current_setting('TimeZone'), pg_catalog.current_setting('extra_float_digits')," \
    " pg_catalog.current_setting('bytea_output'))"

/* A name of a relation, type or function that also exists in another
 * schema: a DDL command elsewhere may then change which one the search
 * path finds, and so how names are qualified in objects nobody touched. */
#define SAME_NAME_ELSEWHERE(alias, catalog, name, nsp)                                      \
    "EXISTS (SELECT 1 FROM pg_catalog." catalog " o WHERE o." name " = " alias "." name     \
    " AND o." nsp " <> " alias "." nsp ")"

static const char state_sql[] =
    "SELECT " SETTINGS_SQL ","
    " EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
    "  ON n.oid = c.relnamespace WHERE n.nspname !~ '^pg_'"
    "  AND n.nspname <> 'information_schema' AND " SAME_NAME_ELSEWHERE("c", "pg_class", "relname", "relnamespace") ")"
    " OR EXISTS (SELECT 1 FROM pg_catalog.pg_type c JOIN pg_catalog.pg_namespace n"
    "  ON n.oid = c.typnamespace WHERE n.nspname !~ '^pg_'"
    "  AND n.nspname <> 'information_schema' AND " SAME_NAME_ELSEWHERE("c", "pg_type", "typname", "typnamespace") ")"
    " OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc c JOIN pg_catalog.pg_namespace n"
    "  ON n.oid = c.pronamespace WHERE n.nspname !~ '^pg_'"
    "  AND n.nspname <> 'information_schema' AND " SAME_NAME_ELSEWHERE("c", "pg_proc", "proname", "pronamespace") ")";

/* The change log: a temporary table and function (gone with the session;
 * other sessions find no log and record nothing), and two event triggers
 * named for this backend that fire in every replication role. */
static const char track_sql[] =
    "CREATE TEMPORARY TABLE runner_snapshot_log (classid oid NOT NULL, objid oid NOT NULL,"
    " dropped boolean NOT NULL);"
    "CREATE FUNCTION pg_temp.runner_snapshot_record() RETURNS event_trigger"
    " LANGUAGE plpgsql AS $record$ BEGIN"
    "  IF pg_catalog.to_regclass('pg_temp.runner_snapshot_log') IS NULL THEN RETURN; END IF;"
    "  IF TG_EVENT = 'sql_drop' THEN"
    "   INSERT INTO pg_temp.runner_snapshot_log SELECT d.classid, d.objid, true"
    "    FROM pg_catalog.pg_event_trigger_dropped_objects() d;"
    "  ELSE"
    "   INSERT INTO pg_temp.runner_snapshot_log SELECT d.classid, d.objid, false"
    "    FROM pg_catalog.pg_event_trigger_ddl_commands() d;"
    "  END IF;"
    " END $record$;"
    /* the log consumed through a function: its ROWS estimate keeps the
     * plan of changes_sql cheap (a never analysed table is taken for
     * thousands of rows, and the plan's cost then crosses jit_above_cost:
     * seconds of JIT compilation for a read of microseconds) */
    "CREATE FUNCTION pg_temp.runner_snapshot_consume()"
    " RETURNS TABLE (classid oid, objid oid, dropped boolean) ROWS 10 LANGUAGE sql"
    " AS 'DELETE FROM pg_temp.runner_snapshot_log RETURNING classid, objid, dropped';"
    "DO $track$ DECLARE id text := pg_catalog.pg_backend_pid()::text; BEGIN"
    " EXECUTE pg_catalog.format('CREATE EVENT TRIGGER %I ON ddl_command_end"
    "  EXECUTE FUNCTION pg_temp.runner_snapshot_record()', 'runner_snapshot_end_' || id);"
    " EXECUTE pg_catalog.format('CREATE EVENT TRIGGER %I ON sql_drop"
    "  EXECUTE FUNCTION pg_temp.runner_snapshot_record()', 'runner_snapshot_drop_' || id);"
    " EXECUTE pg_catalog.format('ALTER EVENT TRIGGER %I ENABLE ALWAYS', 'runner_snapshot_end_' || id);"
    " EXECUTE pg_catalog.format('ALTER EVENT TRIGGER %I ENABLE ALWAYS', 'runner_snapshot_drop_' || id);"
    " END $track$";

static const char clear_log_sql[] = "DELETE FROM pg_temp.runner_snapshot_log";

/* The owner of object (c, o) when it has one (an index's table, a rule's
 * view, a constraint's table or domain, a trigger's or default's table,
 * a row type's relation, an array type's element type), and the object
 * itself: rows of (classid, objid). */
#define OWNER_OF(c, o)                                                                      \
    " LATERAL (SELECT x.classid, x.objid FROM (VALUES (" c ", " o ")) x(classid, objid)"    \
    " UNION ALL SELECT 'pg_catalog.pg_class'::regclass::oid, x.indrelid FROM pg_catalog.pg_index x" \
    "  WHERE " c " = 'pg_catalog.pg_class'::regclass AND x.indexrelid = " o                 \
    " UNION ALL SELECT 'pg_catalog.pg_class'::regclass::oid, x.ev_class FROM pg_catalog.pg_rewrite x" \
    "  WHERE " c " = 'pg_catalog.pg_rewrite'::regclass AND x.oid = " o                      \
    " UNION ALL SELECT CASE WHEN x.conrelid <> 0 THEN 'pg_catalog.pg_class'::regclass"      \
    "  ELSE 'pg_catalog.pg_type'::regclass END::oid,"                                            \
    "  CASE WHEN x.conrelid <> 0 THEN x.conrelid ELSE x.contypid END"                       \
    "  FROM pg_catalog.pg_constraint x"                                                     \
    "  WHERE " c " = 'pg_catalog.pg_constraint'::regclass AND x.oid = " o                   \
    " UNION ALL SELECT 'pg_catalog.pg_class'::regclass::oid, x.tgrelid FROM pg_catalog.pg_trigger x" \
    "  WHERE " c " = 'pg_catalog.pg_trigger'::regclass AND x.oid = " o                      \
    " UNION ALL SELECT 'pg_catalog.pg_class'::regclass::oid, x.adrelid FROM pg_catalog.pg_attrdef x" \
    "  WHERE " c " = 'pg_catalog.pg_attrdef'::regclass AND x.oid = " o                      \
    " UNION ALL SELECT CASE WHEN x.typrelid <> 0 THEN 'pg_catalog.pg_class'::regclass"      \
    "  ELSE 'pg_catalog.pg_type'::regclass END::oid,"                                            \
    "  CASE WHEN x.typrelid <> 0 THEN x.typrelid ELSE x.typelem END"                        \
    "  FROM pg_catalog.pg_type x WHERE " c " = 'pg_catalog.pg_type'::regclass AND x.oid = " o \
    "  AND (x.typrelid <> 0 OR (x.typelem <> 0 AND EXISTS (SELECT 1 FROM pg_catalog.pg_type e" \
    "   WHERE e.typarray = x.oid))))"

/* Catalogs whose objects the snapshot reads or that cannot change how
 * anything in it reads (rules, policies, extended statistics, default
 * privileges).  A logged object of any other catalog means a full read. */
#define FOLLOWED_CATALOGS                                                                   \
    "('pg_catalog.pg_class'::regclass, 'pg_catalog.pg_type'::regclass,"                     \
    " 'pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_namespace'::regclass,"                 \
    " 'pg_catalog.pg_constraint'::regclass, 'pg_catalog.pg_trigger'::regclass,"             \
    " 'pg_catalog.pg_attrdef'::regclass, 'pg_catalog.pg_rewrite'::regclass,"                \
    " 'pg_catalog.pg_policy'::regclass, 'pg_catalog.pg_statistic_ext'::regclass,"           \
    " 'pg_catalog.pg_default_acl'::regclass)"

/* The code of a catalog in owner keys, 0 for the others. */
#define KEY_CODE(c)                                                                         \
    " CASE " c " WHEN 'pg_catalog.pg_class'::regclass THEN 1"                               \
    " WHEN 'pg_catalog.pg_type'::regclass THEN 2 WHEN 'pg_catalog.pg_proc'::regclass THEN 3" \
    " WHEN 'pg_catalog.pg_namespace'::regclass THEN 4"                                      \
    " WHEN 'pg_catalog.pg_extension'::regclass THEN 5"                                      \
    " WHEN 'pg_catalog.pg_constraint'::regclass THEN 6"                                     \
    " WHEN 'pg_catalog.pg_trigger'::regclass THEN 7"                                        \
    " WHEN 'pg_catalog.pg_attrdef'::regclass THEN 8 ELSE 0 END "

/* Consume the log and say what to read again, as (what, key) rows:
 *
 *   s  settings   this session's SETTINGS_SQL (key: NULL);
 *   t  tracking   present when the triggers and the log are in place;
 *   f  full       a reason to read everything (key: NULL);
 *   o  owner      an existing owner whose facts may have changed;
 *   d  dropped    a dropped object: the base snapshot knows its owner.
 *
 * The closure follows pg_depend from each logged object to what depends
 * on it, and from each of those to its owner, until nothing new turns
 * up. */
static const char changes_sql[] =
    "WITH RECURSIVE seed AS (SELECT c.classid, c.objid, c.dropped FROM pg_temp.runner_snapshot_consume() c),"
    " clo(classid, objid) AS ("
    "  SELECT w.classid, w.objid FROM seed CROSS JOIN" OWNER_OF("seed.classid", "seed.objid")
    "   w(classid, objid) WHERE NOT seed.dropped"
    "  UNION"
    /* OFFSET 0: one index probe per object found, not a merge with all
     * of pg_depend */
    "  SELECT w.classid, w.objid FROM clo CROSS JOIN LATERAL (SELECT d.classid, d.objid"
    "   FROM pg_catalog.pg_depend d WHERE d.refclassid = clo.classid"
    "   AND d.refobjid = clo.objid OFFSET 0) d"
    "   CROSS JOIN" OWNER_OF("d.classid", "d.objid") " w(classid, objid))"
    " SELECT 's', " SETTINGS_SQL
    " UNION ALL SELECT 't', NULL WHERE pg_catalog.to_regclass('pg_temp.runner_snapshot_log') IS NOT NULL"
    "  AND COALESCE(pg_catalog.current_setting('event_triggers', true), 'on') = 'on'"
    "  AND (SELECT count(*) FROM pg_catalog.pg_event_trigger e"
    "   WHERE e.evtname IN ('runner_snapshot_end_' || pg_catalog.pg_backend_pid(),"
    "    'runner_snapshot_drop_' || pg_catalog.pg_backend_pid())"
    "   AND e.evtenabled = 'A'"
    "   AND e.evtfoid = pg_catalog.to_regprocedure('pg_temp.runner_snapshot_record()')) = 2"
    " UNION ALL SELECT 'f', NULL FROM seed WHERE seed.classid NOT IN " FOLLOWED_CATALOGS
    " UNION ALL SELECT 'f', NULL FROM seed JOIN pg_catalog.pg_class c ON c.oid = seed.objid"
    "  WHERE seed.classid = 'pg_catalog.pg_class'::regclass"
    "  AND " SAME_NAME_ELSEWHERE("c", "pg_class", "relname", "relnamespace")
    " UNION ALL SELECT 'f', NULL FROM seed JOIN pg_catalog.pg_type c ON c.oid = seed.objid"
    "  WHERE seed.classid = 'pg_catalog.pg_type'::regclass"
    "  AND " SAME_NAME_ELSEWHERE("c", "pg_type", "typname", "typnamespace")
    " UNION ALL SELECT 'f', NULL FROM seed JOIN pg_catalog.pg_proc c ON c.oid = seed.objid"
    "  WHERE seed.classid = 'pg_catalog.pg_proc'::regclass"
    "  AND " SAME_NAME_ELSEWHERE("c", "pg_proc", "proname", "pronamespace")
    " UNION ALL SELECT 'd', (((" KEY_CODE("seed.classid") ")::int8 << 32) + seed.objid::int8)::text"
    "  FROM seed WHERE seed.dropped"
    " UNION ALL SELECT 'o', o.key::text FROM clo CROSS JOIN LATERAL ("
    "  SELECT" SQL_KEY(1, "c.oid") "FROM pg_catalog.pg_class c WHERE c.oid = clo.objid"
    "   AND clo.classid = 'pg_catalog.pg_class'::regclass AND c.relkind NOT IN ('i', 'I', 't')"
    "  UNION ALL SELECT" SQL_KEY(2, "t.oid") "FROM pg_catalog.pg_type t WHERE t.oid = clo.objid"
    "   AND clo.classid = 'pg_catalog.pg_type'::regclass AND t.typrelid = 0"
    "  UNION ALL SELECT" SQL_KEY(3, "p.oid") "FROM pg_catalog.pg_proc p WHERE p.oid = clo.objid"
    "   AND clo.classid = 'pg_catalog.pg_proc'::regclass"
    "  UNION ALL SELECT" SQL_KEY(4, "n.oid") "FROM pg_catalog.pg_namespace n"
    "   WHERE n.oid = clo.objid AND clo.classid = 'pg_catalog.pg_namespace'::regclass"
    "  UNION ALL SELECT" SQL_KEY(5, "x.oid") "FROM pg_catalog.pg_extension x"
    "   WHERE x.oid = clo.objid AND clo.classid = 'pg_catalog.pg_extension'::regclass"
    " ) o(key)";

static int oom(struct err *e)
{
    return err_set(e, ERR_FAIL, "out of memory");
}

static int grow(struct snapshot *s, size_t need)
{
    struct snapshot_fact *grown;
    size_t n = s->alloc ? s->alloc : 256;

    if (need <= s->alloc)
        return 0;
    while (n < need)
        n *= 2;
    grown = realloc(s->facts, n * sizeof(*grown));
    if (!grown)
        return -1;
    s->facts = grown;
    s->alloc = n;
    return 0;
}

static int add_fact(struct snapshot *s, const char *object, const char *attr,
                    const char *value, uint64_t owner, uint64_t self)
{
    struct snapshot_fact *f;

    if (grow(s, s->n_facts + 1) < 0)
        return -1;
    f = &s->facts[s->n_facts];
    f->object = strdup(object);
    f->attr = strdup(attr ? attr : "");
    f->value = strdup(value ? value : "");
    f->owner = owner;
    f->self = self;
    if (!f->object || !f->attr || !f->value) {
        free(f->object);
        free(f->attr);
        free(f->value);
        return -1;
    }
    s->n_facts++;
    return 0;
}

/* A name as a reader expects it: bare when it needs no quotes. */
static void add_name(struct strbuf *sb, const char *name)
{
    int bare = (*name >= 'a' && *name <= 'z') || *name == '_';

    for (const char *p = name; bare && *p; p++)
        bare = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '$';
    if (bare)
        strbuf_adds(sb, name);
    else
        sql_quote_ident(sb, name);
}

/* "users", or "audit.users" outside public. */
static void add_qualified(struct strbuf *sb, const char *schema, const char *name)
{
    if (schema && strcmp(schema, SCHEMA_DEFAULT) != 0) {
        add_name(sb, schema);
        strbuf_addch(sb, '.');
    }
    add_name(sb, name);
}

/* One object's existence and its set attributes (attr/value pairs, the
 * list ends with a NULL attr; a NULL value is left out). */
static int add_object(struct snapshot *s, const char *object, const char *const *pairs,
                      uint64_t owner, uint64_t self)
{
    if (add_fact(s, object, "", "", owner, self) < 0)
        return -1;
    for (size_t i = 0; pairs && pairs[i]; i += 2)
        if (pairs[i + 1] && add_fact(s, object, pairs[i], pairs[i + 1], owner, self) < 0)
            return -1;
    return 0;
}

static int add_column(struct snapshot *s, const char *table, const struct schema_column *c,
                      uint64_t owner)
{
    struct strbuf obj = STRBUF_INIT;
    char *shown = schema_type_display(c->type);
    const char *identity = c->identity == 'a' ? "ALWAYS" : c->identity == 'd' ? "BY DEFAULT"
                                                                             : NULL;
    const char *pairs[] = { "type",     shown ? shown : c->type,
                            "nullability", c->not_null ? "NOT NULL" : "NULL",
                            "identity", identity,
                            "comment",  c->comment,
                            NULL };
    int ret;

    strbuf_addf(&obj, "column %s.", table);
    add_name(&obj, c->name);
    ret = strbuf_failed(&obj) ? -1 : add_object(s, strbuf_str(&obj), pairs, owner, owner);
    /* the default is a pg_attrdef row of its own, which DROP ... CASCADE
     * of a sequence or function it uses removes without the table */
    if (ret == 0 && c->server_default)
        ret = add_fact(s, strbuf_str(&obj), "default", c->server_default, owner,
                       c->default_oid ? KEY(K_DEF, c->default_oid) : owner);
    strbuf_release(&obj);
    free(shown);
    return ret;
}

static int add_table(struct snapshot *s, const struct schema_table *t)
{
    struct strbuf name = STRBUF_INIT, obj = STRBUF_INIT;
    const char *pairs[] = { "comment", t->comment, NULL };
    uint64_t owner = KEY(K_REL, t->oid);
    int ret = -1;

    add_qualified(&name, t->schema, t->name);
    strbuf_addf(&obj, "table %s", strbuf_str(&name));
    if (strbuf_failed(&name) || strbuf_failed(&obj) ||
        add_object(s, strbuf_str(&obj), pairs, owner, owner) < 0)
        goto out;
    for (size_t i = 0; i < t->n_columns; i++)
        if (add_column(s, strbuf_str(&name), &t->columns[i], owner) < 0)
            goto out;
    for (size_t i = 0; i < t->n_indexes; i++) {
        const char *ip[] = { "definition", t->indexes[i].definition, NULL };

        strbuf_reset(&obj);
        strbuf_adds(&obj, "index ");
        add_qualified(&obj, t->schema, t->indexes[i].name);
        if (strbuf_failed(&obj) ||
            add_object(s, strbuf_str(&obj), ip, owner, KEY(K_REL, t->indexes[i].oid)) < 0)
            goto out;
    }
    for (size_t i = 0; i < t->n_constraints; i++) {
        const char *cp[] = { "definition", t->constraints[i].definition, NULL };

        strbuf_reset(&obj);
        strbuf_adds(&obj, "constraint ");
        add_name(&obj, t->constraints[i].name);
        strbuf_addf(&obj, " on %s", strbuf_str(&name));
        if (strbuf_failed(&obj) ||
            add_object(s, strbuf_str(&obj), cp, owner, KEY(K_CON, t->constraints[i].oid)) < 0)
            goto out;
    }
    ret = 0;
out:
    strbuf_release(&name);
    strbuf_release(&obj);
    return ret;
}

/* Enum types: the type, and each label as an object of its own, so that
 * a label left behind is named (the order of labels is not compared). */
static int add_enum(struct snapshot *s, const struct schema_enum *en)
{
    struct strbuf name = STRBUF_INIT, obj = STRBUF_INIT;
    uint64_t owner = KEY(K_TYPE, en->oid);
    int ret = -1;

    /* introspect.c gives the name already quoted where it must be */
    if (strcmp(en->schema, SCHEMA_DEFAULT) != 0) {
        add_name(&name, en->schema);
        strbuf_addch(&name, '.');
    }
    strbuf_adds(&name, en->name);
    strbuf_addf(&obj, "type %s", strbuf_str(&name));
    if (strbuf_failed(&obj) || add_object(s, strbuf_str(&obj), NULL, owner, owner) < 0)
        goto out;
    for (size_t i = 0; i < en->n_labels; i++) {
        strbuf_reset(&obj);
        strbuf_adds(&obj, "enum label ");
        sql_quote_literal(&obj, en->labels[i]);
        strbuf_addf(&obj, " of type %s", strbuf_str(&name));
        if (strbuf_failed(&obj) || add_object(s, strbuf_str(&obj), NULL, owner, owner) < 0)
            goto out;
    }
    ret = 0;
out:
    strbuf_release(&name);
    strbuf_release(&obj);
    return ret;
}

static int cmp_fact(const void *a, const void *b)
{
    const struct snapshot_fact *x = a, *y = b;
    int c = strcmp(x->object, y->object);

    return c ? c : strcmp(x->attr, y->attr);
}

static int cmp_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static int has_key(const uint64_t *keys, size_t n, uint64_t key)
{
    return n && bsearch(&key, keys, n, sizeof(*keys), cmp_key) != NULL;
}

static uint64_t key_of(const char *text)
{
    return text ? (uint64_t)strtoull(text, NULL, 10) : 0;
}

/* Read the facts into *s: every owner's (only == NULL), or only those of
 * the n owners listed (sorted; rows of other owners are dropped: an oid
 * may recur in another catalog). */
static int read_facts(struct pg *db, const struct snapshot_opts *o, const uint64_t *only,
                      size_t n, struct snapshot *s, struct err *e)
{
    struct schema sc = SCHEMA_INIT;
    struct pg_rows rows = PG_ROWS_INIT;
    struct strbuf oids = STRBUF_INIT;
    char *excluded = introspect_text_array(o ? o->exclude : NULL, o ? o->n_exclude : 0);
    char *extras = NULL;
    int known = o && o->prepared;
    struct introspect_opts io = { NULL, 0, o ? o->exclude : NULL, o ? o->n_exclude : 0,
                                  known ? 2 : 1, 1, NULL };
    const char *params[1];
    size_t first = s->n_facts;
    int ret = -1;

    if (!excluded)
        return oom(e);
    if (only) {
        strbuf_addch(&oids, '{');
        for (size_t i = 0; i < n; i++)
            strbuf_addf(&oids, "%s%u", i ? "," : "", (unsigned)(only[i] & 0xffffffffu));
        strbuf_addch(&oids, '}');
        if (strbuf_failed(&oids))
            goto fail_oom;
        io.only_oids = strbuf_str(&oids);
    }
    params[0] = io.only_oids;
    extras = introspect_inline(only ? extras_only_sql : extras_all_sql, ":excluded", excluded);
    if (!extras)
        goto fail_oom;
    if (introspect_schema(db, &io, &sc, e) < 0)
        goto out;
    for (size_t i = 0; i < sc.n_tables; i++)
        if (add_table(s, &sc.tables[i]) < 0)
            goto fail_oom;
    for (size_t i = 0; i < sc.n_enums; i++)
        if (add_enum(s, &sc.enums[i]) < 0)
            goto fail_oom;
    if (pg_query_prepared_params(db, "runner_snapshot", extras, known, only ? 1 : 0, params,
                                 &rows, e) < 0) {
        err_prefix(e, "cannot read the database schema");
        goto out;
    }
    for (size_t i = 0; i < rows.n_rows; i++)
        if (add_fact(s, pg_rows_get(&rows, i, 0), pg_rows_get(&rows, i, 1),
                     pg_rows_get(&rows, i, 2), key_of(pg_rows_get(&rows, i, 3)),
                     key_of(pg_rows_get(&rows, i, 4))) < 0)
            goto fail_oom;
    if (only) {
        size_t k = first;

        for (size_t i = first; i < s->n_facts; i++) {
            if (has_key(only, n, s->facts[i].owner)) {
                s->facts[k++] = s->facts[i];
                continue;
            }
            free(s->facts[i].object);
            free(s->facts[i].attr);
            free(s->facts[i].value);
        }
        s->n_facts = k;
    }
    qsort(s->facts, s->n_facts, sizeof(*s->facts), cmp_fact);
    ret = 0;
    goto out;
fail_oom:
    oom(e);
out:
    pg_rows_release(&rows);
    schema_release(&sc);
    strbuf_release(&oids);
    free(excluded);
    free(extras);
    return ret;
}

int snapshot_take(struct pg *db, const struct snapshot_opts *o, struct snapshot *out,
                  struct err *e)
{
    struct snapshot s = SNAPSHOT_INIT;
    struct pg_rows rows = PG_ROWS_INIT;
    int known = o && o->prepared;
    int ret = -1;

    /* what the log holds is older than this read */
    if (o && o->tracked && pg_exec(db, clear_log_sql, e) < 0)
        goto fail_query;
    if (read_facts(db, o, NULL, 0, &s, e) < 0)
        goto out;
    if (pg_query_prepared(db, "runner_snapshot", state_sql, known, &rows, e) < 0)
        goto fail_query;
    s.settings = strdup(pg_rows_get(&rows, 0, 0) ? pg_rows_get(&rows, 0, 0) : "");
    if (!s.settings) {
        oom(e);
        goto out;
    }
    s.ambiguous = pg_rows_get(&rows, 0, 1) && strcmp(pg_rows_get(&rows, 0, 1), "t") == 0;
    *out = s;
    s = (struct snapshot)SNAPSHOT_INIT;
    ret = 0;
    goto out;
fail_query:
    err_prefix(e, "cannot read the database schema");
out:
    pg_rows_release(&rows);
    snapshot_release(&s);
    return ret;
}

void snapshot_release(struct snapshot *s)
{
    for (size_t i = 0; i < s->n_facts; i++) {
        free(s->facts[i].object);
        free(s->facts[i].attr);
        free(s->facts[i].value);
    }
    free(s->facts);
    free(s->settings);
    *s = (struct snapshot)SNAPSHOT_INIT;
}

int snapshot_track(struct pg *db, struct err *e)
{
    struct err te = ERR_INIT;

    /* The catalog reads are small, but their estimates can cross
     * jit_above_cost (the log table and the closure are guessed at
     * thousands of rows), and then each run compiles for seconds; JIT
     * changes no result, only how long a query takes. */
    if (pg_exec(db, "SET jit = off", e) < 0)
        return -1;
    /* one implicit transaction: on failure nothing stays behind */
    if (pg_exec(db, track_sql, &te) == 0)
        return 1;
    if (strcmp(te.sqlstate, "42501") == 0)
        return 0;       /* not a superuser: full snapshots */
    *e = te;
    err_prefix(e, "cannot log schema changes");
    return -1;
}

static int add_owner(uint64_t **keys, size_t *n, size_t *alloc, uint64_t key)
{
    if (*n == *alloc) {
        size_t a = *alloc ? *alloc * 2 : 32;
        uint64_t *grown = realloc(*keys, a * sizeof(*grown));

        if (!grown)
            return -1;
        *keys = grown;
        *alloc = a;
    }
    (*keys)[(*n)++] = key;
    return 0;
}

/* Sort and deduplicate. */
static size_t unique_keys(uint64_t *keys, size_t n)
{
    size_t k = 0;

    if (n)
        qsort(keys, n, sizeof(*keys), cmp_key);
    for (size_t i = 0; i < n; i++)
        if (k == 0 || keys[k - 1] != keys[i])
            keys[k++] = keys[i];
    return k;
}

static int refresh_full(struct pg *db, const struct snapshot_opts *o,
                        struct snapshot_changes *out, struct err *e)
{
    out->full = 1;
    return snapshot_take(db, o, &out->facts, e);
}

int snapshot_refresh(struct pg *db, const struct snapshot_opts *o, const struct snapshot *base,
                     int full, struct snapshot_changes *out, struct err *e)
{
    struct pg_rows rows = PG_ROWS_INIT;
    uint64_t *existing = NULL;
    size_t n_existing = 0, alloc_existing = 0, alloc = 0;
    int tracking = 0, ret = -1;
    struct err ce = ERR_INIT;

    if (full || !o || !o->tracked || base->ambiguous)
        return refresh_full(db, o, out, e);
    if (pg_query_prepared(db, "runner_snapshot", changes_sql, o->prepared, &rows, &ce) < 0) {
        /* the log itself is gone: read everything, and stop tracking */
        out->lost = 1;
        return refresh_full(db, o, out, e);
    }
    for (size_t i = 0; i < rows.n_rows && !full; i++) {
        const char *what = pg_rows_get(&rows, i, 0), *val = pg_rows_get(&rows, i, 1);
        uint64_t key = key_of(val);

        switch (what ? *what : 0) {
        case 's':
            full = strcmp(val ? val : "", base->settings ? base->settings : "") != 0;
            break;
        case 't':
            tracking = 1;
            break;
        case 'o':
            if (add_owner(&existing, &n_existing, &alloc_existing, key) < 0 ||
                add_owner(&out->owners, &out->n_owners, &alloc, key) < 0)
                goto fail_oom;
            break;
        case 'd':
            /* its owner, as the base snapshot knew it */
            for (size_t k = 0; k < base->n_facts; k++)
                if (base->facts[k].self == key || base->facts[k].owner == key) {
                    if (add_owner(&out->owners, &out->n_owners, &alloc,
                                  base->facts[k].owner) < 0)
                        goto fail_oom;
                    break;
                }
            break;
        default:
            full = 1;
            break;
        }
    }
    if (!tracking)
        out->lost = 1;
    if (full || !tracking) {
        free(out->owners);
        out->owners = NULL;
        out->n_owners = 0;
        ret = refresh_full(db, o, out, e);
        goto out;
    }
    n_existing = unique_keys(existing, n_existing);
    out->n_owners = unique_keys(out->owners, out->n_owners);
    out->facts.settings = strdup(base->settings ? base->settings : "");
    if (!out->facts.settings)
        goto fail_oom;
    if (n_existing && read_facts(db, o, existing, n_existing, &out->facts, e) < 0)
        goto out;
    ret = 0;
    goto out;
fail_oom:
    oom(e);
out:
    pg_rows_release(&rows);
    free(existing);
    return ret;
}

int snapshot_apply(struct snapshot *s, struct snapshot_changes *c, struct err *e)
{
    struct snapshot merged = SNAPSHOT_INIT;
    size_t i = 0, j = 0;

    if (c->full) {
        snapshot_release(s);
        *s = c->facts;
        c->facts = (struct snapshot)SNAPSHOT_INIT;
        snapshot_changes_release(c);
        return 0;
    }
    if (grow(&merged, s->n_facts + c->facts.n_facts + 1) < 0) {
        snapshot_changes_release(c);
        return oom(e);
    }
    /* both sorted: the kept facts of s and the new ones, in order */
    while (i < s->n_facts || j < c->facts.n_facts) {
        struct snapshot_fact *x = i < s->n_facts ? &s->facts[i] : NULL;
        struct snapshot_fact *y = j < c->facts.n_facts ? &c->facts.facts[j] : NULL;

        if (x && has_key(c->owners, c->n_owners, x->owner)) {
            free(x->object);
            free(x->attr);
            free(x->value);
            i++;
        } else if (x && (!y || cmp_fact(x, y) <= 0)) {
            merged.facts[merged.n_facts++] = *x;
            i++;
        } else {
            merged.facts[merged.n_facts++] = *y;
            j++;
        }
    }
    merged.settings = s->settings;
    merged.ambiguous = s->ambiguous;
    free(s->facts);
    *s = merged;
    c->facts.n_facts = 0;       /* moved */
    snapshot_changes_release(c);
    return 0;
}

void snapshot_changes_release(struct snapshot_changes *c)
{
    snapshot_release(&c->facts);
    free(c->owners);
    *c = (struct snapshot_changes)SNAPSHOT_CHANGES_INIT;
}

/* A value for a message: long definitions are cut, "" is "none". */
static void add_value(struct strbuf *out, const char *v)
{
    size_t len = strlen(v);

    if (!*v)
        strbuf_adds(out, "none");
    else if (len > 120)
        strbuf_addf(out, "%.117s...", v);
    else
        strbuf_adds(out, v);
}

static void add_difference(struct strbuf *out, size_t *n, size_t max, const char *what,
                           const char *verb, const struct snapshot_fact *f,
                           const struct snapshot_fact *want)
{
    if (++*n > max)
        return;
    if (out->len)
        strbuf_adds(out, "; ");
    strbuf_addf(out, "%s %s %s", what, verb, f->object);
    if (!want)
        return;
    strbuf_addf(out, " %s ", f->attr);
    add_value(out, f->value);
    strbuf_adds(out, ", expected ");
    add_value(out, want->value);
}

/* Facts of the object at facts[*i] are skipped: it differs as a whole. */
static void skip_object(const struct snapshot *s, size_t *i)
{
    const char *obj = s->facts[*i].object;

    while (*i < s->n_facts && strcmp(s->facts[*i].object, obj) == 0)
        (*i)++;
}

size_t snapshot_diff(const struct snapshot *expected, const struct snapshot *got,
                     const char *what, size_t max, struct strbuf *out)
{
    size_t i = 0, j = 0, n = 0;
    size_t start = out->len;

    while (i < expected->n_facts || j < got->n_facts) {
        const struct snapshot_fact *x = i < expected->n_facts ? &expected->facts[i] : NULL;
        const struct snapshot_fact *y = j < got->n_facts ? &got->facts[j] : NULL;
        int c = !x ? 1 : !y ? -1 : cmp_fact(x, y);

        if (c == 0) {
            if (strcmp(x->value, y->value) != 0)
                add_difference(out, &n, max, what, "left", y, x);
            i++;
            j++;
        } else if (c < 0) {
            /* expected, not there: an object gone, or an attribute unset */
            if (!*x->attr) {
                add_difference(out, &n, max, what, "did not restore", x, NULL);
                skip_object(expected, &i);
            } else {
                struct snapshot_fact none = { x->object, x->attr, "", x->owner, x->self };

                add_difference(out, &n, max, what, "left", &none, x);
                i++;
            }
        } else {
            if (!*y->attr) {
                add_difference(out, &n, max, what, "left", y, NULL);
                skip_object(got, &j);
            } else {
                struct snapshot_fact none = { y->object, y->attr, "", y->owner, y->self };

                add_difference(out, &n, max, what, "left", y, &none);
                j++;
            }
        }
    }
    if (n > max)
        strbuf_addf(out, "%s and %zu more", out->len > start ? ";" : "", n - max);
    return n;
}

size_t snapshot_diff_changes(const struct snapshot *expected,
                             const struct snapshot_changes *got, const char *what, size_t max,
                             struct strbuf *out)
{
    struct snapshot view = SNAPSHOT_INIT;       /* borrows expected's strings */
    size_t n;

    if (got->full)
        return snapshot_diff(expected, &got->facts, what, max, out);
    view.facts = malloc((expected->n_facts + 1) * sizeof(*view.facts));
    if (!view.facts) {
        /* cannot narrow it down: say so rather than pass */
        if (out->len)
            strbuf_adds(out, "; ");
        strbuf_addf(out, "%s: out of memory comparing the schema", what);
        return 1;
    }
    for (size_t i = 0; i < expected->n_facts; i++)
        if (has_key(got->owners, got->n_owners, expected->facts[i].owner))
            view.facts[view.n_facts++] = expected->facts[i];
    n = snapshot_diff(&view, &got->facts, what, max, out);
    free(view.facts);
    return n;
}
