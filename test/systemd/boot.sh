#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# boot.sh: boot a real systemd (Debian bookworm) in systemd-nspawn, for test/test_units_booted.py, on a
# machine whose PID 1 is not systemd. Adapted from the workplace's shared/tools/boot-systemd.sh: the
# project keeps its own copy so that its tests depend on nothing outside the repository.
#
# Debootstraps a rootfs once into a cache (keyed by the package list), mounts a fresh overlay on it, boots
# it from a cgroup of its own (never from the root cgroup: a manager started there takes over every
# process of that cgroup), waits for "running". Idempotent: a running container of this NAME is reused.
# Knobs: NAME (oly-units), SDP (work folder, /var/tmp/oly-systemd-test), EXTRA_PKGS (comma list),
#        BIND (space-separated host folders bind-mounted read-write at the same path), BOOT_TIMEOUT (60 s).
# Prints KEY=VALUE lines (root=, leader=, exec=) last. User tester (uid 1000) lingers: user@1000 runs.
set -euo pipefail
SDP=${SDP:-/var/tmp/oly-systemd-test}; NAME=${NAME:-oly-units}; BOOT_TIMEOUT=${BOOT_TIMEOUT:-60}
# oly's runtime libraries (Debian 12 names) on top of a booted systemd with user sessions. libwebsockets
# loads its libuv event loop as a plugin at run time: without libwebsockets-evlib-uv, oly-http serves HTTP
# but disables WebSocket attach ("unable to load evlib plugin evlib_uv").
OLY_PKGS=libsqlite3-0,libjson-c5,libvterm0,libpcre2-8-0,libmicrohttpd12,libwebsockets17,libwebsockets-evlib-uv,libuv1
OLY_PKGS=$OLY_PKGS,libargon2-1,libgnutls30
PKGS=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,libsystemd0,procps,iproute2,$OLY_PKGS${EXTRA_PKGS:+,$EXTRA_PKGS}
CACHE=$SDP/cache/bookworm-$(echo "$PKGS" | md5sum | cut -c1-8)   # pristine rootfs (read-only lower layer)
M=$SDP/machines/$NAME; ROOT=$M/root; CG=oly-ct-$NAME
t0=$(date +%s%N); el() { echo "$(( ($(date +%s%N) - t0) / 1000000 )) ms"; }
for t in debootstrap systemd-nspawn nsenter; do
        command -v $t >/dev/null || { echo "boot.sh: $t is missing (packages debootstrap, systemd-container)" >&2; exit 3; }
done
summary() { echo "root=$ROOT"; echo "leader=$(cat $M/leader.pid)"; echo "exec=$M/exec"; }

if [ -f $M/nspawn.pid ] && kill -0 "$(cat $M/nspawn.pid)" 2>/dev/null && [ -f $M/leader.pid ] \
   && nsenter -t "$(cat $M/leader.pid)" -a systemctl is-system-running 2>/dev/null | grep -qE 'running|degraded'; then
        echo "[$NAME] already running"; summary; exit 0
fi

if [ ! -f $CACHE/.ready ]; then
        MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
        [ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
        rm -rf $SDP/cache/bookworm-*; mkdir -p $SDP/cache   # a cache of another package list goes
        echo "[$NAME] debootstrap (cold cache) ..."
        debootstrap --variant=minbase --include=$PKGS bookworm $CACHE "$MIRROR" >$CACHE.log 2>&1 \
                || { echo "debootstrap failed:" >&2; tail -20 $CACHE.log >&2; exit 1; }
        echo "$NAME" >$CACHE/etc/hostname
        chroot $CACHE useradd -m -u 1000 -s /bin/bash tester
        mkdir -p $CACHE/var/lib/systemd/linger && touch $CACHE/var/lib/systemd/linger/tester
        chroot $CACHE passwd -d root >/dev/null
        rm -f $CACHE/var/cache/apt/archives/*.deb
        touch $CACHE/.ready
        echo "[$NAME] rootfs cached at $CACHE ($(el))"
fi

"$(dirname "$0")"/teardown.sh >/dev/null 2>&1 || true   # a stale one of this NAME is discarded
mkdir -p $M/upper $M/work $ROOT
mount -t overlay overlay -o lowerdir=$CACHE,upperdir=$M/upper,workdir=$M/work $ROOT

# Own cgroup first (name=systemd + unified hierarchies on a hybrid host; unified alone on a v2 host).
HIER=(); for h in systemd unified; do [ -d /sys/fs/cgroup/$h ] && HIER+=(/sys/fs/cgroup/$h); done
[ -f /sys/fs/cgroup/cgroup.controllers ] && HIER=(/sys/fs/cgroup)
for h in "${HIER[@]}"; do mkdir -p $h/$CG; done
BINDS=(); for b in ${BIND:-}; do BINDS+=(--bind="$b"); done
setsid bash -c '
        for h in '"${HIER[*]}"'; do echo $$ >$h/'$CG'/cgroup.procs; done
        exec systemd-nspawn -D "$0" -M "$1" --boot --console=pipe --register=no --keep-unit "${@:2}"
' $ROOT $NAME "${BINDS[@]}" </dev/null >$M/console.log 2>&1 &
echo $! >$M/nspawn.pid

LEADER=
for _ in $(seq $((BOOT_TIMEOUT * 10))); do
        LEADER=$(ps --ppid "$(cat $M/nspawn.pid)" -o pid= 2>/dev/null | tr -d ' ' | head -1 || true)
        [ -n "$LEADER" ] && [ "$(cat /proc/$LEADER/comm 2>/dev/null)" = systemd ] && break
        LEADER=; sleep 0.1
        kill -0 "$(cat $M/nspawn.pid)" 2>/dev/null || { echo "nspawn died:" >&2; cat $M/console.log >&2; exit 1; }
done
[ -n "$LEADER" ] || { echo "no container PID 1 after ${BOOT_TIMEOUT}s" >&2; exit 1; }
echo $LEADER >$M/leader.pid
STATE=; end=$((SECONDS + BOOT_TIMEOUT))
while [ $SECONDS -lt $end ]; do   # the manager's bus may not be up right after PID 1 appears: poll
        STATE=$(nsenter -t $LEADER -a systemctl is-system-running 2>/dev/null || true)
        case "$STATE" in running | degraded | maintenance | stopping) break ;; esac
        sleep 0.1
done
printf '#!/bin/sh\n# run a client command inside container %s as root (it stays in the host cgroup)\nexec nsenter -t %s -a "$@"\n' \
        $NAME $LEADER >$M/exec
chmod +x $M/exec
echo "[$NAME] booted: state=$STATE in $(el)"
[ "$STATE" = running ] || { $M/exec systemctl --failed --no-pager >&2 || true; exit 2; }
summary
