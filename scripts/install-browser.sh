#!/usr/bin/env bash
# Installs what the workbench's browser test (WorkbenchBrowserIT) drives: Debian's chromium and
# its chromedriver, when they are not there yet. Needs root (or sudo) and Debian's package mirror.
set -euo pipefail
if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  exit 0
fi
echo "install-browser: installing Debian's chromium and chromium-driver for the browser test" >&2
sudo=()
[[ $(id -u) == 0 ]] || sudo=(sudo)
"${sudo[@]}" apt-get update -qq >/dev/null || true
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null
/usr/bin/chromium --version >&2
