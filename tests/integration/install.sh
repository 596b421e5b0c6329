#!/usr/bin/env bash
# meson install into a DESTDIR, and the installed tree on its own: the
# binary checks and plans the example content and finds its installed
# plugins (no build or source tree, no JADE_PLUGIN_DIR), and looks for its
# configuration where the example was installed; a plugin written outside
# the tree builds against the installed header with pkg-config and loads;
# the example configuration passes the schema; the unit file's paths are
# the installed ones, its stop timeout leaves room for the service's stop
# bound, and `systemd-analyze verify` finds nothing to say about it.
# Prints TAP.
# usage: install.sh BUILDDIR SRCDIR
set -u
. "$(dirname "$0")/tap.sh"
build=$(realpath "$1")
src=$(realpath "$2")
work=$(tap_workdir)
trap 'tap_rm_work "$work"' EXIT
dest=$work/dest
unset JADE_PLUGIN_DIR

if meson install -C "$build" --no-rebuild --destdir "$dest" >"$work/install.out" 2>&1; then
  ok "meson install --destdir"
else not_ok "meson install --destdir" "$(tail -n 20 "$work/install.out")"; tap_done; exit; fi

# Where each thing was installed, as meson says (prefix, libdir, sysconfdir
# as the build was set up), inside the DESTDIR.
eval "$(python3 - "$build/meson-info/intro-installed.json" <<'PY'
import json, os, sys
installed = json.load(open(sys.argv[1])).values()
def where(suffix):
    found = [p for p in installed if p.endswith(suffix)]
    assert len(found) == 1, (suffix, found)
    return found[0]
paths = {
    "bin": where("/bin/jade"),
    "plugins": os.path.dirname(where("/jade/plugins/outbox.so")),
    "schemas": os.path.dirname(where("/jade/schemas/config.schema.json")),
    "header": where("/jade/jade-plugin.h"),
    "pc": where("/pkgconfig/jade-plugin.pc"),
    "unit": where("/jade.service"),
    "example": where("/jade/config.example.json"),
    "sysusers": where("/sysusers.d/jade.conf"),
    "catalogue": where("/fr/LC_MESSAGES/jade.mo"),
}
for k, v in paths.items():
    print("%s=%s" % (k, v))
PY
)"
jade=$dest$bin
for f in "$jade" "$dest$plugins/outbox.so" "$dest$plugins/webhook.so" "$dest$header" "$dest$pc" \
  "$dest$unit" "$dest$example" "$dest$sysusers"; do
  [ -f "$f" ] || missing="${missing:-} $f"
done
n_schemas=$(ls "$dest$schemas"/*.schema.json 2>/dev/null | wc -l)
if [ -z "${missing:-}" ] && [ -x "$jade" ] && [ "$n_schemas" -eq "$(ls "$src"/schemas/*.schema.json | wc -l)" ]; then
  ok "installed: the binary, both plugins, every schema (the content's, the configuration's, the report's and the plan diff's), the header, jade-plugin.pc, the unit, its user, the example configuration"
else not_ok "installed: the binary, both plugins, every schema (the content's, the configuration's, the report's and the plan diff's), the header, jade-plugin.pc, the unit, its user, the example configuration" "missing:${missing:-}" "schemas: $n_schemas"; fi

# -- the installed binary, away from the build and source trees ------------------
tap_example "$work/content"
cd "$work"
expect "installed jade validate: the example content is valid" 0 "" -- "$jade" validate "$work/content"
if "$jade" plan "$work/content" --format json >"$work/plan.json" 2>"$work/plan.err" &&
  python3 -c 'import json, sys; assert len(json.load(open(sys.argv[1]))) > 0' "$work/plan.json" 2>/dev/null; then
  ok "installed jade plan: the example content's occurrences"
else not_ok "installed jade plan: the example content's occurrences" "$(tail "$work/plan.err")"; fi
"$jade" plugins >"$work/plugins.out" 2>&1
real_plugins=$(realpath "$dest$plugins")
if grep -qF "plugins in $real_plugins:" "$work/plugins.out" && grep -q "^outbox " "$work/plugins.out" &&
  grep -q "^webhook " "$work/plugins.out"; then
  ok "installed jade plugins: finds the installed plugins by itself"
else not_ok "installed jade plugins: finds the installed plugins by itself" "want $real_plugins" "$(cat "$work/plugins.out")"; fi
# The configuration it reads by default is where the example was installed.
"$jade" run --once >"$work/default.out" 2>&1
if grep -qF "$(dirname "$example")/config.json" "$work/default.out"; then
  ok "installed jade run: its default configuration is <sysconfdir>/jade/config.json, beside the example"
else not_ok "installed jade run: its default configuration is <sysconfdir>/jade/config.json, beside the example" "$(cat "$work/default.out")"; fi
# The French catalogue, found from the binary's folder as the plugins are.
if [ ! -f "$dest$catalogue" ]; then
  not_ok "installed: the French catalogue" "missing: $dest$catalogue"
elif ! locale -a 2>/dev/null | grep -qix 'fr_FR.utf-\?8'; then
  ok "installed: the French catalogue # SKIP no fr_FR.UTF-8 locale to read it in"
else
  expect "installed jade in French: finds its catalogue by itself" 0 "commandes :" -- \
    env -u LC_ALL -u LC_MESSAGES -u LANGUAGE -u JADE_LOCALEDIR LANG=fr_FR.UTF-8 "$jade" --help
fi

# -- an out-of-tree plugin, against the installed header ------------------------------
mkdir -p "$work/sample"
cat >"$work/sample/sample.c" <<'C'
#include <jade-plugin.h>

static int init(const struct jade_host *h, void **instance)
{
    (void)h;
    *instance = 0;
    return 0;
}
static void publish(void *instance, const struct jade_publication *pub, jade_done_cb done,
                    void *token)
{
    (void)instance;
    struct jade_result r = {sizeof r, JADE_OUTCOME_SENT, pub->key, 0, 0, 0};
    done(token, &r);
}
static void fini(void *instance)
{
    (void)instance;
}
static const struct jade_plugin plugin = {
    .abi_version = JADE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(struct jade_plugin),
    .name = "sample",
    .description = "built outside jade's tree",
    .init = init,
    .publish = publish,
    .fini = fini,
};
JADE_PLUGIN_EXPORT(plugin)
C
export PKG_CONFIG_PATH=$dest$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$dest
cflags=$(pkg-config --cflags jade-plugin 2>"$work/pc.err")
cflags=${cflags% }
# pkgconf puts the sysroot before variables too; pkg-config did not
plugindir=$(pkg-config --variable=plugindir jade-plugin 2>>"$work/pc.err")
plugindir=${plugindir#"$dest"}
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
if [ "$cflags" = "-I$dest$(dirname "$header")" ] && [ "$plugindir" = "$plugins" ]; then
  ok "pkg-config jade-plugin: the installed header's folder, and the plugin folder"
else not_ok "pkg-config jade-plugin: the installed header's folder, and the plugin folder" "cflags: $cflags" "plugindir: $plugindir" "$(cat "$work/pc.err")"; fi
# shellcheck disable=SC2086 # cflags is a list of flags
if cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden $cflags \
  -o "$dest$plugins/sample.so" "$work/sample/sample.c" >"$work/cc.out" 2>&1; then
  ok "a plugin builds against the installed header alone"
else not_ok "a plugin builds against the installed header alone" "$(cat "$work/cc.out")"; fi
"$jade" plugins >"$work/plugins2.out" 2>&1
if grep -q "^sample  (ABI 1\.[0-9]*)  $real_plugins/sample.so" "$work/plugins2.out" &&
  grep -qF "built outside jade's tree" "$work/plugins2.out"; then
  ok "installed jade plugins: loads it"
else not_ok "installed jade plugins: loads it" "$(cat "$work/plugins2.out")"; fi

# -- the example configuration ------------------------------------------------------------
# It passes the schema ("\$comment" members and all): what stops it here is
# only what the disk lacks (its secrets, its allowed signers).
"$jade" run --config "$dest$example" --once >"$work/example.out" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && ! grep -q ": error: " "$work/example.out" &&
  grep -qF "secrets_dir: " "$work/example.out"; then
  ok "the example configuration passes the schema, comments and all"
else not_ok "the example configuration passes the schema, comments and all" "exit $rc" "$(cat "$work/example.out")"; fi
if grep -qF "\"\$schema\": \"$schemas/config.schema.json\"" "$dest$example"; then
  ok "the example configuration names the installed schema"
else not_ok "the example configuration names the installed schema" "$(head -3 "$dest$example")"; fi

# -- the unit -------------------------------------------------------------------------
unit_file=$dest$unit
if grep -qx "ExecStart=$bin run --config $(dirname "$example")/config.json" "$unit_file" &&
  grep -qx "ReadOnlyPaths=$(dirname "$example")" "$unit_file" && grep -qx "Type=notify" "$unit_file" &&
  grep -qx "User=jade" "$unit_file" && grep -q "^u jade " "$dest$sysusers"; then
  ok "jade.service: the installed binary and configuration; Type=notify; the user jade, made by sysusers.d"
else not_ok "jade.service: the installed binary and configuration; Type=notify; the user jade, made by sysusers.d" "$(grep -E '^(ExecStart|ReadOnlyPaths|Type|User)=' "$unit_file")"; fi
# systemd kills what is still running at TimeoutStopSec: the service's own
# bound (stop_timeout_seconds' default) and a hanging fetch's 5 s grace
# must end before.
if python3 - "$unit_file" "$dest$schemas/config.schema.json" <<'PY' >"$work/py.out" 2>&1
import json, re, sys
unit = open(sys.argv[1]).read()
stop = int(re.search(r"^TimeoutStopSec=(\d+)s$", unit, re.M).group(1))
bound = json.load(open(sys.argv[2]))["properties"]["stop_timeout_seconds"]["default"]
assert bound + 5 < stop, "stop_timeout_seconds %d + 5 s, TimeoutStopSec %d" % (bound, stop)
assert re.search(r"^WatchdogSec=\d+", unit, re.M), "no WatchdogSec"
PY
then ok "jade.service: TimeoutStopSec leaves room for stop_timeout_seconds"
else not_ok "jade.service: TimeoutStopSec leaves room for stop_timeout_seconds" "$(cat "$work/py.out")"; fi
# systemd-analyze checks that ExecStart's binary exists: the unit as
# installed, the binary's path taken into the DESTDIR.
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$work/verify"
  sed "s|^ExecStart=$bin |ExecStart=$jade |" "$unit_file" >"$work/verify/jade.service"
  if systemd-analyze verify "$work/verify/jade.service" >"$work/verify.out" 2>&1 && [ ! -s "$work/verify.out" ]; then
    ok "systemd-analyze verify jade.service: nothing to say"
  else not_ok "systemd-analyze verify jade.service: nothing to say" "$(cat "$work/verify.out")"; fi
else
  not_ok "systemd-analyze verify jade.service" "systemd-analyze is missing: bash .ci/setup installs it (Debian's systemd)"
fi

tap_done
