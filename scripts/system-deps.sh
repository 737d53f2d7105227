#!/bin/sh
# Install the Debian packages ringfence needs, skipping those already present.
#   scripts/system-deps.sh run    what `make run` needs: every page and command works with these
#   scripts/system-deps.sh test   that plus the real peers the test suite talks to
#
# What the code runs outside Python (grep shutil.which / create_subprocess_exec in src/):
#   espeak-ng, sox     spoken prompts (ring, `ringfence call --say`, agents' espeak voice), and
#                      audio files (WAV, FLAC) to call audio (`ringfence call --play`)
#   coturn             roulette's TURN relay: `ringfence serve` runs `turnserver` as its own child
#                      (its own port, a secret made per run), so strangers never see each
#                      other's IP address
# Every other native library comes inside the Python wheels.
set -eu

RUN_PACKAGES="ca-certificates espeak-ng sox coturn"
TEST_PACKAGES="chromium chromium-driver sip-tester fonts-dejavu-core redis-server kamailio"

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

# Debian starts the coturn package's own service (port 3478, /etc/turnserver.conf) and kamailio's
# (port 5060, /etc/kamailio); ringfence runs its own relay, and the tests their own proxy with
# deploy/kamailio/kamailio.cfg, so when this script installed either, it stops that service.
for service in coturn kamailio; do
  case " $missing " in
    *" $service "*)
      if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled --quiet "$service" 2>/dev/null; then
        $SUDO systemctl disable --now "$service" >/dev/null 2>&1 || true
      fi
      ;;
  esac
done
