//! The Seconde Vie bench server: one old PC that boots every donated PC of a bench over the
//! network and relays their certificates (docs/netboot.md).
//!
//! [`config`] reads `bench.toml`; [`seat_key`] derives each seat's station key from a master
//! secret; [`boot`] writes dnsmasq's configuration (proxy-DHCP or a range, TFTP) and GRUB's
//! menu; [`http`] serves boot files, settings and the relay of [`relay`], whose durable spool
//! keeps certificates while the registry cannot be reached; [`serve`] runs it all.
#![deny(missing_docs)]

pub mod boot;
pub mod config;
pub mod http;
pub mod relay;
pub mod seat_key;
pub mod serve;
