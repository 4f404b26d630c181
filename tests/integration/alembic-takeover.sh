#!/usr/bin/env bash
# alembic-takeover.sh -- migrate a database with Alembic itself, as a team
# would have before switching to runner: an Alembic project in DIR with
# revisions l1 -> l2 -> l3 creating the same tables as the runner test
# scenario "linear", then `alembic upgrade head`.
#
#   alembic-takeover.sh DIR SQLALCHEMY_URL
# Exit 77 when alembic is not installed (the caller falls back).
set -euo pipefail

dir=$1
url=$2
alembic=$(command -v alembic || true)
[ -n "$alembic" ] || exit 77

mkdir -p "$dir/versions"
cat >"$dir/alembic.ini" <<INI
[alembic]
script_location = $dir
sqlalchemy.url = ${url//%/%%}
INI
cat >"$dir/env.py" <<'PY'
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(config.get_section(config.config_ini_section),
                            prefix="sqlalchemy.", poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
PY
cat >"$dir/script.py.mako" <<'PY'
PY
down=None
for n in 1 2 3; do
    cat >"$dir/versions/l${n}_create.py" <<PY
"""Create exec_l$n"""
from alembic import op

revision = 'l$n'
down_revision = $down
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TABLE exec_l$n (id integer PRIMARY KEY, a integer)")


def downgrade():
    op.execute("DROP TABLE exec_l$n")
PY
    down="'l$n'"
done
cd "$dir"
"$alembic" -c "$dir/alembic.ini" upgrade head
