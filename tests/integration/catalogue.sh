#!/usr/bin/env bash
# The catalogues keep up with the sources: po/POTFILES names every source
# file with a message for people, and each po/<lang>.po of po/LINGUAS
# translates every message xgettext finds there now (none missing,
# untranslated or fuzzy, none left over from messages since removed), and
# msgfmt --check passes. The fix when it fails: README, "Translations".
# Prints TAP.
# usage: catalogue.sh SRCDIR XGETTEXT-ARGS...
set -u
. "$(dirname "$0")/tap.sh"
src=$(realpath "$1")
shift
for tool in xgettext msgcmp msgattrib msgfmt; do
  if ! command -v "$tool" >/dev/null; then
    echo "1..0 # SKIP $tool is missing (Debian package gettext)"
    exit 0
  fi
done
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
cd "$src" || exit 1
fix="update it: meson compile -C build jade-update-po, translate, check: meson test -C build catalogue"

# Sources with a message: _( N_( or ngettext( in code (not in a comment,
# nor where the macros are defined).
listed=$(grep -v '^[[:space:]]*\(#\|$\)' po/POTFILES | sort)
found=$(find core plugins -name '*.[ch]' | sort | while read -r f; do
  sed -e 's:/\*.*\*/::g' -e 's://.*$::' "$f" |
    grep -v -e '^[[:space:]]*#[[:space:]]*define' -e '^[[:space:]]*/\?\*' |
    grep -qE '(^|[^A-Za-z0-9_])(N?_|ngettext)\(' && printf '%s\n' "$f"
done)
unlisted=$(comm -13 <(printf '%s\n' "$listed") <(printf '%s\n' "$found") | grep .)
gone=$(printf '%s\n' "$listed" | while read -r f; do [ -f "$f" ] || printf '%s\n' "$f"; done)
if [ -n "$unlisted" ]; then
  not_ok "po/POTFILES lists every source with messages" "add to po/POTFILES:" "$unlisted"
elif [ -n "$gone" ]; then
  not_ok "po/POTFILES lists every source with messages" "no such file (remove it from po/POTFILES):" "$gone"
else
  ok "po/POTFILES lists every source with messages"
fi

if xgettext --package-name=jade -f po/POTFILES -D "$src" -o "$work/jade.pot" "$@" 2>"$work/xgettext.err"; then
  ok "xgettext reads the sources"
else
  not_ok "xgettext reads the sources" "$(cat "$work/xgettext.err")"
fi

langs=$(grep -v '^[[:space:]]*\(#\|$\)' po/LINGUAS)
[ -n "$langs" ] || not_ok "po/LINGUAS names a language"
for lang in $langs; do
  po=po/$lang.po
  if [ ! -f "$po" ]; then
    not_ok "$po exists" "$fix"
    continue
  fi
  # every message of the sources, translated (msgcmp counts untranslated
  # and fuzzy entries as missing)
  if msgcmp "$po" "$work/jade.pot" >"$work/cmp.out" 2>&1; then
    ok "$lang: every message of the sources is translated"
  else
    not_ok "$lang: every message of the sources is translated" "$fix" "$(head -n 40 "$work/cmp.out")"
  fi
  # msgfmt says "N translated messages[, M fuzzy translations][, K untranslated messages]."
  stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$po" 2>&1)
  case $stats in
  *fuzzy* | *untranslated*)
    not_ok "$lang: no untranslated or fuzzy entry" "$stats" \
      "(msgattrib --untranslated, or --only-fuzzy, $po lists them)" "$fix" ;;
  *) ok "$lang: no untranslated or fuzzy entry" ;;
  esac
  # and nothing left over (obsolete #~ entries are not compiled: allowed)
  msgattrib --no-obsolete "$po" >"$work/current.po"
  if msgcmp --use-untranslated --use-fuzzy "$work/jade.pot" "$work/current.po" >"$work/stale.out" 2>&1; then
    ok "$lang: no message the sources no longer have"
  else
    not_ok "$lang: no message the sources no longer have" "$fix" "$(head -n 40 "$work/stale.out")"
  fi
  if msgfmt --check -o /dev/null "$po" 2>"$work/msgfmt.err"; then
    ok "$lang: msgfmt --check passes (formats, header)"
  else
    not_ok "$lang: msgfmt --check passes (formats, header)" "$(head -n 40 "$work/msgfmt.err")"
  fi
done
tap_done
