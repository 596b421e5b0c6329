#!/usr/bin/env bash
# sweep-jade.sh - stands for the jade binary while sweep.sh runs the
# integration scripts: it keeps what jade writes, for the sweep to search,
# and is jade otherwise (exec: the same process, so a script's kill, wait
# and exit status reach jade itself).
#
# An output that is a file is left as it is (no copy: a script reading the
# file after jade exits must find all of it) and its path noted; one that
# is not (a pipe for $(...), /dev/null, a terminal) is copied through tee,
# whose end the reader of a pipe waits for. When stderr was the journal
# (JOURNAL_STREAM names it), the copy is the journal in its place.
# JADE_SWEEP_REAL: the jade binary; JADE_SWEEP_DIR: where copies and notes go.
real=${JADE_SWEEP_REAL:?}
dir=${JADE_SWEEP_DIR:?}
copy="$dir/jade.$$"
id() { stat -L -c "%d:%i" "/proc/$$/fd/$1" 2>/dev/null; }
journal=
[ -n "${JOURNAL_STREAM:-}" ] && [ "$JOURNAL_STREAM" = "$(id 2)" ] && journal=1
for fd in 1 2; do
  target=$(readlink "/proc/$$/fd/$fd")
  if [ -f "$target" ]; then
    printf '%s\n' "$target" >>"$dir/outputs" 2>/dev/null # not writable under setpriv: the file is a script's
  elif [ "$fd" = 1 ]; then
    exec > >(tee -a "$copy.out")
  else
    exec 2> >(tee -a "$copy.err" >&2)
    [ -n "$journal" ] && JOURNAL_STREAM=$(id 2) && export JOURNAL_STREAM
  fi
done
exec "$real" "$@"
