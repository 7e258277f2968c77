# Shared by image/build and live-usb/build: a GPT disk image on a loop device, a chroot with its
# own small /dev, and GRUB for legacy BIOS (i386-pc) and UEFI (x86_64-efi) without mounting the
# ESP (the build host's kernel may have no FAT driver: mtools writes it).
# Source it after defining die() and log(); it uses and sets the caller's globals:
#   LOOP    the loop device (set by di_attach; the caller's cleanup detaches it)
#   MOUNTS  the array of mount points, unmounted in reverse order by di_umount_all or the cleanup

# di_attach IMG NPARTS: attaches IMG to a loop device with its partitions, sets LOOP.
# losetup -P asks the kernel to scan the table (BLKRRPART); some kernels ignore it on loop
# devices, so partx adds the partitions (BLKPG) when they do not show up.
di_attach() {
    local img=$1 n=$2
    LOOP=$(losetup -f --show -P "$img") || die "losetup could not attach $img"
    log "$(basename "$img") attached to $LOOP"
    if ! di_wait_parts "$n"; then
        partx -u "$LOOP" 2>/dev/null || true
        partx -a "$LOOP" 2>/dev/null || true
        di_wait_parts "$n" || die "the partitions of $LOOP did not appear (tried losetup -P, partx -u, partx -a)"
    fi
}
di_wait_parts() {
    local i p ok
    for i in $(seq 1 20); do
        ok=1
        for p in $(seq 1 "$1"); do [ -b "${LOOP}p$p" ] || ok=0; done
        [ $ok = 1 ] && return 0
        sleep 0.1
    done
    return 1
}

# di_mount ARGS... MOUNTPOINT: mount and remember it for the cleanup.
di_mount() {
    local target=${!#}
    mkdir -p "$target"
    mount "$@" || die "mount $* failed"
    MOUNTS+=("$target")
}

# di_umount_all [TRIM_MOUNTPOINT...]: unmounts MOUNTS in reverse order; the mount points named
# get fstrim first (the freed blocks go back to the sparse file through the loop's discard).
di_umount_all() {
    local i m t
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        m=${MOUNTS[i]}
        for t in "$@"; do
            [ "$m" = "$t" ] && { fstrim "$m" 2>/dev/null || log "warning: fstrim $m failed"; }
        done
        umount "$m" || die "umount $m failed"
        unset 'MOUNTS[i]'
    done
    MOUNTS=()
}

# di_cleanup_mounts: for an EXIT trap; never fails.
di_cleanup_mounts() {
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
        mountpoint -q "${MOUNTS[i]}" || continue
        umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null ||
            echo "warning: could not unmount ${MOUNTS[i]}" >&2
    done
    MOUNTS=()
}

# di_chroot_dev MNT BLOCKDEV...: a tmpfs /dev in MNT holding the usual character devices, the
# block devices named, and /dev/disk/by-uuid links for those with a file system (grub-mkconfig
# looks for them; this host may have no udev making them). Nothing is created in the host's /dev.
# Also mounts proc and sys.
di_chroot_dev() {
    local mnt=$1 n node major minor b uuid
    shift
    di_mount -t tmpfs -o mode=755,size=1M sv-dev "$mnt/dev"
    for n in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
        IFS=: read -r node major minor <<<"$n"
        mknod -m 666 "$mnt/dev/$node" c "$major" "$minor"
    done
    mkdir -p "$mnt/dev/disk/by-uuid"
    for b in "$@"; do
        IFS=: read -r major minor <"/sys/class/block/$(basename "$b")/dev"
        mknod -m 660 "$mnt$b" b "$major" "$minor"
        uuid=$(blkid -s UUID -o value "$b" 2>/dev/null || true)
        [ -z "$uuid" ] || ln -sf "$b" "$mnt/dev/disk/by-uuid/$uuid"
    done
    di_mount -t proc proc "$mnt/proc"
    di_mount -t sysfs sysfs "$mnt/sys"
}

# di_in_root MNT CMD...: runs CMD in the chroot with a clean environment.
di_in_root() {
    local mnt=$1
    shift
    chroot "$mnt" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"
}

# di_install_grub MNT LOOP ESP_DEV ROOT_UUID LOGFILE: GRUB for BIOS (grub-install i386-pc into the
# BIOS boot partition of LOOP) and UEFI. The UEFI part is what grub-install --target=x86_64-efi
# does, by hand, because grub-install wants the ESP mounted: the modules go to
# /boot/grub/x86_64-efi, a core image with an embedded config finds the root file system by UUID,
# and mtools copies it onto the ESP as \EFI\debian\grubx64.efi and as the removable-media fallback
# \EFI\BOOT\BOOTX64.EFI (UEFI 2.10 §3.5.1.1): no NVRAM entry needed. Both read /boot/grub/grub.cfg.
di_install_grub() {
    local mnt=$1 loop=$2 esp=$3 uuid=$4 glog=$5
    di_in_root "$mnt" grub-install --target=i386-pc --recheck "$loop" >>"$glog" 2>&1 ||
        { cat "$glog" >&2; die "grub-install --target=i386-pc $loop failed"; }
    di_in_root "$mnt" sh -c 'mkdir -p /boot/grub/x86_64-efi &&
        cp /usr/lib/grub/x86_64-efi/*.mod /usr/lib/grub/x86_64-efi/*.lst /boot/grub/x86_64-efi/' ||
        die "copying GRUB's x86_64-efi modules into /boot/grub failed"
    printf 'search.fs_uuid %s root\nset prefix=($root)/boot/grub\n' "$uuid" \
        >"$mnt/boot/grub/x86_64-efi/load.cfg"
    di_in_root "$mnt" grub-mkimage -O x86_64-efi -d /usr/lib/grub/x86_64-efi -o /boot/grub/x86_64-efi/core.efi \
        -c /boot/grub/x86_64-efi/load.cfg -p /boot/grub part_gpt part_msdos ext2 search_fs_uuid \
        >>"$glog" 2>&1 || { cat "$glog" >&2; die "grub-mkimage -O x86_64-efi failed"; }
    export MTOOLS_SKIP_CHECK=1
    # (mtools says "Could not get geometry" of a loop partition: harmless, so its stderr goes to
    # the log and is shown only on failure.)
    mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/debian 2>>"$glog" ||
        { cat "$glog" >&2; die "mmd could not make the EFI directories on $esp"; }
    local dest
    for dest in ::/EFI/debian/grubx64.efi ::/EFI/BOOT/BOOTX64.EFI; do
        mcopy -i "$esp" "$mnt/boot/grub/x86_64-efi/core.efi" "$dest" 2>>"$glog" ||
            { cat "$glog" >&2; die "mcopy of $dest to $esp failed"; }
    done
    mdir -i "$esp" ::/EFI/BOOT/BOOTX64.EFI >/dev/null 2>&1 || die "EFI/BOOT/BOOTX64.EFI is not on $esp"
}

# di_install_grub_signed MNT LOOP ESP_DEV ROOT_UUID LOGFILE: GRUB for BIOS as di_install_grub, and
# for UEFI Debian's signed boot chain, so that a PC with Secure Boot on boots it:
#   \EFI\BOOT\BOOTX64.EFI   shim (shim-signed: signed by Microsoft's third-party UEFI CA; it
#                           carries Debian's key and checks GRUB and the kernel against it)
#   \EFI\BOOT\grubx64.efi   Debian's signed monolithic GRUB (grub-efi-amd64-signed), which shim
#                           loads from its own directory
#   \EFI\BOOT\mmx64.efi     MokManager (shim starts it when a signature check fails)
#   \EFI\debian\grub.cfg    read by that GRUB: its prefix is built in as /EFI/debian on the device
#                           it was loaded from; finds the system partition by ROOT_UUID and reads
#                           /boot/grub/grub.cfg
# The signed GRUB loads no module from disk under Secure Boot: everything the configuration uses
# (part_gpt, ext2, search, loadenv, serial, linux, test) is built into it. No fbx64.efi: without
# it shim starts GRUB straight away instead of writing NVRAM boot entries.
di_install_grub_signed() {
    local mnt=$1 loop=$2 esp=$3 uuid=$4 glog=$5 f
    di_in_root "$mnt" grub-install --target=i386-pc --recheck "$loop" >>"$glog" 2>&1 ||
        { cat "$glog" >&2; die "grub-install --target=i386-pc $loop failed"; }
    local shim=$mnt/usr/lib/shim/shimx64.efi.signed
    local grub=$mnt/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed
    local mm=$mnt/usr/lib/shim/mmx64.efi.signed
    for f in "$shim" "$grub" "$mm"; do
        [ -s "$f" ] || die "no $f in the image: are shim-signed and grub-efi-amd64-signed in the package list?"
    done
    printf '# Seconde Vie live USB (written by live-usb/build): Debian'"'"'s signed GRUB reads this file\n# (its prefix is /EFI/debian); the real configuration is on the system partition.\nsearch --no-floppy --fs-uuid --set=root %s\nset prefix=($root)/boot/grub\nconfigfile $prefix/grub.cfg\n' \
        "$uuid" >"$mnt/boot/grub/esp-grub.cfg"
    export MTOOLS_SKIP_CHECK=1
    mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/debian 2>>"$glog" ||
        { cat "$glog" >&2; die "mmd could not make the EFI directories on $esp"; }
    local pair src dest
    for pair in "$shim:BOOT/BOOTX64.EFI" "$grub:BOOT/grubx64.efi" "$mm:BOOT/mmx64.efi" \
        "$mnt/boot/grub/esp-grub.cfg:debian/grub.cfg"; do
        src=${pair%:*} dest=::/EFI/${pair##*:}
        mcopy -i "$esp" "$src" "$dest" 2>>"$glog" || { cat "$glog" >&2; die "mcopy of $src to $dest on $esp failed"; }
    done
    rm -f "$mnt/boot/grub/esp-grub.cfg"
    mdir -i "$esp" ::/EFI/BOOT/BOOTX64.EFI >/dev/null 2>&1 || die "EFI/BOOT/BOOTX64.EFI is not on $esp"
}

# di_clean_root MNT: what a workshop cleans before imaging: no machine-id (systemd makes one on
# first boot), no logs, caches or apt lists.
di_clean_root() {
    local mnt=$1
    : >"$mnt/etc/machine-id"
    rm -f "$mnt/var/lib/dbus/machine-id"
    rm -rf "$mnt"/var/lib/apt/lists/* "$mnt"/var/cache/apt/*.bin "$mnt"/var/cache/apt/archives/*.deb
    find "$mnt/var/log" -type f -exec truncate -s 0 {} +
    rm -rf "$mnt"/tmp/* "$mnt"/var/tmp/*
}

# di_mmdebstrap MNT SUITE MIRROR SECURITY_MIRROR INCLUDE WORKDIR LOG [MMDEBSTRAP_ARGS...]: Debian
# (variant apt + INCLUDE, comma separated) straight onto the mounted root MNT, without docs, man
# pages and translations. The target already holds lost+found (and maybe boot/efi): check/empty is
# skipped for that. The .debs are downloaded to WORKDIR/debs, outside the image (bind-mounted on
# /var/cache/apt/archives while mmdebstrap runs): with them inside, a small root would fill up.
di_mmdebstrap() {
    local mnt=$1 suite=$2 mirror=$3 secmirror=$4 include=$5 work=$6 mlog=$7
    shift 7
    local debs=$work/debs
    mkdir -p "$debs" "$mnt/var/cache/apt/archives"
    MOUNTS+=("$mnt/var/cache/apt/archives") # unmounted by the customize hook, or by the cleanup
    mmdebstrap --mode=root --variant=apt --skip=check/empty \
        --components=main --include="$include" \
        --aptopt='Acquire::Retries "3"' \
        --setup-hook="mount --bind '$debs' \"\$1/var/cache/apt/archives\"" \
        --customize-hook='umount "$1/var/cache/apt/archives"' \
        --essential-hook='echo "grub-pc grub-pc/install_devices_empty boolean true" | chroot "$1" debconf-set-selections' \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-include=/usr/share/locale/locale.alias' \
        "$@" \
        "$suite" "$mnt" \
        "deb $mirror $suite main" \
        "deb $mirror $suite-updates main" \
        "deb $secmirror $suite-security main" >"$mlog" 2>&1 ||
        {
            grep -v '^\(Selecting\|Preparing\|Unpacking\|(Reading\)' "$mlog" | tail -n 60 >&2
            die "mmdebstrap failed (the whole log: $mlog)"
        }
    unset 'MOUNTS[${#MOUNTS[@]}-1]'
    rm -rf "$debs"
}

# di_packages FILE: the package list without comments and blank lines, comma separated.
di_packages() {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$1" | paste -sd, -
}
