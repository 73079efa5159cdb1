#!/bin/busybox sh
# SPDX-License-Identifier: Apache-2.0
# /init of the kTLS lane's initramfs (tools/ktls-lane.sh builds it): loads
# the TLS modules in dependency order (there is no modules.dep), brings
# loopback up, runs every program in /lane/run in name order with the
# arguments in /lane/args, prints what each returned (and how long it
# took, for the record), powers off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "LANE kernel $(uname -r)"
for m in $(cat /lane/modules); do
	insmod "/lane/mod/$m.ko" || echo "LANE insmod $m FAIL"
done
ip link set lo up
for t in /lane/run/*; do
	start=$(date +%s)
	"$t" $(cat /lane/args)
	rc=$?
	echo "LANE-RUN $(basename "$t") rc=$rc seconds=$(($(date +%s) - start))"
done
echo "LANE-DONE"
poweroff -f
