#!/bin/sh
# Install the Debian packages ringfence needs, skipping those already present.
#   scripts/system-deps.sh run    what `make run` needs
#   scripts/system-deps.sh test   that plus the real peers the test suite talks to
set -eu

RUN_PACKAGES="ca-certificates"
TEST_PACKAGES="chromium chromium-driver sip-tester espeak-ng sox coturn fonts-dejavu-core redis-server"

case "${1:-run}" in
  run) wanted="$RUN_PACKAGES" ;;
  test) wanted="$RUN_PACKAGES $TEST_PACKAGES" ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=""
for pkg in $wanted; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "installing Debian packages:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
