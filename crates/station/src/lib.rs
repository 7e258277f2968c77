//! The Seconde Vie station: the program that boots on a donated PC.
//!
//! This library holds the station's parts so the binary, the demo and the tests share them:
//! [`key`] (the station's signing key), [`spool`] (durable storage of signed certificates),
//! [`push`] (the registry client) and [`run`] (the headless pipeline from disks to certificate).
#![deny(missing_docs)]

pub mod app;
pub mod bay;
pub mod diagnose;
pub mod grade_cmd;
pub mod image_cmd;
pub mod journal;
pub mod key;
pub mod netboot;
pub mod notice;
pub mod push;
pub mod run;
pub mod spool;
