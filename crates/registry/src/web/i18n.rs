//! The interface's words, one table per language with the same keys (a test checks it), so a
//! translation is a table to fill, not code to change. French is the default.

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Français, the default.
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 code, for `lang` attributes and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// `fr` or `en`.
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The text of `key` in `lang`; a missing key shows itself, so it is seen and fixed.
pub fn tr(lang: Lang, key: &str) -> &'static str {
    let table = match lang {
        Lang::Fr => FR,
        Lang::En => EN,
    };
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or_else(|| {
        tracing::warn!(key, "missing interface text");
        "(?)"
    })
}

/// Replaces each `{}` of `template` by the next argument.
pub fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut args = args.iter();
    let mut parts = template.split("{}");
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for part in parts {
        out.push_str(args.next().copied().unwrap_or(""));
        out.push_str(part);
    }
    out
}

const FR: &[(&str, &str)] = &[
    ("admin_add_user", "Créer un compte"),
    ("admin_assign_lot", "Attribuer un lot à un donateur"),
    ("admin_donors_field", "Donateurs (comptes donateurs)"),
    ("admin_donors_help", "Noms séparés par des virgules, par exemple « Département de l'Hérault »."),
    ("admin_lots", "Lots"),
    ("admin_title", "Comptes et lots"),
    ("admin_users", "Comptes"),
    ("approve", "Approuver"),
    ("approve_label", "Approuver la station {} (code {})"),
    ("audit_checkpoint", "La tête du journal, signée par le registre : un auditeur la compare à celles qu'il a déjà vues (preuve de cohérence : rien n'a été modifié ni retiré)."),
    ("audit_intro", "Pour vérifier sans nous faire confiance (commande registry verify, docs/registry-api.md) :"),
    ("audit_key", "la clé publique du journal"),
    ("audit_proof", "la preuve d'inclusion de ce certificat (JSON)"),
    ("back_home", "Retour à l'accueil"),
    ("cert_json", "Le fichier du certificat tel que reçu (JSON signé)"),
    ("cert_pdf", "Télécharger le certificat imprimable (PDF)"),
    ("cert_proof", "Signature et journal de transparence"),
    ("cert_title", "Certificat {}"),
    ("cert_unit", "Machine"),
    ("check_answer", "Réponse"),
    ("check_genuine", "Le certificat {} est authentique : sa signature est valide et il est inscrit au journal public."),
    ("check_intro", "Saisissez le numéro d'un certificat d'effacement pour vérifier qu'il a bien été émis et inscrit au journal public du registre."),
    ("check_not_proved", "Le certificat {} est connu mais n'a pas pu être prouvé : signalez-le au registre."),
    ("check_number", "Numéro du certificat"),
    ("check_submit", "Vérifier"),
    ("check_title", "Vérifier un certificat"),
    ("check_unknown", "Aucun certificat portant le numéro {} n'est inscrit dans ce registre."),
    ("col_action", "Action"),
    ("col_certificate", "Certificat"),
    ("col_certificates", "Certificats"),
    ("col_created", "Créé le"),
    ("col_disks", "Disques"),
    ("col_donor", "Donateur"),
    ("col_finished", "Terminé le"),
    ("col_flag", "Alerte"),
    ("col_key", "Clé"),
    ("col_lot", "Lot"),
    ("col_name", "Nom"),
    ("col_report", "Rapport"),
    ("col_requested", "Demandé le"),
    ("col_result", "Résultat"),
    ("col_role", "Rôle"),
    ("col_state", "État"),
    ("col_station", "Station"),
    ("col_unit", "Machine"),
    ("disk_failed", "échec : l'effacement n'est pas certifié"),
    ("disk_heading", "Disque {} : {}"),
    ("disk_interrupted", "interrompu avant la fin"),
    ("disk_method", "Méthode"),
    ("disk_model", "Modèle et capacité"),
    ("disk_not_verified", "effacé mais non vérifié"),
    ("disk_result", "Résultat"),
    ("disk_serial", "Numéro de série du disque"),
    ("disk_smart", "Santé (SMART)"),
    ("disk_verification", "Vérification"),
    ("disk_verified", "effacé et vérifié"),
    ("err_bad_date", "Le champ « {} » doit être une date AAAA-MM-JJ, pas « {} »."),
    ("err_csrf", "Formulaire refusé : il ne vient pas de cette session (jeton anti-falsification absent ou faux). Rechargez la page et recommencez."),
    ("err_internal", "Le registre n'a pas pu répondre ; réessayez plus tard."),
    ("err_timeout", "La page a demandé trop de travail et a été arrêtée ; affinez la recherche ou passez à la page suivante."),
    ("err_missing_field", "Le champ « {} » est obligatoire."),
    ("err_no_certificate", "Aucun certificat {} n'est visible pour ce compte."),
    ("err_no_lot", "Aucun lot {} n'est visible pour ce compte."),
    ("err_no_station", "Aucune station ne correspond : {}"),
    ("err_remove_self", "Un compte ne peut pas se supprimer lui-même ici : utilisez registry user remove."),
    ("err_no_user", "Aucun compte ne s'appelle {}."),
    ("err_role", "Votre rôle ne permet pas d'ouvrir cette page."),
    ("err_too_many_checks", "Trop de vérifications en ce moment : réessayez dans quelques secondes."),
    ("error_title", "Impossible"),
    ("f_disk", "Numéro de série d'un disque"),
    ("f_from", "Du (date de fin)"),
    ("f_id", "Numéro du certificat"),
    ("f_lot", "Lot"),
    ("f_station", "Station"),
    ("f_to", "Au (inclus)"),
    ("f_unit", "Numéro de série de la machine"),
    ("finished", "Terminé le"),
    ("flag_hardware_failed", "le test du matériel « {} » a échoué"),
    ("flag_smart_failing", "le disque {} annonce sa propre panne (SMART)"),
    ("flag_station_revoked", "la station qui a signé a été révoquée depuis"),
    ("flag_unit_without_serial", "la machine n'a pas de numéro de série lisible"),
    ("flag_disk_without_serial", "le numéro de série du disque {} n'a pas pu être lu : on ne le retrouvera pas par son numéro"),
    ("flag_disk_without_serial_bridge", "le numéro de série du disque {} n'a pas pu être lu à travers l'adaptateur USB {} : on ne le retrouvera pas par son numéro"),
    ("flag_verification_failed", "la vérification du disque {} a échoué"),
    ("flag_verification_skipped", "le disque {} n'a pas été vérifié (pas de relecture)"),
    ("flag_wipe_interrupted", "l'effacement du disque {} a été interrompu : il n'est pas effacé ({})"),
    ("flag_wiped_twice", "le disque {} figure dans {} certificats"),
    ("hw_heading", "Tests du matériel faits par la station"),
    ("hw_cpu", "Processeur sous charge"),
    ("hw_memory", "Mémoire"),
    ("hw_disk", "Disque"),
    ("hw_battery", "Batterie"),
    ("hw_network", "Réseau"),
    ("hw_pass", "réussi"),
    ("hw_fail", "échoué"),
    ("hw_skipped", "non fait"),
    ("hw_not_applicable", "sans objet"),
    ("flags_count", "{} alerte(s) à examiner."),
    ("next_page", "Page suivante"),
    ("page_rows", "{} ligne(s) sur cette page."),
    ("flags_title", "Alertes"),
    ("grade", "Classement"),
    ("grade_none", "pas encore classée"),
    ("grade_parts", "pour pièces"),
    ("grade_recycling", "recyclage (DEEE)"),
    ("grade_reuse", "réemploi, grade {}"),
    ("log_included", "feuille n° {} du journal ; la preuve d'inclusion dans l'arbre actuel de {} feuilles est vérifiée"),
    ("log_not_proved", "feuille n° {} du journal, mais la preuve d'inclusion ne se vérifie pas : {}"),
    ("log_position", "Position dans le journal"),
    ("login_check_link", "Vérifier un certificat sans compte"),
    ("login_failed", "Nom ou mot de passe incorrect."),
    ("login_name", "Nom du compte"),
    ("login_password", "Mot de passe"),
    ("login_submit", "Se connecter"),
    ("login_title", "Connexion"),
    ("logout", "Se déconnecter"),
    ("lots_none", "Aucun lot visible."),
    ("lots_title", "Lots"),
    ("method_words", "{}, méthode « {} » ({}, {}), {} passe(s)"),
    ("nav", "Navigation principale"),
    ("nav_admin", "Comptes"),
    ("nav_check", "Vérifier"),
    ("nav_flags", "Alertes"),
    ("nav_lots", "Lots"),
    ("nav_search", "Recherche"),
    ("nav_stations", "Stations"),
    ("operator", "Opérateur"),
    ("outcome", "Résultat"),
    ("outcome_failed", "Échec : au moins un disque n'a pas été effacé"),
    ("outcome_incomplete", "Incomplet : un disque n'a pas été vérifié"),
    ("outcome_sanitized", "Tous les disques ont été effacés et vérifiés"),
    ("pdf_check_at", "Vérifiable en ligne : {}"),
    ("pdf_number", "Certificat n° {}"),
    ("pdf_title", "Certificat d'effacement des données"),
    ("received", "Reçu par le registre le"),
    ("registry", "registre des certificats"),
    ("report_co2", "CO₂ évité estimé : {} kg CO₂e par année d'utilisation ({} kg par machine réemployée et par an)"),
    ("report_html", "rapport"),
    ("report_lot", "Lot {} — donateur : {}"),
    ("report_parts", "Gardées pour pièces : {}"),
    ("report_pdf", "Télécharger le rapport (PDF)"),
    ("report_received", "Machines reçues : {}"),
    ("report_recycled", "Recyclées (DEEE) : {}"),
    ("report_reused", "Réemployées : {}"),
    ("report_source", "Source du facteur CO₂ :"),
    ("report_title", "Rapport du lot {}"),
    ("report_ungraded", "Pas encore classées : {}"),
    ("report_units", "Machines du lot"),
    ("report_wiped", "Effacées et vérifiées : {}"),
    ("remove_user", "Supprimer"),
    ("remove_user_label", "Supprimer le compte {}"),
    ("revoke", "Révoquer"),
    ("revoke_label", "Révoquer la station {}"),
    ("role_admin", "administrateur"),
    ("role_donor", "donateur"),
    ("role_supervisor", "superviseur"),
    ("search_csv", "Exporter cette recherche (CSV)"),
    ("search_none", "Aucun certificat ne correspond."),
    ("search_results", "{} certificat(s)"),
    ("search_submit", "Rechercher"),
    ("search_title", "Rechercher des certificats"),
    ("signature", "Signature"),
    ("signature_bad", "la signature ne se vérifie pas : {}"),
    ("signature_key", "Clé de signature (identifiant)"),
    ("signature_ok", "signature valide de la clé de station {} ; {}"),
    ("size_gb", "{} Go"),
    ("size_mb", "{} Mo"),
    ("skip", "Aller au contenu"),
    ("smart_failed", "le disque annonce sa propre panne"),
    ("smart_passed", "bonne"),
    ("smart_unknown", "inconnue"),
    ("station_revoked_short", "révoquée"),
    ("station_state_approved", "station approuvée"),
    ("station_state_pending", "en attente, code {}"),
    ("station_state_revoked", "station révoquée le {}"),
    ("station_state_unknown", "station inconnue du registre"),
    ("stations_title", "Stations"),
    ("tech_block_erase", "effacement par blocs"),
    ("tech_crypto_erase", "effacement cryptographique"),
    ("tech_overwrite", "réécriture"),
    ("tech_secure_erase", "effacement sécurisé ATA"),
    ("unit_chassis", "Type"),
    ("unit_model", "Fabricant et modèle"),
    ("unit_serial", "Numéro de série de la machine"),
    ("unknown_because", "inconnu ({})"),
    ("verif_clean", "aucune différence"),
    ("verif_every_pass", "après chaque passe"),
    ("verif_full", "en entier"),
    ("verif_last_pass", "après la dernière passe"),
    ("verif_mismatch", "{} octets différents, {} erreur(s)"),
    ("verif_none", "non vérifié : rien n'a été relu"),
    ("verif_sampled", "sur un échantillon de {} % du disque"),
    ("verif_words", "relu {} {} : {}"),
];

const EN: &[(&str, &str)] = &[
    ("admin_add_user", "Create an account"),
    ("admin_assign_lot", "Assign a lot to a donor"),
    ("admin_donors_field", "Donors (donor accounts)"),
    ("admin_donors_help", "Names separated by commas, e.g. “Département de l'Hérault”."),
    ("admin_lots", "Lots"),
    ("admin_title", "Accounts and lots"),
    ("admin_users", "Accounts"),
    ("approve", "Approve"),
    ("approve_label", "Approve station {} (code {})"),
    ("audit_checkpoint", "The log's head, signed by the registry: an auditor compares it with the heads already seen (a consistency proof: nothing was edited or removed)."),
    ("audit_intro", "To check without trusting us (the registry verify command, docs/registry-api.md):"),
    ("audit_key", "the log's public key"),
    ("audit_proof", "this certificate's inclusion proof (JSON)"),
    ("back_home", "Back to the start page"),
    ("cert_json", "The certificate file as received (signed JSON)"),
    ("cert_pdf", "Download the printable certificate (PDF)"),
    ("cert_proof", "Signature and transparency log"),
    ("cert_title", "Certificate {}"),
    ("cert_unit", "Unit"),
    ("check_answer", "Answer"),
    ("check_genuine", "Certificate {} is genuine: its signature is valid and it is recorded in the public log."),
    ("check_intro", "Enter a data sanitization certificate's number to check that it was issued and recorded in the registry's public log."),
    ("check_not_proved", "Certificate {} is known but could not be proved: report it to the registry."),
    ("check_number", "Certificate number"),
    ("check_submit", "Check"),
    ("check_title", "Check a certificate"),
    ("check_unknown", "No certificate numbered {} is recorded in this registry."),
    ("col_action", "Action"),
    ("col_certificate", "Certificate"),
    ("col_certificates", "Certificates"),
    ("col_created", "Created"),
    ("col_disks", "Disks"),
    ("col_donor", "Donor"),
    ("col_finished", "Finished"),
    ("col_flag", "Flag"),
    ("col_key", "Key"),
    ("col_lot", "Lot"),
    ("col_name", "Name"),
    ("col_report", "Report"),
    ("col_requested", "Requested"),
    ("col_result", "Result"),
    ("col_role", "Role"),
    ("col_state", "State"),
    ("col_station", "Station"),
    ("col_unit", "Unit"),
    ("disk_failed", "failed: the wipe is not certified"),
    ("disk_heading", "Disk {}: {}"),
    ("disk_interrupted", "interrupted before the end"),
    ("disk_method", "Method"),
    ("disk_model", "Model and capacity"),
    ("disk_not_verified", "wiped but not verified"),
    ("disk_result", "Result"),
    ("disk_serial", "Disk serial number"),
    ("disk_smart", "Health (SMART)"),
    ("disk_verification", "Verification"),
    ("disk_verified", "wiped and verified"),
    ("err_bad_date", "The field “{}” must be a date YYYY-MM-DD, not “{}”."),
    ("err_csrf", "Form refused: it does not come from this session (anti-forgery token missing or wrong). Reload the page and try again."),
    ("err_internal", "The registry could not answer; try again later."),
    ("err_timeout", "The page asked for too much work and was stopped; narrow the search or go to the next page."),
    ("err_missing_field", "The field “{}” is required."),
    ("err_no_certificate", "No certificate {} is visible to this account."),
    ("err_no_lot", "No lot {} is visible to this account."),
    ("err_no_station", "No station matches: {}"),
    ("err_remove_self", "An account cannot remove itself here: use registry user remove."),
    ("err_no_user", "No account is named {}."),
    ("err_role", "Your role does not allow this page."),
    ("err_too_many_checks", "Too many checks right now: try again in a few seconds."),
    ("error_title", "Not possible"),
    ("f_disk", "Disk serial number"),
    ("f_from", "From (finish date)"),
    ("f_id", "Certificate number"),
    ("f_lot", "Lot"),
    ("f_station", "Station"),
    ("f_to", "To (inclusive)"),
    ("f_unit", "Unit serial number"),
    ("finished", "Finished"),
    ("flag_hardware_failed", "the hardware test \u{201c}{}\u{201d} failed"),
    ("flag_smart_failing", "disk {} predicts its own failure (SMART)"),
    ("flag_station_revoked", "the signing station has been revoked since"),
    ("flag_unit_without_serial", "the unit has no readable serial number"),
    ("flag_disk_without_serial", "the serial number of disk {} could not be read: it cannot be found by its serial"),
    ("flag_disk_without_serial_bridge", "the serial number of disk {} could not be read through the USB adapter {}: it cannot be found by its serial"),
    ("flag_verification_failed", "the verification of disk {} failed"),
    ("flag_verification_skipped", "disk {} was not verified (no read-back)"),
    ("flag_wipe_interrupted", "the wipe of disk {} was interrupted: it is not sanitized ({})"),
    ("flag_wiped_twice", "disk {} appears in {} certificates"),
    ("hw_heading", "Hardware tests run by the station"),
    ("hw_cpu", "Processor under load"),
    ("hw_memory", "Memory"),
    ("hw_disk", "Disk"),
    ("hw_battery", "Battery"),
    ("hw_network", "Network"),
    ("hw_pass", "passed"),
    ("hw_fail", "failed"),
    ("hw_skipped", "not done"),
    ("hw_not_applicable", "not applicable"),
    ("flags_count", "{} flag(s) to look at."),
    ("next_page", "Next page"),
    ("page_rows", "{} row(s) on this page."),
    ("flags_title", "Flags"),
    ("grade", "Grade"),
    ("grade_none", "not graded yet"),
    ("grade_parts", "for parts"),
    ("grade_recycling", "recycling (WEEE)"),
    ("grade_reuse", "reuse, grade {}"),
    ("log_included", "leaf {} of the log; its inclusion proof in the current tree of {} leaves verifies"),
    ("log_not_proved", "leaf {} of the log, but its inclusion proof does not verify: {}"),
    ("log_position", "Log position"),
    ("login_check_link", "Check a certificate without an account"),
    ("login_failed", "Wrong name or password."),
    ("login_name", "Account name"),
    ("login_password", "Password"),
    ("login_submit", "Log in"),
    ("login_title", "Log in"),
    ("logout", "Log out"),
    ("lots_none", "No lot visible."),
    ("lots_title", "Lots"),
    ("method_words", "{}, method “{}” ({}, {}), {} pass(es)"),
    ("nav", "Main navigation"),
    ("nav_admin", "Accounts"),
    ("nav_check", "Check"),
    ("nav_flags", "Flags"),
    ("nav_lots", "Lots"),
    ("nav_search", "Search"),
    ("nav_stations", "Stations"),
    ("operator", "Operator"),
    ("outcome", "Result"),
    ("outcome_failed", "Failed: at least one disk was not wiped"),
    ("outcome_incomplete", "Incomplete: a disk was not verified"),
    ("outcome_sanitized", "Every disk was wiped and verified"),
    ("pdf_check_at", "Check it online: {}"),
    ("pdf_number", "Certificate no. {}"),
    ("pdf_title", "Data sanitization certificate"),
    ("received", "Received by the registry"),
    ("registry", "certificate registry"),
    ("report_co2", "Estimated CO₂ avoided: {} kg CO₂e per year of use ({} kg per reused unit per year)"),
    ("report_html", "report"),
    ("report_lot", "Lot {} — donor: {}"),
    ("report_parts", "Kept for parts: {}"),
    ("report_pdf", "Download the report (PDF)"),
    ("report_received", "Units received: {}"),
    ("report_recycled", "Recycled (WEEE): {}"),
    ("report_reused", "Reused: {}"),
    ("report_source", "CO₂ factor source:"),
    ("report_title", "Report for lot {}"),
    ("report_ungraded", "Not graded yet: {}"),
    ("report_units", "Units of the lot"),
    ("report_wiped", "Wiped and verified: {}"),
    ("remove_user", "Remove"),
    ("remove_user_label", "Remove account {}"),
    ("revoke", "Revoke"),
    ("revoke_label", "Revoke station {}"),
    ("role_admin", "administrator"),
    ("role_donor", "donor"),
    ("role_supervisor", "supervisor"),
    ("search_csv", "Export this search (CSV)"),
    ("search_none", "No certificate matches."),
    ("search_results", "{} certificate(s)"),
    ("search_submit", "Search"),
    ("search_title", "Search certificates"),
    ("signature", "Signature"),
    ("signature_bad", "the signature does not verify: {}"),
    ("signature_key", "Signing key (id)"),
    ("signature_ok", "valid signature by station key {}; {}"),
    ("size_gb", "{} GB"),
    ("size_mb", "{} MB"),
    ("skip", "Skip to content"),
    ("smart_failed", "the disk predicts its own failure"),
    ("smart_passed", "good"),
    ("smart_unknown", "unknown"),
    ("station_revoked_short", "revoked"),
    ("station_state_approved", "station approved"),
    ("station_state_pending", "waiting, code {}"),
    ("station_state_revoked", "station revoked on {}"),
    ("station_state_unknown", "station unknown to the registry"),
    ("stations_title", "Stations"),
    ("tech_block_erase", "block erase"),
    ("tech_crypto_erase", "cryptographic erase"),
    ("tech_overwrite", "overwrite"),
    ("tech_secure_erase", "ATA secure erase"),
    ("unit_chassis", "Type"),
    ("unit_model", "Make and model"),
    ("unit_serial", "Unit serial number"),
    ("unknown_because", "unknown ({})"),
    ("verif_clean", "no difference found"),
    ("verif_every_pass", "after every pass"),
    ("verif_full", "in full"),
    ("verif_last_pass", "after the last pass"),
    ("verif_mismatch", "{} bytes differ, {} error(s)"),
    ("verif_none", "not verified: nothing was read back"),
    ("verif_sampled", "on a sample of {} % of the disk"),
    ("verif_words", "read back {} {}: {}"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(table: &'static [(&'static str, &'static str)]) -> Vec<&'static str> {
        table.iter().map(|(k, _)| *k).collect()
    }

    #[test]
    fn both_languages_have_the_same_keys_once_each() {
        assert_eq!(keys(FR), keys(EN));
        let mut sorted = keys(FR);
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), FR.len(), "a key appears twice");
    }

    #[test]
    fn placeholders_match_between_languages() {
        for ((k, fr), (_, en)) in FR.iter().zip(EN) {
            assert_eq!(fr.matches("{}").count(), en.matches("{}").count(), "{k}");
            assert!(!fr.is_empty() && !en.is_empty(), "{k}");
        }
    }

    #[test]
    fn every_key_used_by_the_pages_exists() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("pages/mod.rs"),
            include_str!("pages/admin.rs"),
            include_str!("pages/certificates.rs"),
            include_str!("pages/flagged.rs"),
            include_str!("pages/login.rs"),
            include_str!("pages/lots.rs"),
            include_str!("pages/search.rs"),
            include_str!("pages/stations.rs"),
        ];
        for source in sources {
            for (i, _) in source.match_indices("tr(") {
                let before = source[..i].chars().next_back().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue;
                }
                let rest = &source[i + 3..];
                let Some(start) = rest.find('"') else { continue };
                if !rest[..start]
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '.' || c == '_' || c == ',' || c == ' ')
                {
                    continue;
                }
                let key: String = rest[start + 1..].chars().take_while(|c| *c != '"').collect();
                assert!(FR.iter().any(|(k, _)| *k == key), "{key} is used but not in the tables");
            }
        }
    }

    #[test]
    fn fill_puts_arguments_in_order() {
        assert_eq!(fill("a {} b {}", &["1", "2"]), "a 1 b 2");
        assert_eq!(fill("none", &["1"]), "none");
    }
}
