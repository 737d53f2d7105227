#!/bin/sh
# Install the Debian packages ringfence needs, skipping those already present.
#   scripts/system-deps.sh run    what `make run` needs: every page and command works with these
#   scripts/system-deps.sh test   that plus the real peers the test suite talks to
#
# What the code runs outside Python (grep shutil.which / create_subprocess_exec in src/):
#   espeak-ng, sox     spoken prompts (ring, `ringfence call --say`, agents' espeak voice), and
#                      audio files (WAV, FLAC) to call audio (`ringfence call --play`)
# Every other native library comes inside the Python wheels. coturn is optional (roulette relays
# media through TURN only when RINGFENCE_ROULETTE__TURN_URLS is set), so only the tests install it.
set -eu

RUN_PACKAGES="ca-certificates espeak-ng sox"
TEST_PACKAGES="chromium chromium-driver sip-tester coturn fonts-dejavu-core redis-server"

# `python3 -m venv` needs ensurepip, which Debian ships apart; another Python may have its own.
if ! "${PYTHON:-python3}" -c 'import ensurepip, venv' 2>/dev/null; then
  RUN_PACKAGES="$RUN_PACKAGES python3-venv"
fi

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
