# shellcheck shell=bash
# lib.sh -- sourced by the alembic-compare scripts: the same revision graph
# built with `runner revision`/`merge` and with Alembic 1.8's own `alembic
# revision`/`merge` in one work directory, and compare(), which diffs what
# both print for one command.  The caller sets $runner and cds into an
# empty directory first.

failures=0
passes=0

mk() {
  local id=$1 msg=$2
  shift 2
  "$runner" --sources src --dir plugins revision -q --rev-id "$id" -m "$msg" "$@" >/dev/null
  "$runner" --sources src --dir plugins build -q >/dev/null
  alembic revision --rev-id "$id" -m "$msg" "$@" >/dev/null 2>&1
}
merge() {
  local id=$1 msg=$2
  shift 2
  "$runner" --sources src --dir plugins merge -q --rev-id "$id" -m "$msg" "$@" >/dev/null
  "$runner" --sources src --dir plugins build -q >/dev/null
  alembic merge --rev-id "$id" -m "$msg" "$@" >/dev/null 2>&1
}
# empty_date ID: blank the create date of revision ID on both sides.
empty_date() {
  sed -i 's/\.create_date = "[^"]*"/.create_date = ""/' src/"$1"_*.c
  "$runner" --sources src --dir plugins build -q >/dev/null
  sed -i 's/^Create Date: .*/Create Date: /' al/versions/"$1"_*.py
}

# a -> b -> c -> e, b -> d (branch point b); f merges e and d; g is a new
# base labelled "other"; h depends on c; i follows the merge; j branches
# from a (a second, older branch point); k on "other" has no message, and
# d no create date.
build_graph() {
  mkdir -p src plugins
  chmod go-w . src plugins
  alembic init -q al >/dev/null 2>&1 || alembic init al >/dev/null
  mk aaa1 "first"
  mk bbb2 "second"
  mk ccc3 "third"
  mk ddd4 "branch d" --head bbb2 --splice
  mk eee5 "more on c" --head ccc3
  merge fff6 "merge" eee5 ddd4
  mk ggg7 "other base" --head base --branch-label other
  mk hhh8 "on other" --head other@head --depends-on ccc3
  mk iii9 "after merge" --head fff6
  mk jjj0 "from a" --head aaa1 --splice
  mk kkk1 "" --head other@head
  empty_date ddd4
}

# Paths differ by nature; create dates are masked when not empty.
mask() {
  sed -e 's#^Path: .*#Path: X#' -e 's#Create Date: ..*#Create Date: X#' \
      -e 's#^Branches into: .*#Branches into: X#'
}

# The children a branch point lists come from a Python set in alembic:
# sort each run of "    -> child" lines, keep everything else in place.
sort_children() {
  awk '/^ +-> /{ buf[n++] = $0; next }
       { if (n) { flush() } print }
       function flush(  i, j, t) {
         for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
           if (buf[j] < buf[i]) { t = buf[i]; buf[i] = buf[j]; buf[j] = t }
         for (i = 0; i < n; i++) print buf[i]
         n = 0
       }
       END { if (n) flush() }'
}

# compare CMD [order]: order "sorted" compares the lines in any order (for
# output alembic takes from a Python set), "children" sorts only the
# children of each branch point.  $runner_args go before runner's command
# (e.g. --url).
compare() {
  local r a order=cat
  [ "${2:-}" = sorted ] && order="sort"
  [ "${2:-}" = children ] && order="sort_children"
  # shellcheck disable=SC2086  # the command's words are meant to split
  r=$("$runner" --dir plugins ${runner_args:-} $1 2>&1 | mask | $order)
  # shellcheck disable=SC2086
  a=$(alembic $1 2>&1 | mask | $order)
  if [ "$r" = "$a" ]; then
    echo "ok - $1"
    passes=$((passes + 1))
  else
    echo "not ok - $1"
    diff <(echo "$r") <(echo "$a") | sed 's/^/    /' || true
    failures=$((failures + 1))
  fi
}
