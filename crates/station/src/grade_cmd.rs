//! `station grade`: grades a unit from a grading input file and prints the grade with its
//! reasons, or the JSON the certificate's `grade` field holds (docs/grading.md).

use std::path::PathBuf;

use anyhow::Context as _;
use grading::{GradingInput, Lang, Policy};

/// The language of the printed reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LangArg {
    /// Français.
    Fr,
    /// English.
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Fr => Lang::Fr,
            LangArg::En => Lang::En,
        }
    }
}

/// Arguments of `station grade`.
#[derive(Debug, clap::Args)]
pub struct GradeArgs {
    /// Grading policy (TOML, docs/grading.md). Without it, the built-in default policy.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The unit to grade: a grading input as JSON (docs/grading.md, "Input").
    #[arg(long, value_name = "FILE", required_unless_present = "inventory", conflicts_with = "inventory")]
    pub input: Option<PathBuf>,
    /// Or: the unit's inventory, as `station inventory --json` writes it...
    #[arg(long, value_name = "FILE", requires = "checks")]
    pub inventory: Option<PathBuf>,
    /// ...with the certificate of its run (signed or not): the wipe results, the worker's checks,
    /// the station's hardware tests, the system written.
    #[arg(long, value_name = "FILE", requires = "inventory")]
    pub checks: Option<PathBuf>,
    /// A local authority gave the unit (for the prix solidaire; unknown otherwise).
    #[arg(long)]
    pub local_authority: bool,
    /// A working charger goes with the unit (laptops; unknown otherwise).
    #[arg(long)]
    pub charger: bool,
    /// Language of the text output.
    #[arg(long, value_enum, default_value = "fr")]
    pub lang: LangArg,
    /// Print the grade as JSON (what the certificate's `grade` field holds) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Grades the unit and returns the text to print: the grade with its reasons in the chosen
/// language, or the grade as pretty JSON with `--json`.
pub fn run(args: &GradeArgs) -> anyhow::Result<String> {
    let policy = match &args.policy {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the policy {}", path.display()))?;
            Policy::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => Policy::default_policy(),
    };
    let input = match (&args.input, &args.inventory, &args.checks) {
        (Some(path), _, _) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the grading input {}", path.display()))?;
            serde_json::from_str::<GradingInput>(&text).with_context(|| {
                format!("{} is not a grading input (docs/grading.md, \"Input\")", path.display())
            })?
        }
        (None, Some(inventory), Some(checks)) => {
            let text = std::fs::read_to_string(inventory)
                .with_context(|| format!("cannot read the inventory {}", inventory.display()))?;
            let inventory_facts: inventory::Inventory = serde_json::from_str(&text).with_context(|| {
                format!("{} is not an inventory (`station inventory --json` writes one)", inventory.display())
            })?;
            let certificate = read_certificate(checks)?;
            GradingInput::from_inventory(
                &inventory_facts,
                &certificate,
                args.local_authority.then_some(true),
                args.charger.then_some(true),
            )
        }
        _ => anyhow::bail!("give --input FILE, or --inventory FILE with --checks FILE"),
    };
    let grade = grading::grade(&input, &policy);
    if args.json {
        let mut json = serde_json::to_string_pretty(&grade).context("the grade cannot be written as JSON")?;
        json.push('\n');
        Ok(json)
    } else {
        Ok(grade.to_text(args.lang.into()))
    }
}

/// A certificate file: signed (its signature must verify) or bare.
fn read_certificate(path: &std::path::Path) -> anyhow::Result<certificate::Certificate> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the certificate {}", path.display()))?;
    // Strict: a repeated member name could make this reading differ from the registry's.
    let value = certificate::strict::from_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("{} is not a certificate file: {e}", path.display()))?;
    if value.get("signatures").is_some() {
        let verified = certificate::SignedDocument::from_json(&bytes)
            .and_then(|d| d.verify())
            .with_context(|| format!("{} does not verify", path.display()))?;
        return Ok(verified.certificate);
    }
    serde_json::from_value(value)
        .with_context(|| format!("{} is not a certificate (docs/certificate.md)", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../grading/tests/fixtures").join(name)
    }

    fn args(input: &str) -> GradeArgs {
        GradeArgs {
            policy: None,
            input: Some(fixture(input)),
            inventory: None,
            checks: None,
            local_authority: false,
            charger: false,
            lang: LangArg::Fr,
            json: false,
        }
    }

    #[test]
    fn text_in_french_by_default() {
        let out = run(&args("laptop-2014-worn-battery.json")).expect("graded");
        assert!(out.starts_with("Note : B"), "{out}");
        assert!(out.contains("la batterie ne tient plus que 38 % de sa charge d'origine"), "{out}");
    }

    #[test]
    fn json_is_the_grade() {
        let out =
            run(&GradeArgs { json: true, lang: LangArg::En, ..args("wipe-failed.json") }).expect("graded");
        let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(v["grade"], "pieces");
        assert_eq!(v["reasons"][0]["code"], "wipe_failed");
    }

    #[test]
    fn an_inventory_and_a_signed_certificate_are_graded_and_a_tampered_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("sv-grade-inv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        // A real inventory of a captured QEMU PC, as `station inventory --json` writes it.
        let root = inventory::Root::at(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../inventory/tests/fixtures/qemu-pc"),
        );
        let inv = inventory::probe_inventory(
            &root,
            &inventory::Options { smart: false, benchmark: false, endurance: None },
        );
        let inv_path = dir.join("inventory.json");
        std::fs::write(&inv_path, serde_json::to_vec(&inv).expect("JSON")).expect("write");
        let key = certificate::SigningIdentity::from_seed(&[9; 32]);
        let cert = certificate::example::with_station_key(certificate::example::certificate("WD-1"), &key);
        let signed = key.sign(&cert).expect("signs");
        let cert_path = dir.join("cert.json");
        std::fs::write(&cert_path, signed.to_json_pretty()).expect("write");
        let args = GradeArgs {
            input: None,
            inventory: Some(inv_path.clone()),
            checks: Some(cert_path.clone()),
            local_authority: true,
            json: true,
            ..args("laptop-2019-nvme.json")
        };
        let out = run(&args).expect("graded");
        let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert!(v["grade"].is_string(), "{v}");
        assert!(v["reasons"].as_array().is_some_and(|r| r.iter().any(|r| r["code"] == "cpu")), "{v}");

        let tampered = std::fs::read_to_string(&cert_path).expect("read").replacen("WD-1", "WD-2", 1);
        std::fs::write(&cert_path, tampered).expect("write");
        let e = run(&args).expect_err("refused");
        assert!(format!("{e:#}").contains("does not verify"), "{e:#}");
        // issue 23: a repeated member, in a bare certificate, is refused with its path.
        let twice = String::from_utf8(signed.to_json_pretty()).expect("utf-8");
        let bare = serde_json::to_string_pretty(&cert).expect("JSON");
        for (name, text) in [("signed", twice), ("bare", bare)] {
            let text = text.replacen("\"operator\": ", "\"operator\": \"Evil\", \"operator\": ", 1);
            std::fs::write(&cert_path, text).expect("write");
            let e = run(&args).expect_err("refused");
            assert!(format!("{e:#}").contains("operator appears twice"), "{name}: {e:#}");
        }
        std::fs::write(&inv_path, "{\"unit\": 1}").expect("write");
        let e = run(&args).expect_err("refused");
        assert!(format!("{e:#}").contains("inventory.json is not an inventory"), "{e:#}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_bad_policy_names_its_file_and_line() {
        let dir = std::env::temp_dir().join(format!("sv-grade-cmd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("policy.toml");
        let text = grading::DEFAULT_POLICY_TOML.replacen("disk = 0.2", "disk = -0.2", 1);
        std::fs::write(&path, text).expect("write");
        let e = run(&GradeArgs { policy: Some(path.clone()), ..args("laptop-2019-nvme.json") })
            .expect_err("refused");
        let msg = format!("{e:#}");
        assert!(msg.contains("policy.toml") && msg.contains("weights.disk") && msg.contains("line"), "{msg}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
