//! The sentences of every reason, in French and English, behind stable codes.
//!
//! Codes never change meaning once published (docs/grading.md lists them); sentences may be
//! reworded.

use certificate::CheckResult;

use crate::grade::{Effect, GradeLevel, Lang, Reason};
use crate::input::DiskKind;
use crate::policy::{CheckName, Condition};

/// `x` with at most `decimals` decimals, trailing zeros dropped, a decimal comma in French.
pub fn number(x: f64, decimals: usize, lang: Lang) -> String {
    let mut s = format!("{x:.decimals$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    if s == "-0" {
        s = "0".into();
    }
    match lang {
        Lang::Fr => s.replace('.', ","),
        Lang::En => s,
    }
}

fn both(x: f64, decimals: usize) -> (String, String) {
    (number(x, decimals, Lang::Fr), number(x, decimals, Lang::En))
}

fn reason(code: &str, effect: Effect, fr: String, en: String) -> Reason {
    Reason { code: code.to_owned(), effect, delta: None, cap: None, fr, en }
}

/// A reason that changed the score by `delta` (penalty when negative, bonus when positive, info
/// at zero).
pub fn scored(code: &str, delta: f64, fr: String, en: String) -> Reason {
    let effect = if delta < 0.0 {
        Effect::Penalty
    } else if delta > 0.0 {
        Effect::Bonus
    } else {
        Effect::Info
    };
    Reason { delta: (delta != 0.0).then_some(delta), ..reason(code, effect, fr, en) }
}

/// A fact that could not be known.
pub fn unknown(code: &str, fr: String, en: String) -> Reason {
    reason(code, Effect::Unknown, fr, en)
}

/// A note.
pub fn info(code: &str, fr: String, en: String) -> Reason {
    reason(code, Effect::Info, fr, en)
}

/// A hard stop.
pub fn hard_stop(condition: Condition, cap: GradeLevel, detail: Option<(String, String)>) -> Reason {
    let (code, fr, en) = match condition {
        Condition::DiskFailing => (
            "disk_failing",
            "un disque est défaillant : il ne doit pas être réemployé".to_owned(),
            "a disk is failing: it must not be reused".to_owned(),
        ),
        Condition::WipeFailed => (
            "wipe_failed",
            "l'effacement des données a échoué : l'unité ne peut pas être réemployée en l'état".to_owned(),
            "the data wipe failed: the unit cannot be reused as is".to_owned(),
        ),
        Condition::WipeIncomplete => (
            "wipe_incomplete",
            "l'effacement des données n'est pas terminé ou pas vérifié sur tous les disques".to_owned(),
            "the data wipe is not finished or not verified on every disk".to_owned(),
        ),
        Condition::NoDisk => (
            "no_disk",
            "aucun disque utilisable : il faut en ajouter un avant tout réemploi".to_owned(),
            "no usable disk: one must be added before any reuse".to_owned(),
        ),
        Condition::BuiltinScreenFailed => (
            "builtin_screen_failed",
            "l'écran intégré présente un défaut".to_owned(),
            "the built-in screen has a defect".to_owned(),
        ),
        Condition::MemoryFailed => (
            "memory_failed",
            "le test de la mémoire a trouvé des erreurs : une barrette est défectueuse".to_owned(),
            "the memory test found errors: a memory module is faulty".to_owned(),
        ),
        Condition::CpuFailed => (
            "cpu_failed",
            "le processeur a donné des résultats faux ou a surchauffé sous charge".to_owned(),
            "the processor gave wrong results or overheated under load".to_owned(),
        ),
        Condition::OsMissing => (
            "os_missing",
            "aucun système d'exploitation n'a été installé".to_owned(),
            "no operating system was installed".to_owned(),
        ),
    };
    let (fr, en) = match detail {
        Some((dfr, den)) => (format!("{fr} ({dfr})"), format!("{en} ({den})")),
        None => (fr, en),
    };
    Reason { cap: Some(cap), ..reason(code, Effect::HardStop, fr, en) }
}

/// A reuse minimum not met.
pub fn below_minimum(code: &str, cap: GradeLevel, fr: String, en: String) -> Reason {
    Reason { cap: Some(cap), ..reason(code, Effect::Cap, fr, en) }
}

/// Memory below the reuse minimum.
pub fn memory_below(gib: f64, min: f64, cap: GradeLevel) -> Reason {
    let (g_fr, g_en) = both(gib, 1);
    let (m_fr, m_en) = both(min, 1);
    below_minimum(
        "memory_below_minimum",
        cap,
        format!("{g_fr} Go de mémoire : moins que les {m_fr} Go nécessaires au réemploi"),
        format!("{g_en} GB of memory: less than the {m_en} GB reuse needs"),
    )
}

/// Disk capacity below the reuse minimum.
pub fn disk_below(gb: f64, min: f64, cap: GradeLevel) -> Reason {
    let (g_fr, g_en) = both(gb, 0);
    let (m_fr, m_en) = both(min, 0);
    below_minimum(
        "disk_below_minimum",
        cap,
        format!("{g_fr} Go de stockage utilisable : moins que les {m_fr} Go nécessaires au réemploi"),
        format!("{g_en} GB of usable storage: less than the {m_en} GB reuse needs"),
    )
}

/// Threads below the reuse minimum.
pub fn threads_below(threads: u32, min: u32, cap: GradeLevel) -> Reason {
    below_minimum(
        "threads_below_minimum",
        cap,
        format!(
            "le processeur n'exécute que {threads} tâche(s) à la fois : il en faut {min} pour le réemploi"
        ),
        format!("the processor runs only {threads} thread(s) at once: reuse needs {min}"),
    )
}

/// The CPU sub-score, explained.
pub fn cpu(
    model: Option<&str>,
    year: Option<u16>,
    threads: Option<u32>,
    estimated: bool,
    score: f64,
) -> Reason {
    let name = model.unwrap_or("?");
    let (s_fr, s_en) = both(score, 2);
    let (year_fr, year_en) = match (year, estimated) {
        (Some(y), true) => (
            format!(", sorti vers {y} (estimation d'après son nom)"),
            format!(", launched around {y} (estimated from its name)"),
        ),
        (Some(y), false) => (format!(", sorti en {y}"), format!(", launched in {y}")),
        (None, _) => (String::new(), String::new()),
    };
    let (t_fr, t_en) = match threads {
        Some(t) => (format!(", {t} tâche(s) simultanée(s)"), format!(", {t} thread(s)")),
        None => (String::new(), String::new()),
    };
    info(
        "cpu",
        format!("processeur {name}{year_fr}{t_fr} : note {s_fr}"),
        format!("processor {name}{year_en}{t_en}: sub-score {s_en}"),
    )
}

/// The CPU's age could not be estimated.
pub fn cpu_year_unknown(model: Option<&str>) -> Reason {
    let name = model.unwrap_or("?");
    unknown(
        "cpu_year_unknown",
        format!("l'âge du processeur ({name}) n'a pas pu être estimé : seul son nombre de tâches compte"),
        format!("the processor's age ({name}) could not be estimated: only its thread count counts"),
    )
}

/// Nothing is known of the CPU.
pub fn cpu_unknown(score: f64) -> Reason {
    let (s_fr, s_en) = both(score, 2);
    unknown(
        "cpu_unknown",
        format!("le processeur est inconnu : note par défaut {s_fr}"),
        format!("the processor is unknown: default sub-score {s_en}"),
    )
}

/// A benchmark was given but the policy has no curve for it.
pub fn cpu_benchmark_ignored() -> Reason {
    info(
        "cpu_benchmark_ignored",
        "le score de performance du processeur n'est pas utilisé : la politique n'a pas d'échelle pour lui"
            .into(),
        "the processor benchmark is not used: the policy has no scale for it".into(),
    )
}

/// The memory sub-score, explained.
pub fn memory(gib: f64, score: f64) -> Reason {
    let (g_fr, g_en) = both(gib, 1);
    let (s_fr, s_en) = both(score, 2);
    info(
        "memory",
        format!("{g_fr} Go de mémoire : note {s_fr}"),
        format!("{g_en} GB of memory: sub-score {s_en}"),
    )
}

/// The memory size is unknown.
pub fn memory_unknown(score: f64) -> Reason {
    let (s_fr, s_en) = both(score, 2);
    unknown(
        "memory_unknown",
        format!("la quantité de mémoire est inconnue : note par défaut {s_fr}"),
        format!("the memory size is unknown: default sub-score {s_en}"),
    )
}

fn kind_words(kind: DiskKind) -> (&'static str, &'static str) {
    match kind {
        DiskKind::Hdd => ("disque dur", "hard disk"),
        DiskKind::Ssd => ("SSD", "SSD"),
        DiskKind::Nvme => ("SSD NVMe", "NVMe SSD"),
        DiskKind::Unknown => ("type inconnu", "unknown kind"),
    }
}

/// The disk sub-score, explained.
pub fn disk(gb: f64, kind: DiskKind, score: f64) -> Reason {
    let (g_fr, g_en) = both(gb, 0);
    let (s_fr, s_en) = both(score, 2);
    let (k_fr, k_en) = kind_words(kind);
    info(
        "disk",
        format!("{g_fr} Go de stockage utilisable ({k_fr}) : note {s_fr}"),
        format!("{g_en} GB of usable storage ({k_en}): sub-score {s_en}"),
    )
}

/// No disk fit for reuse.
pub fn disk_missing(score: f64) -> Reason {
    let (s_fr, s_en) = both(score, 2);
    info(
        "disk_missing",
        format!("aucun disque réemployable : note de stockage {s_fr}"),
        format!("no reusable disk: storage sub-score {s_en}"),
    )
}

/// One failing disk set aside.
pub fn disk_set_aside(index: usize, gb: f64) -> Reason {
    let (g_fr, g_en) = both(gb, 0);
    let n = index + 1;
    info(
        "disk_set_aside",
        format!("le disque n° {n} ({g_fr} Go) est défaillant : il est écarté et doit être détruit"),
        format!("disk no. {n} ({g_en} GB) is failing: it is set aside and must be destroyed"),
    )
}

/// A worn disk kept.
pub fn disk_worn(delta: f64) -> Reason {
    scored(
        "disk_worn",
        delta,
        "un disque conservé est usé (secteurs réalloués, âge ou usure de la mémoire flash)".into(),
        "a disk kept is worn (reallocated sectors, age or flash wear)".into(),
    )
}

/// A disk whose health is unknown.
pub fn disk_health_unknown() -> Reason {
    unknown(
        "disk_health_unknown",
        "l'état de santé d'un disque n'a pas pu être lu (pas de données SMART) : il est compté comme bon"
            .into(),
        "a disk's health could not be read (no SMART data): it is counted as good".into(),
    )
}

/// The appearance adjustment.
pub fn appearance(grade: Option<certificate::CosmeticGrade>, delta: f64) -> Reason {
    use certificate::CosmeticGrade as G;
    let (code, fr, en) = match grade {
        Some(G::A) => ("appearance_a", "aspect comme neuf", "looks like new"),
        Some(G::B) => (
            "appearance_b",
            "légère usure (petites rayures ou marques)",
            "light wear (small scratches or marks)",
        ),
        Some(G::C) => (
            "appearance_c",
            "usure visible (rayures profondes, chocs, pièces manquantes)",
            "visible wear (deep scratches, dents, missing parts)",
        ),
        None => {
            return unknown(
                "appearance_unknown",
                "l'aspect n'a pas été noté".into(),
                "the appearance was not graded".into(),
            )
        }
    };
    scored(code, delta, fr.into(), en.into())
}

fn check_words(check: CheckName) -> (&'static str, &'static str) {
    match check {
        CheckName::Screen => ("l'écran", "the screen"),
        CheckName::Keyboard => ("le clavier", "the keyboard"),
        CheckName::Sound => ("le son", "the sound"),
        CheckName::Usb => ("les ports USB", "the USB ports"),
        CheckName::Battery => ("la charge de la batterie", "battery charging"),
    }
}

fn details(result: &CheckResult) -> String {
    if result.details.is_empty() {
        String::new()
    } else {
        format!(" ({})", result.details.join(", "))
    }
}

/// A failed functional check.
pub fn check_failed(check: CheckName, result: &CheckResult, delta: f64) -> Reason {
    let (fr, en) = check_words(check);
    let d = details(result);
    let (fr, en) = match check {
        CheckName::Screen => (format!("{fr} présente un défaut{d}"), format!("{en} has a defect{d}")),
        CheckName::Keyboard => (
            format!("{fr} a des touches qui ne répondent pas{d}"),
            format!("{en} has keys that do not answer{d}"),
        ),
        CheckName::Sound => (format!("{fr} ne fonctionne pas{d}"), format!("{en} does not work{d}")),
        CheckName::Usb => (format!("{fr} ne fonctionnent pas tous{d}"), format!("{en} do not all work{d}")),
        CheckName::Battery => (format!("{fr} ne fonctionne pas{d}"), format!("{en} does not work{d}")),
    };
    scored(&format!("check_failed_{}", check.as_str()), delta, fr, en)
}

/// A skipped functional check.
pub fn check_skipped(check: CheckName) -> Reason {
    let (_, en) = check_words(check);
    let fr = match check {
        CheckName::Screen => "de l'écran",
        CheckName::Keyboard => "du clavier",
        CheckName::Sound => "du son",
        CheckName::Usb => "des ports USB",
        CheckName::Battery => "de la charge de la batterie",
    };
    unknown(
        &format!("check_skipped_{}", check.as_str()),
        format!("la vérification {fr} n'a pas été faite"),
        format!("{en} was not checked"),
    )
}

/// Every applicable check passed.
pub fn checks_all_passed(delta: f64) -> Reason {
    scored(
        "checks_all_passed",
        delta,
        "toutes les vérifications fonctionnelles sont réussies".into(),
        "every functional check passed".into(),
    )
}

/// No functional checks recorded.
pub fn checks_missing() -> Reason {
    unknown(
        "checks_missing",
        "aucune vérification fonctionnelle n'a été enregistrée".into(),
        "no functional check was recorded".into(),
    )
}

/// The functionality total reached the floor.
pub fn functionality_floor(floor: f64) -> Reason {
    let (f_fr, f_en) = both(floor, 2);
    info(
        "functionality_floor",
        format!("les défauts fonctionnels ne retirent pas plus de {f_fr} point au total"),
        format!("functional defects take off no more than {f_en} point in all"),
    )
}

/// The battery's health.
pub fn battery_health(percent: u8, worn_below: u8, dead_below: u8, delta: f64) -> Reason {
    if percent < dead_below {
        scored(
            "battery_dead",
            delta,
            format!(
                "la batterie ne tient plus que {percent} % de sa charge d'origine : elle est à remplacer"
            ),
            format!("the battery holds only {percent} % of its original charge: it needs replacing"),
        )
    } else if percent < worn_below {
        scored(
            "battery_worn",
            delta,
            format!("la batterie ne tient plus que {percent} % de sa charge d'origine"),
            format!("the battery holds only {percent} % of its original charge"),
        )
    } else {
        info(
            "battery_good",
            format!("la batterie tient encore {percent} % de sa charge d'origine"),
            format!("the battery still holds {percent} % of its original charge"),
        )
    }
}

/// A laptop without a battery.
pub fn battery_missing(delta: f64) -> Reason {
    scored(
        "battery_missing",
        delta,
        "ordinateur portable sans batterie".into(),
        "laptop without a battery".into(),
    )
}

/// The battery's health is unknown.
pub fn battery_health_unknown() -> Reason {
    unknown(
        "battery_health_unknown",
        "l'usure de la batterie n'a pas pu être lue".into(),
        "the battery's wear could not be read".into(),
    )
}

/// Where the score fell.
pub fn score_band(score: f64, band: GradeLevel) -> Reason {
    let (s_fr, s_en) = both(score, 2);
    info(
        "score_band",
        format!("score {s_fr} sur 5 : niveau {}", band.label(Lang::Fr)),
        format!("score {s_en} out of 5: level {}", band.label(Lang::En)),
    )
}
