#!/usr/bin/env bash
# install.sh - puts the published standardwebhooks package for Node.js, at
# the versions package-lock.json pins (with their integrity hashes), into a
# folder of its own outside the source tree, once: later calls find it
# there and touch no network. Prints that folder's node_modules (for
# NODE_PATH). .ci/setup runs it; so does the test that needs it
# (tests/integration/standard-webhooks.sh), should setup not have.
# usage: install.sh
# JADE_NODE_DIR: the folder (default ${XDG_CACHE_HOME:-$HOME/.cache}/jade/standard-webhooks)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${JADE_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jade/standard-webhooks}
for tool in node npm; do
  command -v "$tool" >/dev/null ||
    { echo "install.sh: $tool is not installed: Debian's nodejs and npm packages bring it (.ci/setup installs them)" >&2; exit 1; }
done
mkdir -p "$dir"
# one install at a time (the secrets sweep runs the test beside itself)
exec 9>"$dir/.lock"
flock 9
# installed: the lock file it was installed from, copied last
if ! cmp -s "$here/package-lock.json" "$dir/installed.json" ||
  [ ! -f "$dir/node_modules/standardwebhooks/package.json" ]; then
  rm -f "$dir/installed.json"
  cp "$here/package.json" "$here/package-lock.json" "$dir/"
  if ! (cd "$dir" && timeout 300 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error \
    --fetch-retries=1 >"$dir/npm.log" 2>&1); then
    echo "install.sh: npm could not install the standardwebhooks package into $dir" \
      "(it needs the package registry, once); npm said:" >&2
    # what went wrong, without the stack trace
    grep -v '^npm error  *at ' "$dir/npm.log" | head -n 8 >&2
    exit 1
  fi
  cp "$here/package-lock.json" "$dir/installed.json"
fi
printf '%s\n' "$dir/node_modules"
