#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Copies the xterm.js files the page loads (index.html: vendor/xterm.js, vendor/xterm.css, vendor/addon-fit.js)
# from web/node_modules (run `npm ci` in web/ first) into web/vendor/, or into DEST when given.
# As a meson install script, a relative DEST is taken under $MESON_INSTALL_DESTDIR_PREFIX.
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
dest=${1:-$here/vendor}
case $dest in
/*) ;;
*) [ -n "${MESON_INSTALL_DESTDIR_PREFIX:-}" ] && dest=$MESON_INSTALL_DESTDIR_PREFIX/$dest ;;
esac

nm=$here/node_modules/@xterm
set -- "$nm/xterm/lib/xterm.js" "$nm/xterm/css/xterm.css" "$nm/addon-fit/lib/addon-fit.js"
for f; do
        if [ ! -f "$f" ]; then
                echo "vendor.sh: missing $f; run 'npm ci' in $here first" >&2
                exit 1
        fi
done

mkdir -p -- "$dest"
cp -- "$@" "$dest/"
cp -- "$nm/xterm/LICENSE" "$dest/xterm.LICENSE"
cp -- "$nm/addon-fit/LICENSE" "$dest/addon-fit.LICENSE"
