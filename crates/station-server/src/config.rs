//! `bench.toml`: the one file a technician writes. Read strictly (an unknown key is refused),
//! checked, and every error names the key and its line.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

/// A mistake in `bench.toml`: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key, e.g. `server.listen` or `pc."52:54:00:12:34:56".mode`.
    pub key: String,
    /// What is wrong and what would be right.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {line}: ", self.file.display())?,
            None => write!(f, "{}: ", self.file.display())?,
        }
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// How the PCs get their address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dhcp {
    /// The workshop router keeps giving addresses; dnsmasq only adds the boot information
    /// (proxy-DHCP, PXE specification 2.1 § 2.2). `network` is the bench's IPv4 network.
    Proxy {
        /// Network address.
        network: Ipv4Addr,
        /// Prefix length.
        prefix: u8,
    },
    /// dnsmasq gives addresses itself, on a LAN without any other DHCP server: `range` is
    /// dnsmasq's `dhcp-range` text (`first,last,lease`).
    Range(String),
}

/// Whether a PC runs the guided app or wipes without a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The guided station app: a worker answers its questions.
    App,
    /// `station run --batch`: every disk of the PC is wiped without a question.
    Batch,
}

/// One seat's settings: `[bench]`, or `[bench]` overridden by a `[pc."MAC"]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// The seat's name: the station name in certificates and the key's derivation input.
    pub seat: String,
    /// The lot code prefilled.
    pub lot: Option<String>,
    /// Who works at the bench.
    pub operator: Option<String>,
    /// `auto` or an overwrite method.
    pub method: Option<String>,
    /// `fr` or `en`.
    pub language: Option<String>,
    /// App or batch.
    pub mode: Mode,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Where it was read from.
    pub file: PathBuf,
    /// The HTTP address the PCs reach (an IPv4 address of the server, and a port).
    pub listen: SocketAddrV4,
    /// The network interface dnsmasq binds to.
    pub interface: String,
    /// Proxy or range.
    pub dhcp: Dhcp,
    /// The registry's base URL.
    pub registry: String,
    /// Master key, spool, dnsmasq's pid and lease files.
    pub data_dir: PathBuf,
    /// What dnsmasq's TFTP and our `/boot/` serve.
    pub boot_dir: PathBuf,
    /// How often the forwarder retries pending certificates.
    pub forward_interval: Duration,
    /// Extra kernel arguments added to the GRUB entry.
    pub kernel_args: Option<String>,
    /// Every PC not listed.
    pub bench: Seat,
    /// PCs by MAC (lower case, `aa:bb:cc:dd:ee:ff`).
    pub pcs: BTreeMap<String, Seat>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    server: Spanned<RawServer>,
    bench: Spanned<RawSeat>,
    #[serde(default)]
    pc: BTreeMap<Spanned<String>, Spanned<RawSeat>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Spanned<String>,
    interface: Spanned<String>,
    dhcp: Option<Spanned<String>>,
    range: Option<Spanned<String>>,
    proxy_network: Option<Spanned<String>>,
    registry: Spanned<String>,
    data_dir: Spanned<PathBuf>,
    boot_dir: Spanned<PathBuf>,
    forward_interval: Option<Spanned<String>>,
    kernel_args: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeat {
    seat: Option<Spanned<String>>,
    lot: Option<Spanned<String>>,
    operator: Option<Spanned<String>>,
    method: Option<Spanned<String>>,
    language: Option<Spanned<String>>,
    mode: Option<Spanned<String>>,
}

/// Normalises a MAC address to lower case `aa:bb:cc:dd:ee:ff`; `-` separators are accepted.
pub fn normalise_mac(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.trim().split([':', '-']).collect();
    if parts.len() != 6 || parts.iter().any(|p| p.len() != 2 || !p.chars().all(|c| c.is_ascii_hexdigit())) {
        return Err(format!(
            "{text:?} is not a MAC address (six pairs of hex digits, like 52:54:00:12:34:56)"
        ));
    }
    Ok(parts.join(":").to_ascii_lowercase())
}

/// A seat name goes into certificates and file names: letters, digits, `-`, `_`, `.`.
fn check_seat_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 {
        return Err("a seat name has 1 to 64 characters".into());
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || name.starts_with('.')
    {
        return Err(format!("{name:?}: a seat name holds only letters, digits, '-', '_' and '.'"));
    }
    Ok(())
}

struct Reader<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Reader<'_> {
    fn line(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].matches('\n').count() + 1
    }

    fn error(&self, key: &str, span: std::ops::Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            line: Some(self.line(span.start)),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    fn seat(&self, table: &str, raw: &Spanned<RawSeat>, base: Option<&Seat>) -> Result<Seat, ConfigError> {
        let r = raw.get_ref();
        let text = |v: &Option<Spanned<String>>, name: &str| -> Result<Option<String>, ConfigError> {
            match v {
                Some(s) if s.get_ref().trim().is_empty() => {
                    Err(self.error(&format!("{table}.{name}"), s.span(), "is empty"))
                }
                Some(s) => Ok(Some(s.get_ref().clone())),
                None => Ok(None),
            }
        };
        let seat = match (&r.seat, base) {
            (Some(s), _) => {
                check_seat_name(s.get_ref())
                    .map_err(|m| self.error(&format!("{table}.seat"), s.span(), m))?;
                s.get_ref().clone()
            }
            (None, Some(b)) => b.seat.clone(),
            (None, None) => {
                return Err(self.error(
                    &format!("{table}.seat"),
                    raw.span(),
                    "is missing (the seat's name, e.g. \"etabli-1\")",
                ))
            }
        };
        if let Some(m) = &r.method {
            let v = m.get_ref();
            if v != "auto" {
                v.parse::<sanitize::Method>().map_err(|e| {
                    self.error(&format!("{table}.method"), m.span(), format!("{v:?}: {e} (or \"auto\")"))
                })?;
            }
        }
        if let Some(l) = &r.language {
            if !matches!(l.get_ref().as_str(), "fr" | "en") {
                return Err(self.error(
                    &format!("{table}.language"),
                    l.span(),
                    format!("{:?}: \"fr\" or \"en\"", l.get_ref()),
                ));
            }
        }
        let mode = match &r.mode {
            None => base.map(|b| b.mode).unwrap_or(Mode::App),
            Some(m) => match m.get_ref().as_str() {
                "app" => Mode::App,
                "batch" => Mode::Batch,
                other => {
                    return Err(self.error(
                        &format!("{table}.mode"),
                        m.span(),
                        format!("{other:?}: \"app\" or \"batch\""),
                    ))
                }
            },
        };
        let inherit =
            |own: Option<String>, from: Option<&Option<String>>| own.or_else(|| from.cloned().flatten());
        Ok(Seat {
            seat,
            lot: inherit(text(&r.lot, "lot")?, base.map(|b| &b.lot)),
            operator: inherit(text(&r.operator, "operator")?, base.map(|b| &b.operator)),
            method: inherit(r.method.as_ref().map(|m| m.get_ref().clone()), base.map(|b| &b.method)),
            language: inherit(r.language.as_ref().map(|m| m.get_ref().clone()), base.map(|b| &b.language)),
            mode,
        })
    }
}

fn parse_network(text: &str) -> Result<(Ipv4Addr, u8), String> {
    let (addr, prefix) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?}: a network with its prefix length, like \"10.77.0.0/24\""))?;
    let addr: Ipv4Addr = addr.parse().map_err(|_| format!("{addr:?} is not an IPv4 address"))?;
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| (8..=30).contains(p))
        .ok_or_else(|| format!("{prefix:?}: a prefix length from 8 to 30"))?;
    Ok((network_of(addr, prefix), prefix))
}

/// The network address of `addr` under a prefix of `prefix` bits.
pub fn network_of(addr: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) };
    Ipv4Addr::from(u32::from(addr) & mask)
}

/// The netmask of a prefix length.
pub fn netmask(prefix: u8) -> Ipv4Addr {
    network_of(Ipv4Addr::BROADCAST, prefix)
}

impl BenchConfig {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<BenchConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_owned(),
            line: None,
            key: String::new(),
            message: format!("cannot be read: {e}"),
        })?;
        BenchConfig::parse(path, &text)
    }

    /// Checks `text`, read from `path` (named in errors).
    pub fn parse(path: &Path, text: &str) -> Result<BenchConfig, ConfigError> {
        let reader = Reader { file: path, text };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| reader.line(s.start));
            ConfigError {
                file: path.to_owned(),
                line,
                key: String::new(),
                message: e.message().trim().to_owned(),
            }
        })?;
        let s = raw.server.get_ref();

        let listen: SocketAddrV4 = s.listen.get_ref().parse().map_err(|_| {
            reader.error("server.listen", s.listen.span(), format!("{:?}: the server's IPv4 address on the bench network and a port, like \"10.77.0.1:8760\"", s.listen.get_ref()))
        })?;
        if listen.ip().is_unspecified() || listen.ip().is_broadcast() || listen.port() == 0 {
            return Err(reader.error("server.listen", s.listen.span(), "must be the address the PCs reach (not 0.0.0.0) with a port (not 0): it goes into their kernel command line"));
        }
        let interface = s.interface.get_ref().clone();
        if interface.is_empty() || interface.len() > 15 || interface.contains(['/', ' ', ',']) {
            return Err(reader.error(
                "server.interface",
                s.interface.span(),
                format!("{interface:?} is not a network interface name (see `ip link`)"),
            ));
        }
        let dhcp = match s.dhcp.as_ref().map(|d| (d.get_ref().as_str(), d.span())) {
            None | Some(("proxy", _)) => {
                if let Some(r) = &s.range {
                    return Err(reader.error("server.range", r.span(), "is only for dhcp = \"range\""));
                }
                let (network, prefix) = match &s.proxy_network {
                    Some(n) => parse_network(n.get_ref())
                        .map_err(|m| reader.error("server.proxy_network", n.span(), m))?,
                    None => (network_of(*listen.ip(), 24), 24),
                };
                if network_of(*listen.ip(), prefix) != network {
                    return Err(reader.error("server.proxy_network", s.proxy_network.as_ref().map(|n| n.span()).unwrap_or(0..0), format!("{network}/{prefix} does not hold server.listen's address {}", listen.ip())));
                }
                Dhcp::Proxy { network, prefix }
            }
            Some(("range", span)) => {
                if let Some(n) = &s.proxy_network {
                    return Err(reader.error("server.proxy_network", n.span(), "is only for dhcp = \"proxy\""));
                }
                let Some(r) = &s.range else {
                    return Err(reader.error("server.range", span, "is missing: with dhcp = \"range\", give range = \"FIRST,LAST,LEASE\", like \"10.77.0.100,10.77.0.199,12h\""));
                };
                let parts: Vec<&str> = r.get_ref().split(',').map(str::trim).collect();
                let ok = parts.len() == 3
                    && parts[..2].iter().all(|a| a.parse::<Ipv4Addr>().is_ok())
                    && (parts[2] == "infinite" || humantime::parse_duration(parts[2]).is_ok()
                        || parts[2].trim_end_matches(['s', 'm', 'h', 'd', 'w']).parse::<u32>().is_ok());
                if !ok {
                    return Err(reader.error("server.range", r.span(), format!("{:?}: \"FIRST,LAST,LEASE\", like \"10.77.0.100,10.77.0.199,12h\"", r.get_ref())));
                }
                Dhcp::Range(parts.join(","))
            }
            Some((other, span)) => {
                return Err(reader.error("server.dhcp", span, format!("{other:?}: \"proxy\" (the workshop router gives addresses) or \"range\" (this server gives them)")))
            }
        };
        let registry = s.registry.get_ref().trim_end_matches('/').to_owned();
        if !(registry.starts_with("http://") || registry.starts_with("https://"))
            || registry.contains(char::is_whitespace)
        {
            return Err(reader.error(
                "server.registry",
                s.registry.span(),
                format!("{registry:?}: the registry's URL, like \"https://registre.atelier.example\""),
            ));
        }
        for (key, p) in [("server.data_dir", &s.data_dir), ("server.boot_dir", &s.boot_dir)] {
            if !p.get_ref().is_absolute() {
                return Err(reader.error(
                    key,
                    p.span(),
                    format!("{}: an absolute path", p.get_ref().display()),
                ));
            }
        }
        let forward_interval = match &s.forward_interval {
            None => Duration::from_secs(10),
            Some(f) => humantime::parse_duration(f.get_ref())
                .ok()
                .filter(|d| *d >= Duration::from_millis(100) && *d <= Duration::from_secs(3600))
                .ok_or_else(|| {
                    reader.error(
                        "server.forward_interval",
                        f.span(),
                        format!("{:?}: a duration from 100ms to 1h, like \"10s\"", f.get_ref()),
                    )
                })?,
        };
        let kernel_args = match &s.kernel_args {
            Some(k) if k.get_ref().contains(['\n', '"', '\'', ';', '$', '\\', '{', '}']) => {
                return Err(reader.error(
                    "server.kernel_args",
                    k.span(),
                    "kernel arguments on one line, without quotes, ';', '$', '\\' or braces",
                ))
            }
            Some(k) => Some(k.get_ref().trim().to_owned()).filter(|k| !k.is_empty()),
            None => None,
        };

        let bench = reader.seat("bench", &raw.bench, None)?;
        let mut pcs = BTreeMap::new();
        for (mac, table) in &raw.pc {
            let key = format!("pc.{:?}", mac.get_ref());
            let norm = normalise_mac(mac.get_ref()).map_err(|m| reader.error(&key, mac.span(), m))?;
            if norm.starts_with("ff:ff:ff") || u8::from_str_radix(&norm[..2], 16).is_ok_and(|b| b & 1 == 1) {
                return Err(reader.error(
                    &key,
                    mac.span(),
                    "is a multicast or broadcast address, not a network card's",
                ));
            }
            let seat = reader.seat(&key, table, Some(&bench))?;
            if pcs.insert(norm.clone(), seat).is_some() {
                return Err(reader.error(&key, mac.span(), format!("{norm} is listed twice")));
            }
        }
        Ok(BenchConfig {
            file: path.to_owned(),
            listen,
            interface,
            dhcp,
            registry,
            data_dir: s.data_dir.get_ref().clone(),
            boot_dir: s.boot_dir.get_ref().clone(),
            forward_interval,
            kernel_args,
            bench,
            pcs,
        })
    }

    /// The server's URL as the PCs reach it.
    pub fn server_url(&self) -> String {
        format!("http://{}", self.listen)
    }

    /// The seat of a PC with these MAC addresses (normalised): the first listed under `[pc]`,
    /// else `[bench]`.
    pub fn seat_for(&self, macs: &[String]) -> &Seat {
        macs.iter().find_map(|m| self.pcs.get(m)).unwrap_or(&self.bench)
    }

    /// Every seat name, each once, `[bench]`'s first.
    pub fn seats(&self) -> Vec<&Seat> {
        let mut out: Vec<&Seat> = vec![&self.bench];
        for s in self.pcs.values() {
            if !out.iter().any(|o| o.seat == s.seat) {
                out.push(s);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"[server]
listen = "10.77.0.1:8760"
interface = "enp2s0"
dhcp = "proxy"
registry = "https://registre.atelier.example/"
data_dir = "/var/lib/seconde-vie-server"
boot_dir = "/srv/seconde-vie/netboot"
forward_interval = "10s"

[bench]
seat = "etabli-1"
lot = "CD34-2026-017"
operator = "Atelier Montpellier"
method = "auto"
language = "fr"
mode = "app"

[pc."52:54:00:12:34:56"]
seat = "etabli-2"
mode = "batch"

[pc."52-54-00-AB-CD-EF"]
lot = "OTHER"
"#;

    fn parse(text: &str) -> Result<BenchConfig, ConfigError> {
        BenchConfig::parse(Path::new("bench.toml"), text)
    }

    #[test]
    fn the_contract_example_reads_and_macs_are_normalised() {
        let c = parse(GOOD).expect("the example is valid");
        assert_eq!(c.listen.to_string(), "10.77.0.1:8760");
        assert_eq!(c.registry, "https://registre.atelier.example");
        assert_eq!(c.dhcp, Dhcp::Proxy { network: Ipv4Addr::new(10, 77, 0, 0), prefix: 24 });
        assert_eq!(c.forward_interval, Duration::from_secs(10));
        assert_eq!(c.pcs.keys().collect::<Vec<_>>(), ["52:54:00:12:34:56", "52:54:00:ab:cd:ef"]);
        let two = &c.pcs["52:54:00:12:34:56"];
        assert_eq!(
            (two.seat.as_str(), two.mode, two.lot.as_deref()),
            ("etabli-2", Mode::Batch, Some("CD34-2026-017"))
        );
        let three = &c.pcs["52:54:00:ab:cd:ef"];
        assert_eq!(
            (three.seat.as_str(), three.mode, three.lot.as_deref()),
            ("etabli-1", Mode::App, Some("OTHER"))
        );
        assert_eq!(c.seat_for(&["00:11:22:33:44:55".into()]).seat, "etabli-1");
        assert_eq!(c.seat_for(&["00:11:22:33:44:55".into(), "52:54:00:12:34:56".into()]).seat, "etabli-2");
        assert_eq!(c.seats().len(), 2);
    }

    fn error(text: &str) -> String {
        parse(text).expect_err("must be refused").to_string()
    }

    #[test]
    fn errors_name_the_key_and_the_line() {
        let e =
            error(&GOOD.replace("forward_interval = \"10s\"", "forward_interval = \"10s\"\nlisten_port = 3"));
        assert!(e.contains("line 9") && e.contains("listen_port"), "{e}");
        let e = error(&GOOD.replace("\"10.77.0.1:8760\"", "\"0.0.0.0:8760\""));
        assert!(e.starts_with("bench.toml line 2: server.listen:"), "{e}");
        let e = error(&GOOD.replace("mode = \"batch\"", "mode = \"wipe-all\""));
        assert!(e.contains("line 20") && e.contains(r#"pc."52:54:00:12:34:56".mode"#), "{e}");
        let e = error(&GOOD.replace("52:54:00:12:34:56", "52:54:00:12:34"));
        assert!(e.contains("line 18") && e.contains("not a MAC address"), "{e}");
        let e = error(&GOOD.replace("52-54-00-AB-CD-EF", "52:54:00:12:34:56"));
        assert!(e.contains("listed twice") || e.contains("duplicate"), "{e}");
        let e = error(&GOOD.replace("method = \"auto\"", "method = \"shred-it\""));
        assert!(e.contains("line 14") && e.contains("bench.method"), "{e}");
        let e = error(&GOOD.replace("dhcp = \"proxy\"", "dhcp = \"range\""));
        assert!(e.contains("line 4") && e.contains("server.range") && e.contains("missing"), "{e}");
        let e = error(&GOOD.replace("seat = \"etabli-1\"", "seat = \"../etabli\""));
        assert!(e.contains("line 11") && e.contains("bench.seat"), "{e}");
        let e =
            error(&GOOD.replace("dhcp = \"proxy\"", "dhcp = \"proxy\"\nproxy_network = \"192.168.1.0/24\""));
        assert!(e.contains("line 5") && e.contains("does not hold"), "{e}");
        let e = error(&GOOD.replace("data_dir = \"/var", "data_dir = \"var"));
        assert!(e.contains("server.data_dir") && e.contains("absolute"), "{e}");
        let e = error(&GOOD.replace("[bench]\nseat = \"etabli-1\"\n", "[bench]\n"));
        assert!(e.contains("bench.seat") && e.contains("missing"), "{e}");
    }

    #[test]
    fn range_mode_and_an_explicit_proxy_network() {
        let c = parse(
            &GOOD.replace("dhcp = \"proxy\"", "dhcp = \"range\"\nrange = \"10.77.0.100, 10.77.0.199, 12h\""),
        )
        .expect("valid");
        assert_eq!(c.dhcp, Dhcp::Range("10.77.0.100,10.77.0.199,12h".into()));
        let c = parse(&GOOD.replace("dhcp = \"proxy\"", "proxy_network = \"10.77.0.0/16\"")).expect("valid");
        assert_eq!(c.dhcp, Dhcp::Proxy { network: Ipv4Addr::new(10, 77, 0, 0), prefix: 16 });
        assert_eq!(netmask(16), Ipv4Addr::new(255, 255, 0, 0));
    }

    #[test]
    fn mac_normalisation() {
        assert_eq!(normalise_mac("52:54:00:AB:cd:EF").as_deref(), Ok("52:54:00:ab:cd:ef"));
        assert_eq!(normalise_mac("52-54-00-ab-cd-ef").as_deref(), Ok("52:54:00:ab:cd:ef"));
        for bad in [
            "",
            "52:54:00:ab:cd",
            "52:54:00:ab:cd:eg",
            "525400abcdef",
            "52:54:00:ab:cd:ef:00",
            "5:54:00:ab:cd:eff",
        ] {
            assert!(normalise_mac(bad).is_err(), "{bad}");
        }
    }
}
