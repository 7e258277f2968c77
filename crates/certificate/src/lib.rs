//! The vocabulary of Seconde Vie: certificate v1.
//!
//! A certificate describes one donated unit after one station run: what the unit is, every disk
//! and how it was sanitized (NIST SP 800-88 Rev. 1 / IEEE 2883-2022) and verified, and the
//! outcome. This crate holds the types ([`Certificate`], [`DiskRecord`], [`SanitizeRecord`], …),
//! RFC 8785 canonical JSON ([`jcs`]), and Ed25519 signing and verification ([`SigningIdentity`],
//! [`SignedDocument::verify`]), the standards' terms derived from a certificate ([`standards`]) and
//! the "reconditionné" attestation ([`attestation`]). It does no I/O, so the station, the registry
//! and any auditor's tool share one definition. docs/certificate.md is the specification.
//!
//! ```
//! use certificate::{SigningIdentity, SignedDocument};
//! # let certificate = certificate::example::certificate("0a0b");
//! let key = SigningIdentity::from_seed(&[7; 32]);
//! # let certificate = certificate::example::with_station_key(certificate, &key);
//! let file = key.sign(&certificate).unwrap().to_json_pretty();
//! let verified = SignedDocument::from_json(&file).unwrap().verify().unwrap();
//! assert_eq!(verified.certificate, certificate);
//! ```
#![deny(missing_docs)]

pub mod attestation;
pub mod example;
pub mod jcs;
pub mod log;
mod model;
mod signing;
pub mod standards;
pub mod strict;

pub use model::*;
pub use signing::*;
