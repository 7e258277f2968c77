# Shared by scripts/capture-fixtures and tests/e2e/run: pick the host's Debian kernel, build a
# busybox initramfs with dynamically linked tools and kernel modules, and boot it in QEMU with KVM
# when it works, TCG otherwise. Source it; it defines functions and uses $IR (the initramfs tree).

# guest_kernel: sets KVER and KERNEL (newest /boot/vmlinuz-* that has its modules, or $KVER).
guest_kernel() {
    if [ -z "${KVER:-}" ]; then
        KVER=
        for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V); do
            [ -d "/lib/modules/$k/kernel" ] && KVER=$k
        done
        [ -n "$KVER" ] || { echo "no /boot/vmlinuz-<ver> with /lib/modules/<ver>: apt-get install linux-image-amd64" >&2; return 1; }
    fi
    KERNEL=/boot/vmlinuz-$KVER
    [ -r "$KERNEL" ] || { echo "cannot read $KERNEL" >&2; return 1; }
}

# initramfs_skeleton: an empty tree at $IR with the static busybox.
initramfs_skeleton() {
    mkdir -p "$IR"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,modules,etc,root}
    cp /bin/busybox "$IR/bin/busybox"
}

# copy_with_libs BIN DEST: a dynamically linked program and every library ldd lists.
copy_with_libs() {
    local bin=$1 dest=$2
    mkdir -p "$IR$(dirname "$dest")"
    cp -L "$bin" "$IR$dest"
    ldd "$bin" | grep -oE '/[^ ]+' | while read -r lib; do
        [ -e "$lib" ] || continue
        mkdir -p "$IR$(dirname "$lib")"
        [ -e "$IR$lib" ] || cp -L "$lib" "$IR$lib"
    done
}

# add_modules MOD...: the modules and their dependencies, uncompressed, in load order, listed in
# $IR/modules/order.
add_modules() {
    touch "$IR/modules/order"
    for m in "$@"; do
        modprobe -S "$KVER" --show-depends "$m" || { echo "modprobe cannot resolve $m for $KVER" >&2; return 1; }
    done | awk '$1 == "insmod" { print $2 }' | while read -r ko; do
        name=$(basename "$ko")
        case "$name" in
            *.ko.xz) out=${name%.xz}; [ -e "$IR/modules/$out" ] || xz -dc "$ko" >"$IR/modules/$out" ;;
            *.ko.zst) out=${name%.zst}; [ -e "$IR/modules/$out" ] || zstd -qdc "$ko" >"$IR/modules/$out" ;;
            *.ko.gz) out=${name%.gz}; [ -e "$IR/modules/$out" ] || gzip -dc "$ko" >"$IR/modules/$out" ;;
            *) out=$name; [ -e "$IR/modules/$out" ] || cp "$ko" "$IR/modules/$out" ;;
        esac
        grep -qxF "$out" "$IR/modules/order" || echo "$out" >>"$IR/modules/order"
    done
}

# pack_initramfs OUT: the tree as a gzip'd newc cpio.
pack_initramfs() {
    (cd "$IR" && find . | LC_ALL=C sort | cpio --quiet -o -H newc | gzip -1) >"$1"
}

# accel_args NAME: sets ACCEL_ARGS for kvm or tcg.
accel_args() {
    case "$1" in
        kvm) ACCEL_ARGS=(-enable-kvm -smp 2) ;;
        tcg) ACCEL_ARGS=(-accel tcg -smp 1) ;;   # one vCPU: MTTCG on a busy 2-core host stalls RCU
        *) echo "unknown accelerator $1" >&2; return 1 ;;
    esac
}

# accel_candidates: sets ACCELS from $ACCEL (auto|kvm|tcg): KVM first when /dev/kvm is usable.
accel_candidates() {
    case "${ACCEL:-auto}" in
        auto) if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then ACCELS=(kvm tcg); else ACCELS=(tcg); fi ;;
        kvm | tcg) ACCELS=("$ACCEL") ;;
        *) echo "ACCEL must be auto, kvm or tcg" >&2; return 1 ;;
    esac
}

# boot_guest ACCEL CONSOLE MARKER TIMEOUT QEMU_ARGS...: runs QEMU until the guest powers off, its
# first serial port (ttyS0) written to CONSOLE.
# Under KVM, a guest that has not printed MARKER on its console within $KVM_PROBE_SECONDS (nested
# KVM can hang in early boot), or whose KVM stopped it with an internal error (nested KVM failing
# to emulate firmware code; QEMU then waits paused), is stopped and the call fails, so the caller
# can retry with TCG. QEMU's own messages go to stderr and to CONSOLE.qemu.
# $QEMU is the command run (default qemu-system-x86_64; a function that execs QEMU elsewhere, in
# a network namespace say, keeps the PID); $QEMU_PID holds QEMU's PID while it runs, for the
# caller's clean-up.
boot_guest() {
    local accel=$1 console=$2 marker=$3 timeout=$4 pid waited=0 rc
    shift 4
    accel_args "$accel"
    rm -f "$console" "$console.qemu"
    "${QEMU:-qemu-system-x86_64}" "${ACCEL_ARGS[@]}" -serial "file:$console" "$@" </dev/null 2> >(tee "$console.qemu" >&2) &
    pid=$!
    QEMU_PID=$pid
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$accel" = kvm ] && grep -q "^KVM internal error" "$console.qemu" 2>/dev/null; then
            echo "KVM stopped the guest with an internal error after $waited s; stopping it" >&2
            kill "$pid" 2>/dev/null || true
        elif [ "$accel" = kvm ] && [ $waited -ge "${KVM_PROBE_SECONDS:-45}" ] && ! grep -q "$marker" "$console" 2>/dev/null; then
            echo "KVM guest did not reach its /init in ${KVM_PROBE_SECONDS:-45} s; stopping it" >&2
            kill "$pid" 2>/dev/null || true
        elif [ $waited -ge "$timeout" ]; then
            echo "guest still running after $timeout s; stopping it" >&2
            kill "$pid" 2>/dev/null || true
        fi
        sleep 1
        waited=$((waited + 1))
    done
    wait "$pid" && rc=0 || rc=$?
    QEMU_PID=
    [ $rc -eq 0 ] && grep -q "$marker" "$console" 2>/dev/null
}
