#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The driver as users get it: builds the Debian packages (dpkg-buildpackage -us -uc -b) from a copy of the tree,
# checks there are exactly the four (libtzchan0, libtzchan-dev, tzchan-tools, tzchan-dkms), unpacks tzchan-dkms
# into a clean folder, checks its dkms.conf, udev rule and maintainer scripts, checks that the device-tree binding
# (port/linux-kernel/Documentation/tzchan.yaml) names what the driver matches and mk-dtb.sh writes and that its
# example compiles, builds the module from the installed source tree the
# way DKMS does (make -C <kernel build folder> M=/usr/src/tzchan-<version>, no other variable but the cross
# compiler's) against the cached arm64 kernel the QEMU test boots (kernel/build-kernel.sh, in
# $TZCHAN_KERNEL_CACHE), and boots QEMU TrustZone with that module: the production test (traffic, the test ioctls
# absent, the kernel log clean, the secure side's verdict). Skips (77) where the packaging tools, the cross
# compiler, QEMU or linux-source-6.1 are missing.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
lk=$top/port/linux-kernel
for t in dpkg-buildpackage dh cmake pkg-config go-md2man help2man aarch64-linux-gnu-gcc qemu-system-aarch64 dtc; do
  command -v $t >/dev/null || { echo "skip: $t missing"; exit 77; }
done
[ -f "${TZCHAN_LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}" ] || { echo "skip: linux-source-6.1 missing"; exit 77; }
work=$top/build-dkms
rm -rf "$work"
mkdir -p "$work/src"
t0=$SECONDS
step() { echo "--- $* ($((SECONDS - t0)) s)"; }
die() { echo "FAIL: $*"; exit 1; }

step "1. dpkg-buildpackage -us -uc -b"
git -C "$top" ls-files -z | (cd "$top" && xargs -0 tar cf - --no-recursion) | tar xf - -C "$work/src"
(cd "$work/src" && dpkg-buildpackage -us -uc -b -j2 >"$work/build.log" 2>&1) || { tail -50 "$work/build.log"; exit 1; }
got=$(cd "$work" && ls ./*.deb | sed 's|^\./||; s/_.*//' | grep -v -- '-dbgsym$' | sort | tr '\n' ' ')
want="libtzchan-dev libtzchan0 tzchan-dkms tzchan-tools "
[ "$got" = "$want" ] || die "packages built: $got; want exactly: $want"
echo "four packages: $got"

step "2. tzchan-dkms unpacked into a clean folder"
deb=$(ls "$work"/tzchan-dkms_*_all.deb)
root=$work/root
dpkg -x "$deb" "$root"
dpkg -c "$deb" | awk '{print $6}' | grep -v '/$'
version=$(dpkg-deb -f "$deb" Version | sed 's/-[^-]*$//')
tree=$root/usr/src/tzchan-$version
conf=$tree/dkms.conf
[ -f "$conf" ] || die "no $conf"
for line in 'PACKAGE_NAME="tzchan"' "PACKAGE_VERSION=\"$version\"" 'BUILT_MODULE_NAME[0]="tzchan"' \
            'DEST_MODULE_LOCATION[0]="/updates/dkms"' 'AUTOINSTALL="yes"' \
            'MAKE[0]="make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build"' \
            'CLEAN="make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build clean"'; do
  grep -qxF "$line" "$conf" || die "dkms.conf lacks the line: $line"
done
! grep -v '^#' "$conf" | grep -q TZCHAN_TEST_HOOKS || die "dkms.conf sets the test hooks"
rule=$(ls "$root"/lib/udev/rules.d/*tzchan*.rules "$root"/usr/lib/udev/rules.d/*tzchan*.rules 2>/dev/null | head -1)
[ -n "$rule" ] || die "no udev rule for /dev/tzchan"
grep -v '^#' "$rule" | grep -q 'KERNEL=="tzchan".*GROUP="tzchan".*MODE="0660"' || die "$rule: want group tzchan, mode 0660"
dpkg-deb -e "$deb" "$work/control"
grep -q 'addgroup --system' "$work/control/postinst" || die "the postinst does not create the group tzchan"
grep -q "common.postinst \"\$name\" \"\$version\"" "$work/control/postinst" && \
  grep -q "^version=$version\$" "$work/control/postinst" "$work/control/prerm" || die "the maintainer scripts' version"
echo "dkms.conf, udev rule ($(basename "$rule")) and maintainer scripts as expected"

step "3. the device-tree binding agrees with the driver and with the tree the test boots"
binding=$lk/Documentation/tzchan.yaml
compat=$(sed -n 's/^    const: \(tzchan,.*\)$/\1/p' "$binding")
spi=$(sed -n 's/^#define LK_DOORBELL_SPI \([0-9]*\)u.*/\1/p' "$top/port/trustzone/common/lk_smc.h")
[ "$compat" = tzchan,secure-channel ] || die "$binding: compatible '$compat'"
grep -qF "{ .compatible = \"$compat\" }" "$lk/module/tzchan_drv.c" || die "the driver does not match $compat"
grep -qF "compatible = \"$compat\";" "$lk/mk-dtb.sh" || die "mk-dtb.sh does not write $compat"
grep -qF "interrupts = <GIC_SPI $spi IRQ_TYPE_EDGE_RISING>;" "$binding" || die "$binding: the example's SPI is not $spi"
# the example compiles (dtc without the preprocessor: the two macros by hand)
sed -n '/^examples:/,/^\.\.\./p' "$binding" | sed '1,2d;$d' | grep -v '#include' | \
  sed 's/GIC_SPI/0/; s/IRQ_TYPE_EDGE_RISING/1/' | { echo '/dts-v1/; / {'; cat; echo '};'; } >"$work/example.dts"
dtc -q -I dts -O dtb -o "$work/example.dtb" "$work/example.dts" || die "the binding's example does not compile"
echo "binding $compat, doorbell SPI $spi: driver, mk-dtb.sh and the example agree"

step "4. the kernel the QEMU test boots"
kobj=$("$lk/kernel/build-kernel.sh" "${TZCHAN_KERNEL_CACHE:-$top/build-kernel-cache}" 2 | tail -n 1) || die "kernel build"
echo "$kobj"

step "5. the module built from the installed tree, the DKMS way"
# DKMS runs MAKE[0] with kernel_source_dir = the kernel's build folder and M = its copy of this tree; here M is the
# tree itself. Only the cross compiler is added: nothing else may be needed.
make -C "$kobj" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -j2 M="$tree" >"$work/module.log" 2>&1 || \
  { cat "$work/module.log"; die "the module does not build from the installed tree"; }
! grep -i 'warning:' "$work/module.log" || die "warnings while building the module"
ko=$tree/tzchan.ko
[ -f "$ko" ] || die "no $ko"
! grep -aq 'parm=debug_' "$ko" || die "the installed tree's module has the test hooks (debug_* parameters)"
echo "$ko: $(stat -c %s "$ko") bytes, no test hooks"

step "6. QEMU TrustZone with that module"
rc=0
TZCHAN_MODULE_KO=$ko TZCHAN_MODULE_MODE=production "$lk/run-linux.sh" "$work/qemu" >"$work/qemu.log" 2>&1 || rc=$?
grep -E '^(module|tzchan-test|device|messages|bytes|doorbells|reload|privilege|skipped|unbind|second|interruptible|set-lane|hostile: PASS|RESULT|verdict|registrations)|VERDICT|kernel log clean|^PASS|^FAIL|QEMU exit status' \
  "$work/qemu.log" || true
[ $rc -eq 0 ] || { tail -40 "$work/qemu.log"; die "the QEMU run with the DKMS-built module failed (exit $rc)"; }
echo "dkms: four packages; tzchan-dkms's tree builds the production module the DKMS way; it passes on QEMU" \
     "($((SECONDS - t0)) s)"
