#!/usr/bin/env python3
"""gen-linear.py N SRC_DIR [ALEMBIC_DIR]: N linear revisions as runner C
sources and, optionally, the same revisions as an Alembic project, so both
tools are measured on the same graph.  Each revision creates one table."""
import os
import sys


def rev_id(i):
    return "%012x" % (0x100000000000 + i * 7919)


def main():
    n = int(sys.argv[1])
    src = sys.argv[2]
    alembic_dir = sys.argv[3] if len(sys.argv) > 3 else None
    os.makedirs(src, exist_ok=True)
    for i in range(n):
        rid = rev_id(i)
        down = ".down_revision = RUNNER_REVS(\"%s\"),\n    " % rev_id(i - 1) if i else ""
        path = os.path.join(src, "%s_create_t%d.c" % (rid, i))
        if os.path.exists(path):
            continue
        with open(path, "w") as f:
            f.write(
                "#include <runner/plugin.h>\n\n"
                "RUNNER_REVISION(\n    .revision = \"%s\",\n    %s"
                ".message = \"create t%d\",\n    .create_date = \"2026-11-26 10:00:00\");\n\n"
                "int upgrade(runner_op *op) { return op_execute(op, \"CREATE TABLE t%d (id integer)\"); }\n"
                "int downgrade(runner_op *op) { return op_execute(op, \"DROP TABLE t%d\"); }\n"
                % (rid, down, i, i, i))
    if alembic_dir:
        versions = os.path.join(alembic_dir, "versions")
        os.makedirs(versions, exist_ok=True)
        with open(os.path.join(alembic_dir, "alembic.ini"), "w") as f:
            f.write("[alembic]\nscript_location = %s\nsqlalchemy.url = sqlite://\n" % alembic_dir)
        with open(os.path.join(alembic_dir, "env.py"), "w") as f:
            f.write("from alembic import context\n"
                    "if context.is_offline_mode():\n"
                    "    context.configure(url='sqlite://')\n"
                    "    with context.begin_transaction():\n        context.run_migrations()\n")
        with open(os.path.join(alembic_dir, "script.py.mako"), "w") as f:
            f.write("")
        for i in range(n):
            rid = rev_id(i)
            path = os.path.join(versions, "%s_create_t%d.py" % (rid, i))
            if os.path.exists(path):
                continue
            with open(path, "w") as f:
                f.write('"""create t%d"""\nfrom alembic import op\n'
                        'revision = "%s"\ndown_revision = %s\nbranch_labels = None\ndepends_on = None\n'
                        'def upgrade():\n    op.execute("CREATE TABLE t%d (id integer)")\n'
                        'def downgrade():\n    op.execute("DROP TABLE t%d")\n'
                        % (i, rid, ('"%s"' % rev_id(i - 1)) if i else "None", i, i))


if __name__ == "__main__":
    main()
