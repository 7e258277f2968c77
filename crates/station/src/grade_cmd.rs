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
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
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
    let text = std::fs::read_to_string(&args.input)
        .with_context(|| format!("cannot read the grading input {}", args.input.display()))?;
    let input: GradingInput = serde_json::from_str(&text).with_context(|| {
        format!("{} is not a grading input (docs/grading.md, \"Input\")", args.input.display())
    })?;
    let grade = grading::grade(&input, &policy);
    if args.json {
        let mut json = serde_json::to_string_pretty(&grade).context("the grade cannot be written as JSON")?;
        json.push('\n');
        Ok(json)
    } else {
        Ok(grade.to_text(args.lang.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../grading/tests/fixtures").join(name)
    }

    fn args(input: &str) -> GradeArgs {
        GradeArgs { policy: None, input: fixture(input), lang: LangArg::Fr, json: false }
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
