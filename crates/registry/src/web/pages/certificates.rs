//! A certificate in words: its page, its printable PDF, and the public check.

use super::*;

pub(super) fn outcome_words(l: Lang, result: &str) -> &'static str {
    match result {
        "sanitized" => tr(l, "outcome_sanitized"),
        "failed" => tr(l, "outcome_failed"),
        _ => tr(l, "outcome_incomplete"),
    }
}

pub(super) fn disk_result_words(l: Lang, r: SanitizeResult) -> &'static str {
    match r {
        SanitizeResult::Verified => tr(l, "disk_verified"),
        SanitizeResult::NotVerified => tr(l, "disk_not_verified"),
        SanitizeResult::Failed => tr(l, "disk_failed"),
        SanitizeResult::Interrupted => tr(l, "disk_interrupted"),
    }
}

pub(super) fn method_words(l: Lang, s: &SanitizeRecord) -> String {
    let technique = match s.technique {
        Technique::Overwrite => tr(l, "tech_overwrite"),
        Technique::BlockErase => tr(l, "tech_block_erase"),
        Technique::CryptoErase => tr(l, "tech_crypto_erase"),
        Technique::SecureErase => tr(l, "tech_secure_erase"),
    };
    let category = match s.category {
        Category::Clear => "Clear",
        Category::Purge => "Purge",
    };
    fill(tr(l, "method_words"), &[technique, &s.method, &s.standard, category, &s.passes.len().to_string()])
}

pub(super) fn verification_words(l: Lang, s: &SanitizeRecord) -> String {
    let v = &s.verification;
    if v.mode == VerificationMode::None || v.bytes_verified == 0 {
        return tr(l, "verif_none").to_owned();
    }
    let which = match v.mode {
        VerificationMode::EveryPass => tr(l, "verif_every_pass"),
        _ => tr(l, "verif_last_pass"),
    };
    let how_much = match v.coverage {
        Coverage::Full => tr(l, "verif_full").to_owned(),
        Coverage::Sampled { percent } => fill(tr(l, "verif_sampled"), &[&format!("{percent}")]),
    };
    let found = if v.mismatched_bytes == 0 && s.errors.is_empty() {
        tr(l, "verif_clean").to_owned()
    } else {
        fill(tr(l, "verif_mismatch"), &[&v.mismatched_bytes.to_string(), &s.errors.len().to_string()])
    };
    fill(tr(l, "verif_words"), &[&how_much, which, &found])
}

/// A capacity in decimal units, as disk makers count (IEC 80000-13 prefixes are not what the
/// label on the disk says).
pub(super) fn capacity(l: Lang, bytes: u64) -> String {
    if bytes >= 1_000_000_000 {
        fill(tr(l, "size_gb"), &[&format!("{:.0}", bytes as f64 / 1e9)])
    } else {
        fill(tr(l, "size_mb"), &[&format!("{:.0}", bytes as f64 / 1e6)])
    }
}

pub(super) fn grade_words(l: Lang, c: &Certificate) -> String {
    match report::grade_word(c).as_deref() {
        Some(g @ ("A" | "B" | "C")) => fill(tr(l, "grade_reuse"), &[g]),
        Some("pieces") => tr(l, "grade_parts").to_owned(),
        Some("recycling") => tr(l, "grade_recycling").to_owned(),
        _ => tr(l, "grade_none").to_owned(),
    }
}

/// What the registry can say about a stored certificate, checked now.
pub(super) struct Checked {
    pub(super) row: CertificateRow,
    certificate: Certificate,
    /// The signing key ids, when every signature verifies.
    signature: Result<Vec<String>, String>,
    station: Option<Station>,
    /// The tree size its inclusion was proved in, or why not.
    inclusion: Result<u64, String>,
    /// The certificate's leaf hash (RFC 6962 §2.1), when its signature verifies.
    leaf_hash: Option<[u8; 32]>,
    /// The log's size and root the proof was checked against.
    head: (u64, [u8; 32]),
    /// A supervisor's decision on it, checked now (issue 26; pages/validation.rs).
    pub(super) validation: Option<super::validation::Shown>,
}

/// Why an inclusion proof could not be computed, in words.
pub(super) struct ProofFailure(String);

impl From<certificate::log::LogError> for ProofFailure {
    fn from(e: certificate::log::LogError) -> Self {
        ProofFailure(e.to_string())
    }
}

pub(super) fn check_certificate(store: &dyn Store, row: CertificateRow) -> Result<Checked, WebError> {
    let doc = SignedDocument::from_json(row.document.as_bytes()).map_err(|e| {
        tracing::error!(id = %row.id, "stored certificate does not parse: {e}");
        WebError::Internal
    })?;
    let verified = doc.verify();
    let certificate: Certificate = match &verified {
        Ok(v) => v.certificate.clone(),
        Err(_) => serde_json::from_value(doc.certificate.clone()).map_err(|_| WebError::Internal)?,
    };
    let (size, root) = store.log_head()?;
    let validation =
        super::validation::load(store, &row.id, verified.as_ref().ok().map(|v| v.canonical.as_slice()))?;
    let (signature, inclusion, leaf_hash) = match verified {
        Ok(v) => {
            let leaf = certificate::log::leaf_hash(&v.canonical);
            let proof = certificate::log::inclusion_proof_with(row.leaf_index, size, |a, b| {
                store.leaf_hashes(a, b).map_err(|e| ProofFailure(e.to_string()))
            });
            let inclusion = match proof {
                Ok(proof) => certificate::log::verify_inclusion(&leaf, row.leaf_index, size, &proof, &root)
                    .map(|()| size)
                    .map_err(|e| e.to_string()),
                Err(ProofFailure(e)) => Err(e),
            };
            (Ok(v.signers), inclusion, Some(leaf))
        }
        Err(e) => (Err(e.to_string()), Err(e.to_string()), None),
    };
    let station = store.station(&row.station_key_id)?;
    Ok(Checked { row, certificate, signature, station, inclusion, leaf_hash, head: (size, root), validation })
}

pub(super) fn signature_words(l: Lang, c: &Checked) -> String {
    match &c.signature {
        Ok(_) => {
            let state = match &c.station {
                Some(s) if s.revoked_at.is_some() => {
                    fill(tr(l, "station_state_revoked"), &[s.revoked_at.as_deref().unwrap_or("?")])
                }
                Some(_) => tr(l, "station_state_approved").to_owned(),
                None => tr(l, "station_state_unknown").to_owned(),
            };
            fill(tr(l, "signature_ok"), &[&c.row.station_key_id, &state])
        }
        Err(e) => fill(tr(l, "signature_bad"), &[e]),
    }
}

pub(super) fn log_words(l: Lang, c: &Checked) -> String {
    match &c.inclusion {
        Ok(size) => fill(tr(l, "log_included"), &[&c.row.leaf_index.to_string(), &size.to_string()]),
        Err(e) => fill(tr(l, "log_not_proved"), &[&c.row.leaf_index.to_string(), e]),
    }
}

pub(super) fn probed(l: Lang, p: &certificate::Probed<String>) -> String {
    match p {
        certificate::Probed::Value(v) => v.clone(),
        certificate::Probed::Unavailable(why) => fill(tr(l, "unknown_because"), &[why]),
    }
}

pub(super) fn station_label(c: &Checked) -> String {
    c.station.as_ref().and_then(|s| s.name.clone()).unwrap_or_else(|| c.certificate.station.id.clone())
}

pub(super) fn load_visible(state: &AppState, ctx: &Ctx, id: &str) -> Result<Checked, WebError> {
    let p = ctx.require(ALL)?;
    let row = visible_certificate(state.store.as_ref(), &p.user, id)?
        .ok_or_else(|| WebError::NotFound(fill(tr(ctx.lang, "err_no_certificate"), &[id])))?;
    check_certificate(state.store.as_ref(), row)
}

pub async fn certificate_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        let c = load_visible(state, ctx, &id)?;
        let cert = &c.certificate;
        let mut h = Html::new();
        shell(&mut h, ctx, &fill(tr(l, "cert_title"), &[&c.row.id]));
        h.raw("<p><a href=\"/certificates/")
            .text(&url_encode(&c.row.id))
            .raw("/pdf\">")
            .text(tr(l, "cert_pdf"))
            .raw("</a></p>");
        h.raw("<p class=\"verdict\">").text(outcome_words(l, &c.row.result)).raw("</p>");
        let (attestation, grounds) = attestation_lines(l, cert);
        h.raw("<p class=\"attestation\">").text(&attestation).raw("</p>");
        if let Some(g) = grounds {
            h.raw("<p class=\"attestation-grounds\">").text(&g).raw("</p>");
        }
        h.raw("<h2>").text(tr(l, "cert_unit")).raw("</h2><dl>");
        let item = |h: &mut Html, key: &str, value: &str| {
            h.raw("<dt>").text(tr(l, key)).raw("</dt><dd>").text(value).raw("</dd>");
        };
        item(&mut h, "unit_serial", &probed(l, &cert.unit.serial));
        item(
            &mut h,
            "unit_model",
            &format!("{} {}", probed(l, &cert.unit.vendor), probed(l, &cert.unit.model)),
        );
        item(&mut h, "unit_chassis", &probed(l, &cert.unit.chassis));
        item(&mut h, "f_lot", cert.lot.as_deref().unwrap_or("—"));
        item(&mut h, "operator", &cert.operator);
        item(&mut h, "f_station", &station_label(&c));
        item(&mut h, "finished", cert.finished_at.as_str());
        item(&mut h, "received", &c.row.received_at);
        item(&mut h, "grade", &grade_words(l, cert));
        for (key, value) in standards_rows(l, cert) {
            item(&mut h, key, &value);
        }
        h.raw("</dl>");
        for (i, d) in cert.disks.iter().enumerate() {
            h.raw("<h2>")
                .text(&fill(tr(l, "disk_heading"), &[&(i + 1).to_string(), &probed(l, &d.serial)]))
                .raw("</h2><dl>");
            item(
                &mut h,
                "disk_model",
                &format!("{} — {}", probed(l, &d.model), capacity(l, d.capacity_bytes)),
            );
            item(&mut h, "disk_result", disk_result_words(l, d.sanitization.result));
            item(&mut h, "disk_method", &method_words(l, &d.sanitization));
            item(&mut h, "disk_verification", &verification_words(l, &d.sanitization));
            let smart = match d.smart.value() {
                Some(certificate::SmartVerdict::Passed) => tr(l, "smart_passed").to_owned(),
                Some(certificate::SmartVerdict::Failed) => tr(l, "smart_failed").to_owned(),
                None => tr(l, "smart_unknown").to_owned(),
            };
            item(&mut h, "disk_smart", &smart);
            for (key, value) in disk_standards_rows(l, d) {
                item(&mut h, key, &value);
            }
            h.raw("</dl>");
        }
        if !cert.hardware_tests.is_empty() {
            // The station's own tests: each with its result in words and its evidence, as the
            // station wrote it (English, like all of a certificate's evidence).
            h.raw("<h2>").text(tr(l, "hw_heading")).raw("</h2><dl>");
            for t in &cert.hardware_tests {
                let what = format!(
                    "{}{}",
                    tr(l, hardware_kind_key(t.kind)),
                    t.device.as_deref().map(|d| format!(" {d}")).unwrap_or_default()
                );
                let status = tr(l, check_status_key(t.status));
                h.raw("<dt>").text(&what).raw("</dt><dd>").text(status);
                if !t.details.is_empty() {
                    h.raw(" — ").text(&t.details.join(" ; "));
                }
                h.raw("</dd>");
            }
            h.raw("</dl>");
        }
        super::validation::section(&mut h, ctx, &c);
        h.raw("<h2>").text(tr(l, "cert_proof")).raw("</h2><dl>");
        item(&mut h, "signature", &signature_words(l, &c));
        item(&mut h, "log_position", &log_words(l, &c));
        h.raw("</dl><p>").text(tr(l, "audit_intro")).raw("</p><ul>");
        if let Some(leaf) = c.leaf_hash {
            h.raw("<li><a href=\"/api/v1/log/proof/inclusion?leaf_hash=")
                .text(&hex::encode(leaf))
                .raw("&amp;tree_size=")
                .num(c.head.0)
                .raw("\">")
                .text(tr(l, "audit_proof"))
                .raw("</a></li>");
        }
        h.raw("<li><a href=\"/api/v1/log/key\">").text(tr(l, "audit_key")).raw("</a></li></ul>");
        if let Ok(note) = state.log.checkpoint(c.head.0, c.head.1) {
            h.raw("<p>").text(tr(l, "audit_checkpoint")).raw("</p><pre>").text(&note).raw("</pre>");
        }
        h.raw("<p><a href=\"/api/v1/certificates/")
            .text(&url_encode(&c.row.id))
            .raw("\">")
            .text(tr(l, "cert_json"))
            .raw("</a></p>");
        end(&mut h);
        Ok(html_response(StatusCode::OK, h))
    })
    .await
}

/// The interface text key naming a hardware test's kind.
pub(super) fn hardware_kind_key(kind: certificate::HardwareTestKind) -> &'static str {
    match kind {
        certificate::HardwareTestKind::Cpu => "hw_cpu",
        certificate::HardwareTestKind::Memory => "hw_memory",
        certificate::HardwareTestKind::Disk => "hw_disk",
        certificate::HardwareTestKind::Battery => "hw_battery",
        certificate::HardwareTestKind::Network => "hw_network",
    }
}

/// The interface text key of a check's status.
pub(super) fn check_status_key(status: certificate::CheckStatus) -> &'static str {
    match status {
        certificate::CheckStatus::Pass => "hw_pass",
        certificate::CheckStatus::Fail => "hw_fail",
        certificate::CheckStatus::Skipped => "hw_skipped",
        certificate::CheckStatus::NotApplicable => "hw_not_applicable",
    }
}

/// The "reconditionné" attestation (décret n° 2022-190), computed from the certificate each time
/// it is shown, never stored: its line, and what it rests on when anything does.
pub(super) fn attestation_lines(l: Lang, cert: &Certificate) -> (String, Option<String>) {
    let lang = match l {
        Lang::Fr => certificate::attestation::Language::Fr,
        Lang::En => certificate::attestation::Language::En,
    };
    let a = certificate::attestation::reconditionne(cert);
    (a.line(lang), a.grounds(lang))
}

/// The unit's rows of NIST SP 800-88 Rev. 1 Appendix G beyond the operator's name: the
/// performer's role, organisation, location and contact, the post-sanitization confidentiality
/// (derived from the result) and destination (when the station recorded one).
pub(super) fn standards_rows(l: Lang, cert: &Certificate) -> Vec<(&'static str, String)> {
    let mut rows = Vec::new();
    if let Some(p) = &cert.performed_by {
        for (key, value) in [
            ("performer_role", &p.role),
            ("performer_organisation", &p.organisation),
            ("performer_location", &p.location),
            ("performer_contact", &p.contact),
        ] {
            if let Some(v) = value {
                rows.push((key, v.clone()));
            }
        }
    }
    let classification = match certificate::standards::PostClassification::of(cert) {
        certificate::standards::PostClassification::Public => tr(l, "post_public"),
        certificate::standards::PostClassification::Confidential => tr(l, "post_confidential"),
    };
    rows.push(("post_classification", classification.to_owned()));
    if let Some(post) = &cert.post_sanitization {
        let key = match post.destination {
            certificate::Destination::InternalReuse => "dest_internal_reuse",
            certificate::Destination::ExternalReuse => "dest_external_reuse",
            certificate::Destination::Recycling => "dest_recycling",
            certificate::Destination::Manufacturer => "dest_manufacturer",
            certificate::Destination::Unknown => "dest_unknown",
        };
        rows.push(("post_destination", tr(l, key).to_owned()));
    }
    rows
}

/// A disk's rows in the standards' terms: its medium (when recorded) and IEEE 2883-2022's method
/// and technique (derived from what was done).
pub(super) fn disk_standards_rows(l: Lang, d: &certificate::DiskRecord) -> Vec<(&'static str, String)> {
    let mut rows = Vec::new();
    if let Some(m) = &d.media {
        let kind = match m.kind {
            certificate::MediaType::Hdd => "media_hdd",
            certificate::MediaType::Ssd => "media_ssd",
            certificate::MediaType::Nvme => "media_nvme",
            certificate::MediaType::Usb => "media_usb",
            certificate::MediaType::FlashCard => "media_flash_card",
            certificate::MediaType::Virtual => "media_virtual",
            certificate::MediaType::Unknown => "media_unknown",
        };
        let source = match m.source {
            certificate::MediaSource::Computer => "media_computer",
            certificate::MediaSource::Loose => "media_loose",
        };
        let backup = match m.data_backup {
            certificate::DataBackup::Yes => "backup_yes",
            certificate::DataBackup::No => "backup_no",
            certificate::DataBackup::Unknown => "backup_unknown",
        };
        rows.push(("disk_media", format!("{}, {}, {}", tr(l, kind), tr(l, source), tr(l, backup))));
    }
    let t = certificate::standards::ieee2883(d);
    rows.push(("disk_ieee2883", format!("{} — {} {}", t.method.as_str(), t.interface, t.technique)));
    rows
}

/// The lines of the printable certificate.
pub(super) fn certificate_pdf_bytes(l: Lang, c: &Checked, public_url: &str) -> Result<Vec<u8>, WebError> {
    let cert = &c.certificate;
    let mut pdf = pdf::Pdf::new();
    let check_url = format!("{public_url}/check?id={}", url_encode(&c.row.id));
    pdf.qr(pdf::PAGE_WIDTH - 50.0, pdf::PAGE_HEIGHT - 40.0, 110.0, &check_url).map_err(|e| {
        tracing::error!("{e}");
        WebError::Internal
    })?;
    pdf.line(16.0, true, tr(l, "pdf_title"));
    pdf.gap(6.0);
    pdf.line(10.0, false, &fill(tr(l, "pdf_number"), &[&c.row.id]));
    pdf.line(10.0, false, &labelled(l, "outcome", outcome_words(l, &c.row.result)));
    // Below the QR code (its bottom is at PAGE_HEIGHT - 150), so no line runs under it.
    pdf.gap((pdf.cursor() - (pdf::PAGE_HEIGHT - 160.0)).max(12.0));
    // The attestation, full width: it is the line the donor and the buyer read first.
    let (attestation, grounds) = attestation_lines(l, cert);
    pdf.line(10.0, true, &attestation);
    if let Some(g) = grounds {
        pdf.line(9.0, false, &g);
    }
    pdf.gap(6.0);
    pdf.line(12.0, true, tr(l, "cert_unit"));
    let row = |pdf: &mut pdf::Pdf, key: &str, value: &str| pdf.line(10.0, false, &labelled(l, key, value));
    row(&mut pdf, "unit_serial", &probed(l, &cert.unit.serial));
    row(&mut pdf, "unit_model", &format!("{} {}", probed(l, &cert.unit.vendor), probed(l, &cert.unit.model)));
    row(&mut pdf, "f_lot", cert.lot.as_deref().unwrap_or("—"));
    row(&mut pdf, "operator", &cert.operator);
    row(&mut pdf, "f_station", &station_label(c));
    row(&mut pdf, "finished", cert.finished_at.as_str());
    row(&mut pdf, "grade", &grade_words(l, cert));
    for (key, value) in standards_rows(l, cert) {
        row(&mut pdf, key, &value);
    }
    for (i, d) in cert.disks.iter().enumerate() {
        pdf.gap(6.0);
        pdf.line(12.0, true, &fill(tr(l, "disk_heading"), &[&(i + 1).to_string(), &probed(l, &d.serial)]));
        row(&mut pdf, "disk_serial", &probed(l, &d.serial));
        row(&mut pdf, "disk_model", &format!("{} — {}", probed(l, &d.model), capacity(l, d.capacity_bytes)));
        row(&mut pdf, "disk_result", disk_result_words(l, d.sanitization.result));
        row(&mut pdf, "disk_method", &method_words(l, &d.sanitization));
        row(&mut pdf, "disk_verification", &verification_words(l, &d.sanitization));
        for (key, value) in disk_standards_rows(l, d) {
            row(&mut pdf, key, &value);
        }
    }
    if !cert.hardware_tests.is_empty() {
        pdf.gap(6.0);
        pdf.line(12.0, true, tr(l, "hw_heading"));
        for t in &cert.hardware_tests {
            let device = t.device.as_deref().map(|d| format!(" {d}")).unwrap_or_default();
            let line = format!(
                "{}{device} : {}",
                tr(l, hardware_kind_key(t.kind)),
                tr(l, check_status_key(t.status))
            );
            pdf.line(10.0, false, &line);
        }
    }
    pdf.gap(6.0);
    pdf.line(12.0, true, tr(l, "cert_proof"));
    row(&mut pdf, "signature_key", &c.row.station_key_id);
    row(&mut pdf, "signature", &signature_words(l, c));
    row(&mut pdf, "log_position", &log_words(l, c));
    super::validation::pdf_lines(&mut pdf, l, c);
    pdf.gap(6.0);
    pdf.line(10.0, false, &fill(tr(l, "pdf_check_at"), &[&check_url]));
    Ok(pdf.finish())
}

pub async fn certificate_pdf(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let c = load_visible(state, ctx, &id)?;
        let bytes = certificate_pdf_bytes(ctx.lang, &c, &state.web.public_url)?;
        Ok(attachment("application/pdf", &format!("certificat-{}.pdf", url_encode(&c.row.id)), bytes))
    })
    .await
}

/// The public check: anyone with a certificate number learns whether it is genuine and in the
/// log, and where; nothing else (no serial, no lot, no donor).
pub async fn check(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    axum::extract::Query(form): axum::extract::Query<FormData>,
) -> Response {
    run(state, headers, q, move |state, ctx| {
        let l = ctx.lang;
        let id = form.get("id").map(|s| s.trim().to_owned()).unwrap_or_default();
        let mut h = Html::new();
        shell(&mut h, ctx, tr(l, "check_title"));
        h.raw("<p>")
            .text(tr(l, "check_intro"))
            .raw("</p><form method=\"get\" action=\"/check\" class=\"stack\"><label for=\"id\">")
            .text(tr(l, "check_number"))
            .raw("</label><input id=\"id\" name=\"id\" value=\"")
            .text(&id)
            .raw("\" required><button type=\"submit\">")
            .text(tr(l, "check_submit"))
            .raw("</button></form>");
        let mut status = StatusCode::OK;
        if !id.is_empty() {
            if state.web.check_limiter.take("check").is_err() {
                return Err(WebError::TooManyRequests(tr(l, "err_too_many_checks").to_owned()));
            }
            let q = SearchQuery { certificate_id: Some(id.clone()), ..SearchQuery::default() };
            let found = state.store.search(&q)?.into_iter().next();
            h.raw("<section aria-live=\"polite\"><h2>").text(tr(l, "check_answer")).raw("</h2>");
            match found {
                Some(row) => {
                    let c = check_certificate(state.store.as_ref(), row)?;
                    if c.signature.is_ok() && c.inclusion.is_ok() {
                        h.raw("<p class=\"ok\">").text(&fill(tr(l, "check_genuine"), &[&id])).raw("</p>");
                    } else {
                        h.raw("<p class=\"error\">")
                            .text(&fill(tr(l, "check_not_proved"), &[&id]))
                            .raw("</p>");
                    }
                    h.raw("<ul><li>")
                        .text(&labelled(l, "finished", c.certificate.finished_at.as_str()))
                        .raw("</li><li>")
                        .text(&labelled(l, "outcome", outcome_words(l, &c.row.result)))
                        .raw("</li><li>")
                        .text(&log_words(l, &c))
                        .raw("</li></ul>");
                }
                None => {
                    status = StatusCode::NOT_FOUND;
                    h.raw("<p class=\"error\">").text(&fill(tr(l, "check_unknown"), &[&id])).raw("</p>");
                }
            }
            h.raw("</section>");
        }
        end(&mut h);
        Ok(html_response(status, h))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_is_told_in_plain_words() {
        let c = certificate::example::certificate("D");
        let s = &c.disks[0].sanitization;
        assert_eq!(
            verification_words(Lang::En, s),
            "read back in full after the last pass: no difference found"
        );
        assert_eq!(
            verification_words(Lang::Fr, s),
            "relu en entier après la dernière passe : aucune différence"
        );
        let mut bad = s.clone();
        bad.verification.mismatched_bytes = 4096;
        assert!(verification_words(Lang::En, &bad).contains("4096 bytes differ"));
        bad.verification.mode = VerificationMode::None;
        assert_eq!(verification_words(Lang::En, &bad), "not verified: nothing was read back");
        assert_eq!(
            method_words(Lang::En, s),
            "overwrite, method “zero” (NIST SP 800-88 Rev. 1, Clear), 1 pass(es)"
        );
    }

    #[test]
    fn labels_follow_each_languages_typography() {
        assert_eq!(labelled(Lang::Fr, "outcome", "x"), "Résultat : x");
        assert_eq!(labelled(Lang::En, "outcome", "x"), "Result: x");
    }
}
