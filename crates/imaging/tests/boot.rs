//! The test image, written with `station image` and booted in QEMU (BIOS and UEFI) to its login
//! prompt: runs `image/test-boot` (and `image/build` first, which does nothing when its outputs
//! are up to date). Needs root, network for the first build, qemu-system-x86 and ovmf, and
//! several minutes, so it runs only with `SV_IMAGE_BOOT_TEST=1`.

use std::path::PathBuf;
use std::process::Command;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_test_image_boots_to_login_with_bios_and_uefi() {
    if std::env::var_os("SV_IMAGE_BOOT_TEST").is_none_or(|v| v != "1") {
        eprintln!(
            "skipped: set SV_IMAGE_BOOT_TEST=1 to build the test image and boot it in QEMU \
             (as root; runs image/build and image/test-boot)"
        );
        return;
    }
    let root = repo_root();
    for script in ["image/build", "image/test-boot"] {
        let status = Command::new(root.join(script))
            .current_dir(&root)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
        assert!(status.success(), "{script} failed ({status}); its output is above");
    }
}
