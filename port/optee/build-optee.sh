#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds the secure-world firmware for the OP-TEE test from the third-party source snapshots and caches it:
#   OP-TEE OS 4.10.0 (PLATFORM=vexpress-qemu_armv8a, the tzchan pseudo TA from pta/ built in: pta/sub.mk) as BL32,
#   and TF-A v2.14.0 (PLAT=qemu) as BL1/BL2/BL31, packed into one flash image for QEMU's -bios (BL1 at offset 0, the
#   FIP at 256 KiB, TF-A's QEMU flash layout). BL33 is the Linux kernel Image, which QEMU preloads at the address
#   this script prints (TF-A's PRELOADED_BL33_BASE with ARM_LINUX_KERNEL_AS_BL33=1: BL31 enters it with x0 = the
#   device tree QEMU placed at the base of RAM, which TF-A and OP-TEE complete with their nodes).
# Modes: smc  TF-A SPD=opteed, OP-TEE's own SMC ABI (Linux's optee driver over "arm,smccc" SMC)
#        ffa  TF-A SPD=spmd SPMC_AT_EL3=1, OP-TEE an S-EL1 FF-A partition (CFG_CORE_EL3_SPMC=y)
# The output folder is keyed by a hash of the snapshots' names and sizes, the mode, the recipe number below, pta/,
# the project's include/tzchan/ and the shared sources the PTA compiles ($shared_src: the portable core,
# port/trustzone/common's registration checks, CRC-32 and test-service formats) and the cross compiler's version; it is built in a temporary
# folder under a lock and renamed when complete, so an interrupted build is never used and a rerun with nothing
# changed only checks a stamp. The source trees stay unpacked in the output folder (for debugging: tee.elf is there).
# Usage: build-optee.sh <cache folder> <smc|ffa> [jobs]
# Prints, on its last line of output: <output folder> <BL33 address>; the folder holds flash.bin (for -bios),
# tee.elf and the build logs.
# Env:   TZCHAN_THIRD_PARTY: the snapshots' folder (default: <project>/../shared/third_party)
#        CROSS_COMPILE (default aarch64-linux-gnu-)
# Exit: 0 built or cached, 1 build failed, 2 a snapshot or tool is missing.
set -eu
[ $# -ge 2 ] || { echo "usage: build-optee.sh <cache folder> <smc|ffa> [jobs]" >&2; exit 2; }
cache=$(mkdir -p "$1" && cd "$1" && pwd)
mode=$2
jobs=${3:-2}
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
third=${TZCHAN_THIRD_PARTY:-$project/../shared/third_party}
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
# OP-TEE's and TF-A's build scripts need Debian's python3 (with pyelftools and cryptography), not another one that
# may come first on PATH.
PATH=/usr/bin:$PATH
export PATH
# Where QEMU loads the kernel Image: 2 MiB aligned, above the device tree TF-A may grow to 1 MiB at the base of RAM
# and above OP-TEE's reserved shared memory (CFG_SHMEM_START 0x42000000, 2 MiB; OP-TEE reserves it in the tree)
bl33=0x44000000
optee_tar=optee_os-4.10.0.tar.xz
tfa_tar=trusted-firmware-a-v2.14.0.tar.xz
build_tar=optee-build-4.10.0.tar.xz   # ffa only: its qemu_v8/spmc_el3_manifest.dts is TF-A's SPMC manifest
# Bump when the steps below change what gets built (not for edits that cannot change the result).
recipe=5
# What the pseudo TA compiles from the rest of the project (copied into its folder, see pta/sub.mk).
shared_src="src/tzchan.c src/strerror.c src/atomics.h port/trustzone/common/tz_region.c
    port/trustzone/common/tz_region.h port/trustzone/common/tz_crc32.c port/trustzone/common/tz_crc32.h
    port/trustzone/common/lk_smc.h port/trustzone/common/tz_smc.h"

case $mode in smc|ffa) ;; *) echo "build-optee: mode '$mode': want smc or ffa" >&2; exit 2 ;; esac
for f in "$optee_tar" "$tfa_tar" "$build_tar"; do
    [ -f "$third/$f" ] || { echo "build-optee: $third/$f not found (TZCHAN_THIRD_PARTY)" >&2; exit 2; }
done
for tool in "${cross}gcc" dtc make flock xz sha256sum /usr/bin/python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build-optee: $tool is not installed" >&2; exit 2; }
done
/usr/bin/python3 -c 'import elftools, cryptography' 2>/dev/null || \
    { echo "build-optee: python3-pyelftools or python3-cryptography is not installed" >&2; exit 2; }
[ -f /usr/include/openssl/evp.h ] || { echo "build-optee: libssl-dev is not installed (TF-A's fiptool)" >&2; exit 2; }

key=$( (echo "recipe $recipe, mode $mode, bl33 $bl33"; "${cross}gcc" --version | head -n 1
        for f in "$optee_tar" "$tfa_tar" "$build_tar"; do echo "$f $(stat -c %s "$third/$f")"; done
        cd "$project" && find port/optee/pta include/tzchan $shared_src -type f | LC_ALL=C sort | \
            xargs sha256sum) | sha256sum | cut -c1-16)
out=$cache/optee-$mode-$key
start=$(date +%s)
# One line per stage, with the time since the start, on stderr (stdout carries only the result).
stage() { echo "build-optee: [+$(( $(date +%s) - start )) s] $*" >&2; }

if [ ! -f "$out/.tzchan-built" ]; then
    exec 9>"$cache/.optee-$mode.lock"
    flock 9 # held until this script exits (the builds below do not inherit it)
fi
if [ -f "$out/.tzchan-built" ]; then
    echo "build-optee: cached $mode firmware $key" >&2
    echo "$out $bl33"
    exit 0
fi

tmp=$out.tmp
# Under the lock no other build of this mode runs: any temporary folder of this mode is an interrupted build's.
rm -rf "$cache/optee-$mode-"*.tmp
mkdir -p "$tmp"
stage "unpacking the snapshots into $tmp"
tar -xJf "$third/$optee_tar" -C "$tmp"
tar -xJf "$third/$tfa_tar" -C "$tmp"
[ "$mode" = ffa ] && tar -xJf "$third/$build_tar" -C "$tmp"
[ -d "$tmp/optee_os/core/pta" ] && [ -d "$tmp/trusted-firmware-a/plat/qemu" ] || \
    { echo "build-optee: the snapshots did not unpack to optee_os/ and trusted-firmware-a/" >&2; exit 1; }
# The pseudo TA joins OP-TEE's own PTAs; the project's wire-format headers go beside it.
mkdir -p "$tmp/optee_os/core/pta/tzchan/include"
cp "$here"/pta/*.c "$here"/pta/*.h "$here/pta/sub.mk" "$tmp/optee_os/core/pta/tzchan/"
cp -r "$project/include/tzchan" "$tmp/optee_os/core/pta/tzchan/include/"
mkdir -p "$tmp/optee_os/core/pta/tzchan/shared"
for f in $shared_src; do
    case $f in
    src/*.c) cp "$project/$f" "$tmp/optee_os/core/pta/tzchan/shared/core_$(basename "$f")" ;;
    *) cp "$project/$f" "$tmp/optee_os/core/pta/tzchan/shared/" ;;
    esac
done
printf '\nsubdirs-y += tzchan\n' >> "$tmp/optee_os/core/pta/sub.mk"

# TF-A's QEMU power-off and reset raise the secure GPIO line and call panic() straight after it. QEMU acts on that
# line asynchronously (its main loop stops the machine a moment later), so the vCPU often reaches panic() first and
# prints "PANIC at PC" on every other clean power-off. Give the request up to 10 s of the generic counter before
# calling it a failure: a power-off that does not happen still panics, a normal one no longer races with it.
awk '
/^static void __dead2 qemu_system_(off|reset)\(void\)/ { fn = 1 }
fn && /^\tpanic\(\);$/ {
    print "\t{\t/* added by tzchan build-optee.sh: wait for QEMU to act on the GPIO line */"
    print "\t\tuint64_t tzchan_end = read_cntpct_el0() + 10U * read_cntfrq_el0();"
    print "\t\twhile (read_cntpct_el0() < tzchan_end)"
    print "\t\t\t;"
    print "\t}"
    fn = 0; n++
}
{ print }
END { if (n != 2) exit 1 }' "$tmp/trusted-firmware-a/plat/qemu/common/qemu_pm.c" > "$tmp/qemu_pm.c" || \
    { echo "build-optee: TF-A's qemu_pm.c is not as expected (power-off/reset panic)" >&2; exit 1; }
mv "$tmp/qemu_pm.c" "$tmp/trusted-firmware-a/plat/qemu/common/qemu_pm.c"

# OP-TEE keeps its registered shared-memory objects in lists private to one file each (core/mm/mobj_dyn_shm.c:
# the SMC ABI's registered objects, built only without FF-A; core/arch/arm/mm/mobj_ffa.c: FF-A shared memory
# OP-TEE retrieved, in use or not) and exports no count of them. The test wants OP-TEE's own count, not the PTA's, so each file gets one
# function of ours appended that walks its list under the list's own lock: objects and bytes (the PTA's
# CORE_COUNTS command calls them; tzchan_pta.c declares them). Nothing else in OP-TEE changes.
[ "$mode" = smc ] && cat >> "$tmp/optee_os/core/mm/mobj_dyn_shm.c" <<'C'

/* added by tzchan build-optee.sh: the registered shared-memory objects OP-TEE holds now, and their bytes */
size_t tzchan_count_reg_shm(size_t *bytes);
size_t tzchan_count_reg_shm(size_t *bytes)
{
	struct mobj_reg_shm *r = NULL;
	uint32_t exceptions = cpu_spin_lock_xsave(&reg_shm_slist_lock);
	size_t n = 0;

	*bytes = 0;
	SLIST_FOREACH(r, &reg_shm_list, next) {
		n++;
		*bytes += r->mobj.size;
	}
	cpu_spin_unlock_xrestore(&reg_shm_slist_lock, exceptions);
	return n;
}
C
if [ "$mode" = ffa ]; then
    cat >> "$tmp/optee_os/core/arch/arm/mm/mobj_ffa.c" <<'C'

/* added by tzchan build-optee.sh: the FF-A shared-memory objects OP-TEE holds now (in use or inactive, not yet
 * given back), and their bytes */
size_t tzchan_count_ffa_shm(size_t *bytes);
size_t tzchan_count_ffa_shm(size_t *bytes)
{
	struct mobj_ffa *mf = NULL;
	uint32_t exceptions = cpu_spin_lock_xsave(&shm_lock);
	size_t n = 0;

	*bytes = 0;
	SLIST_FOREACH(mf, &shm_head, link) {
		n++;
		*bytes += mf->mobj.size;
	}
	SLIST_FOREACH(mf, &shm_inactive_head, link) {
		n++;
		*bytes += mf->mobj.size;
	}
	cpu_spin_unlock_xrestore(&shm_lock, exceptions);
	return n;
}
C
fi

# OP-TEE: 64-bit core, GICv3, no user TAs (the tzchan service is a pseudo TA inside the core; without the user-TA
# libraries the build takes about 1.5 min instead of 8 on two cores), info-level log on the
# secure UART, the core heap's allocation statistics (CFG_WITH_STATS=y: malloc_get_stats, read by the PTA's
# CORE_COUNTS; it also builds OP-TEE's statistics PTA). The snapshot has no .git: its commit is given (else OP-TEE asks git, which would answer with the
# commit of any repository around the cache folder, and the FF-A code refuses the 32-bit 0x0 it falls back to). Under FF-A it is the SPMC's S-EL1 partition, its manifest and the device tree passed by TF-A.
optee_flags="PLATFORM=vexpress-qemu_armv8a CFG_ARM64_core=y CFG_ARM_GICV3=y ta-targets=ta_arm64
    CROSS_COMPILE=$cross CROSS_COMPILE_core=$cross CROSS_COMPILE_ta_arm64=$cross
    CFG_TEE_CORE_LOG_LEVEL=2 DEBUG=0 CFG_WERROR=y TEE_IMPL_GIT_SHA1=0x753afbbee168 CFG_WITH_USER_TA=n
    CFG_WITH_STATS=y"
# TF-A: BL32 in the secure DRAM the OP-TEE platform uses, the kernel as a preloaded BL33.
tfa_flags="PLAT=qemu QEMU_USE_GIC_DRIVER=QEMU_GICV3 BL32_RAM_LOCATION=tdram DEBUG=0 LOG_LEVEL=30
    ARM_LINUX_KERNEL_AS_BL33=1 PRELOADED_BL33_BASE=$bl33 CROSS_COMPILE=$cross"
o=$tmp/optee_os/out
if [ "$mode" = smc ]; then
    tfa_flags="$tfa_flags SPD=opteed BL32=$o/core/tee-header_v2.bin BL32_EXTRA1=$o/core/tee-pager_v2.bin
        BL32_EXTRA2=$o/core/tee-pageable_v2.bin"
else
    optee_flags="$optee_flags CFG_CORE_EL3_SPMC=y CFG_DT_ADDR=0x40000000 CFG_CORE_RESERVED_SHM=n"
    tfa_flags="$tfa_flags SPD=spmd SPMC_AT_EL3=1 CTX_INCLUDE_EL2_REGS=0 SPMD_SPM_AT_SEL2=0
        ENABLE_SME_FOR_NS=0 ENABLE_SME_FOR_SWD=0 BL32=$o/core/tee-pager_v2.bin
        QEMU_TOS_FW_CONFIG_DTS=$tmp/optee-build/qemu_v8/spmc_el3_manifest.dts"
fi

stage "building OP-TEE OS ($mode) with -j$jobs"
# shellcheck disable=SC2086
make -C "$tmp/optee_os" O="$o" -j"$jobs" $optee_flags > "$tmp/optee_os.log" 2>&1 9>&- || \
    { tail -n 40 "$tmp/optee_os.log" >&2; echo "build-optee: OP-TEE OS build failed ($tmp/optee_os.log)" >&2; exit 1; }
stage "building TF-A ($mode) with -j$jobs"
# shellcheck disable=SC2086
make -C "$tmp/trusted-firmware-a" -j"$jobs" $tfa_flags all fip > "$tmp/tf-a.log" 2>&1 9>&- || \
    { tail -n 40 "$tmp/tf-a.log" >&2; echo "build-optee: TF-A build failed ($tmp/tf-a.log)" >&2; exit 1; }
t=$tmp/trusted-firmware-a/build/qemu/release
dd if="$t/bl1.bin" of="$tmp/flash.bin" bs=4096 conv=notrunc status=none
dd if="$t/fip.bin" of="$tmp/flash.bin" seek=64 bs=4096 conv=notrunc status=none
cp "$o/core/tee.elf" "$tmp/tee.elf"
touch "$tmp/.tzchan-built"
rm -rf "$out"
mv "$tmp" "$out"
stage "built $out"
echo "$out $bl33"
