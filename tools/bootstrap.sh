#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The two commands of the README, on a fresh Debian 12 as root:
#   tools/bootstrap.sh        install dependencies, build, install to /usr/local, start the daemon
#   tools/bootstrap.sh test   install dependencies, build, install, run every test (C unit + pytest)
set -euo pipefail

mode=${1:-run}
case "$mode" in
run | test) ;;
-h | --help)
        sed -n '3,5p' "$0"
        exit 0
        ;;
*)
        echo "usage: $0 [run|test]" >&2
        exit 2
        ;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "$(id -u)" -ne 0 ]; then
        echo "bootstrap.sh installs packages: run it as root (sudo $0 $mode)." >&2
        exit 1
fi

# Build and runtime dependencies; why each is here is in README.md ("Dependencies").
packages=(
        build-essential meson ninja-build pkg-config
        libsystemd-dev libsqlite3-dev libjson-c-dev libvterm-dev libpcre2-dev
        libmicrohttpd-dev libwebsockets-dev libwebsockets-evlib-uv libuv1-dev libargon2-dev libgnutls28-dev nettle-dev
        systemd dbus util-linux procps sqlite3 ca-certificates
)
# What the tests drive: pytest and friends from Debian (no PyPI here), busctl/systemd-socket-activate
# (systemd), setpriv (util-linux).
# The web UI's test runs Debian's chromium through playwright-core (npm); wrk is for bench/.
# The unit files are tested in a booted systemd: systemd-nspawn on a debootstrapped Debian (test/systemd/).
test_packages=(python3 python3-pytest python3-requests python3-websocket python3-pyte python3-cryptography openssl bash less strace gdb openssh-client
        chromium wrk systemd-container debootstrap)

echo "==> Installing packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" "${test_packages[@]}" >/dev/null
# The web UI's npm packages (xterm.js) need node and npm: Debian's, unless the machine has its own.
if ! command -v npm >/dev/null 2>&1; then
        apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

echo "==> Fetching the web UI's npm packages (xterm.js)"
# Pinned by package-lock.json; copied into web/vendor/ (served as /vendor/...) by vendor.sh.
(cd web && npm ci --no-audit --no-fund --loglevel=error && sh ./vendor.sh)
if [ "$mode" = test ]; then
        # The browser test drives Debian's chromium through playwright-core: never download a browser.
        (cd test/web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

echo "==> Building"
meson_opts=(--buildtype=debugoptimized --prefix=/usr/local)
[ "${CI:-}" = true ] && meson_opts+=(-Dwerror=true)
if [ -d build ]; then
        meson setup --reconfigure build "${meson_opts[@]}" >/dev/null
else
        meson setup build "${meson_opts[@]}" >/dev/null
fi
ninja -C build

echo "==> Installing to /usr/local"
meson install -C build --quiet

if [ "$mode" = run ]; then
        # Sessions belong to a user: under sudo, start the daemon for the user who asked, not for root.
        as=()
        if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
                uid=$(id -u "$SUDO_USER")
                as=(runuser -u "$SUDO_USER" -- env HOME="$(getent passwd "$SUDO_USER" | cut -d: -f6)")
                [ -d "/run/user/$uid" ] && as+=(XDG_RUNTIME_DIR="/run/user/$uid")
        fi
        echo "==> Starting oly${SUDO_USER:+ for $SUDO_USER}"
        if "${as[@]}" oly ls >/dev/null 2>&1; then
                echo "oly daemon is already running."
        else
                # The first start asks for the web UI's password on the terminal; for unattended set-ups
                # OLY_WEB_PASSWORD_FILE names a file whose first line is the password.
                pwopt=()
                [ -n "${OLY_WEB_PASSWORD_FILE:-}" ] && pwopt=(--password-file "$OLY_WEB_PASSWORD_FILE")
                "${as[@]}" oly daemon start --detach "${pwopt[@]}"
        fi
        echo "Try: oly start --detach -- sh -c 'echo hello; sleep 60' && oly ls"
        exit 0
fi

echo "==> Running the tests"
# The C unit tests run inside pytest too (test/test_unit.py), so one summary counts everything.
exec /usr/bin/python3 -m pytest -v -p no:cacheprovider test
