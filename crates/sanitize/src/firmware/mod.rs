//! Purge by firmware command: ATA SECURITY ERASE UNIT and SANITIZE, NVMe Format NVM and
//! Sanitize — command encoding, response decoding, and the kernel pass-through that issues them.
//! (Being written: see the sanitization issue.)
