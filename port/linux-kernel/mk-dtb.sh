#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Produces the device tree Linux boots with: QEMU's own tree for the machine, dumped with the same -bios we boot
# (with firmware loaded QEMU leaves devices such as the PL061 at 0x9030000 out, and a tree dumped without it
# makes Linux probe hardware that is not there), then edited with dtc:
#   - cpu@1 and the cpu-map that names it are deleted: the second CPU belongs to the secure payload; every other
#     CPU (cpu@0, and cpu@2, cpu@3 with -smp 3 or 4) gets enable-method "psci": Linux starts them with CPU_ON;
#     with TZCHAN_DTB_ALL_CPUS=1 (the firmware for an SMP Linux, where every CPU runs both worlds) cpu@1 stays and
#     every CPU gets enable-method "psci";
#   - a psci node (1.0, method smc): our monitor answers VERSION, FEATURES, CPU_ON, CPU_OFF, AFFINITY_INFO,
#     MIGRATE_INFO_TYPE, SYSTEM_OFF/RESET;
#   - the tzchan node: the driver binds to it and gets the secure side's doorbell SPI from it;
#   - /chosen: bootargs (plus TZCHAN_INIT_ARGS from the environment for /init) and where the initramfs was loaded.
# Usage: mk-dtb.sh <firmware.bin> <initramfs> <initrd address> <out.dtb> [qemu machine options...]
set -eu
fw=$1 initrd=$2 initrd_pa=$3 out=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
# arguments for /init (TZCHAN_INIT_ARGS), after "--" so the kernel passes them on untouched
initargs=""
[ -n "${TZCHAN_INIT_ARGS:-}" ] && initargs=" -- $TZCHAN_INIT_ARGS"
spi=$(sed -n 's/^#define LK_DOORBELL_SPI \([0-9]*\)u.*/\1/p' "$here/../trustzone/common/lk_smc.h")
work=$out.d
mkdir -p "$work"
qemu-system-aarch64 "$@" -machine dumpdtb="$work/qemu.dtb" -bios "$fw" -display none >/dev/null
dtc -q -I dtb -O dts -o "$work/qemu.dts" "$work/qemu.dtb"
sed -i '/^\/dts-v1\/;/d' "$work/qemu.dts"
size=$(stat -c %s "$initrd")
end=$(printf '0x%x' $((initrd_pa + size)))
all_cpus=${TZCHAN_DTB_ALL_CPUS:-0}
cpumap=""
grep -q 'cpu-map {' "$work/qemu.dts" && [ "$all_cpus" != 1 ] && cpumap="/delete-node/ cpu-map;"
delcpu1="/delete-node/ cpu@1;"
[ "$all_cpus" = 1 ] && delcpu1=""
# the normal world's CPUs: every cpu@N of QEMU's tree but cpu@1
psci_cpus=""
for n in $(sed -n 's/^\t\tcpu@\([0-9a-f]*\) {$/\1/p' "$work/qemu.dts"); do
    [ "$n" = 1 ] && [ "$all_cpus" != 1 ] && continue
    psci_cpus="$psci_cpus
&{/cpus/cpu@$n} {
	enable-method = \"psci\";
};"
done
cat > "$work/tzchan.dts" <<DTS
/dts-v1/;
/include/ "qemu.dts"
/ {
	psci {
		compatible = "arm,psci-1.0", "arm,psci-0.2";
		method = "smc";
	};
	tzchan {
		compatible = "tzchan,secure-channel";
		interrupts = <0x00 $spi 0x01>; /* GIC_SPI, edge rising */
	};
	chosen {
		bootargs = "console=ttyAMA0 earlycon=pl011,0x9000000 rdinit=/init panic=-1$initargs";
		linux,initrd-start = <0x00 $initrd_pa>;
		linux,initrd-end = <0x00 $end>;
	};
};
&{/cpus} {
	$cpumap
	$delcpu1
};
$psci_cpus
DTS
dtc -q -I dts -O dtb -o "$out" "$work/tzchan.dts"
