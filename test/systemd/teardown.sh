#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# teardown.sh: stop the container NAME that boot.sh started, unmount its overlay, remove its cgroups.
# Keeps the cached rootfs; PURGE_CACHE=1 deletes it too. Adapted from the workplace's
# shared/tools/teardown-systemd.sh (the project keeps its own copy). Exits non-zero if anything is left.
SDP=${SDP:-/var/tmp/oly-systemd-test}; NAME=${NAME:-oly-units}; M=$SDP/machines/$NAME; CG=oly-ct-$NAME
if [ -f $M/nspawn.pid ]; then
        P=$(cat $M/nspawn.pid)
        if kill -0 $P 2>/dev/null; then
                kill -TERM $P   # 1st SIGTERM: clean halt of the container
                for _ in $(seq 100); do kill -0 $P 2>/dev/null || break; sleep 0.1; done
                kill -0 $P 2>/dev/null && { kill -TERM $P; sleep 1; }   # 2nd SIGTERM: immediate
                kill -0 $P 2>/dev/null && { kill -KILL $P; sleep 0.2; }
        fi
        rm -f $M/nspawn.pid $M/leader.pid
fi
mountpoint -q $M/root && umount $M/root
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
        [ -d $h/$CG ] && find $h/$CG -depth -type d -exec rmdir {} \; 2>/dev/null
done
left=0
mountpoint -q $M/root && { echo "still mounted: $M/root" >&2; left=1; }
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
        [ -d $h/$CG ] && { echo "cgroup left: $h/$CG" >&2; left=1; }
done
[ $left = 0 ] && rm -rf $M
[ "${PURGE_CACHE:-0}" = 1 ] && rm -rf $SDP/cache
echo "[$NAME] torn down"
exit $left
