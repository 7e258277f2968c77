//! Drawing the state. Every screen has the same layout, top to bottom: where am I (a band with
//! the step, the station and the lot), a big heading, what is happening (the body), the other
//! keys in small type, and the one thing to do in a bright band. Nothing here changes the state.

use inventory::smart::HealthVerdict;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;
use sanitize::Phase;

use super::theme::{self, Status};
use super::{
    big, i18n::Lang, qr, App, Delivery, DiskCandidate, ImageStep, Overlay, Question, Screen, ANSWERS,
    METHOD_CHOICES, STEPS, SUPERVISOR_LINES,
};
use certificate::{CheckStatus, Outcome, SanitizeResult};

/// The smallest screen every text and the QR code fit on: the Linux console of an old PC.
pub const MIN_SIZE: (u16, u16) = (80, 25);

/// Draws the whole app.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        // Never a cut sentence or a missing QR code without a word: say it, in both languages
        // (the worker may not have chosen one yet).
        let text = format!(
            "{}\n\n{}",
            super::i18n::tf(
                app.lang,
                "app.too_small",
                &[("w", &area.width.to_string()), ("h", &area.height.to_string())]
            ),
            super::i18n::tf(
                app.lang.other(),
                "app.too_small",
                &[("w", &area.width.to_string()), ("h", &area.height.to_string())]
            ),
        );
        frame.render_widget(Paragraph::new(text).style(theme::heading()).wrap(Wrap { trim: true }), area);
        return;
    }
    if let Screen::ScreenColours(i) = app.screen {
        render_colour(app, frame, area, i);
        render_overlay(app, frame, area);
        return;
    }
    let [header, heading, subtitle, body, hints, action] = screen_layout(area);
    render_header(app, frame, header);
    render_heading(frame, heading, &app.t(title_key(app)));
    frame.render_widget(
        Paragraph::new(app.t(subtitle_key(app))).style(theme::text()).wrap(Wrap { trim: true }),
        subtitle.inner(ratatui::layout::Margin { horizontal: 1, vertical: 0 }),
    );
    let body = body.inner(ratatui::layout::Margin { horizontal: 1, vertical: 0 });
    match app.screen {
        Screen::Welcome => render_welcome(app, frame, body),
        Screen::Computer => render_computer(app, frame, body),
        Screen::Question(q) => render_question(app, frame, body, q),
        Screen::Keyboard => render_keyboard(app, frame, body),
        Screen::Cosmetic => render_cosmetic(app, frame, body),
        Screen::WipeConfirm => render_wipe_confirm(app, frame, body),
        Screen::Wiping | Screen::WipeDone => render_wipe(app, frame, body),
        Screen::Image => render_image(app, frame, body),
        Screen::Grade => render_grade(app, frame, body),
        Screen::Certificate => render_certificate(app, frame, body),
        Screen::ScreenColours(_) => {}
    }
    frame.render_widget(Paragraph::new(hints_text(app)).style(theme::quiet()), hints);
    frame.render_widget(Paragraph::new(format!(" {}", action_text(app))).style(theme::action()), action);
    render_overlay(app, frame, area);
}

/// Every screen's bands, top to bottom: where am I, the big heading, what is happening, the body,
/// the other keys, the one thing to do.
pub fn screen_layout(area: Rect) -> [Rect; 6] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(if area.height >= 20 { big::HEIGHT + 1 } else { 1 }),
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The catalogue key of the current screen's title.
pub fn title_key(app: &App) -> &'static str {
    match app.screen {
        Screen::Welcome => "welcome.title",
        Screen::Computer => "computer.title",
        Screen::ScreenColours(_) | Screen::Question(Question::Screen) => "check.screen.title",
        Screen::Keyboard => "check.keyboard.title",
        Screen::Question(Question::Sound) => "check.sound.title",
        Screen::Question(Question::Usb) => "check.usb.title",
        Screen::Question(Question::Battery) => "check.battery.title",
        Screen::Cosmetic => "check.cosmetic.title",
        Screen::WipeConfirm | Screen::Wiping | Screen::WipeDone => "wipe.title",
        Screen::Image => "image.title",
        Screen::Grade => "grade.title",
        Screen::Certificate => "cert.title",
    }
}

fn subtitle_key(app: &App) -> &'static str {
    match app.screen {
        Screen::Welcome => "welcome.subtitle",
        Screen::Computer if app.facts.is_none() => "computer.searching",
        Screen::Computer => "computer.subtitle",
        Screen::ScreenColours(_) => "check.screen.look",
        Screen::Question(Question::Screen) => "check.screen.question",
        Screen::Keyboard => "check.keyboard.subtitle",
        Screen::Question(Question::Sound) => "check.sound.question",
        Screen::Question(Question::Usb) => "check.usb.question",
        Screen::Question(Question::Battery) => "check.battery.question",
        Screen::Cosmetic => "check.cosmetic.question",
        Screen::WipeConfirm if app.facts.is_some() && app.disks_to_wipe().is_empty() => "wipe.no_disk",
        Screen::WipeConfirm => "wipe.subtitle",
        Screen::Wiping if app.hardware.running.is_some() && app.progress.iter().all(|p| p.percent == 0.0) => {
            "wipe.testing_first"
        }
        Screen::Wiping => "wipe.calm",
        Screen::WipeDone => "wipe.done_subtitle",
        Screen::Image => "image.subtitle",
        Screen::Grade => "grade.subtitle",
        Screen::Certificate if app.sealed.is_some() && app.netboot.is_some() => "cert.done_netboot",
        Screen::Certificate if app.sealed.is_some() => "cert.done",
        Screen::Certificate => "cert.signing",
    }
}

fn render_header(app: &App, frame: &mut Frame, area: Rect) {
    let step = app.tf("step.of", &[("n", &app.screen.step().to_string()), ("total", &STEPS.to_string())]);
    let lot = if app.lot.is_empty() { app.t("app.no_lot") } else { app.lot.clone() };
    let text = format!(
        " {step} · {} · {} · {}",
        app.t(title_key(app)),
        app.tf("app.station", &[("name", &app.station_name)]),
        app.tf("app.lot", &[("lot", &lot)])
    );
    frame.render_widget(Paragraph::new(text).style(theme::header()), area);
}

/// The title in large type when it fits, else in capitals on a reversed band.
pub fn render_heading(frame: &mut Frame, area: Rect, title: &str) {
    if area.height >= big::HEIGHT && big::width(title) + 2 <= area.width {
        let lines: Vec<Line> = big::render(title).into_iter().map(|l| Line::from(format!(" {l}"))).collect();
        frame.render_widget(Paragraph::new(lines).style(theme::heading()), area);
    } else {
        frame.render_widget(
            Paragraph::new(format!(" {}", title.to_uppercase()))
                .style(theme::heading().add_modifier(Modifier::REVERSED)),
            area,
        );
    }
}

fn hints_text(app: &App) -> String {
    let mut hints = Vec::new();
    if app.screen == Screen::Welcome {
        hints.push(app.t("key.lang"));
        hints.push(app.t("key.bay"));
    }
    if app.screen == Screen::Keyboard {
        hints.push(app.t("key.broken_key"));
    }
    if matches!(
        app.screen,
        Screen::Computer
            | Screen::ScreenColours(_)
            | Screen::Question(_)
            | Screen::Keyboard
            | Screen::Cosmetic
            | Screen::WipeConfirm
    ) {
        hints.push(app.t("key.back"));
    }
    if app.screen == Screen::WipeDone
        && app.progress.iter().any(|p| p.result != Some(SanitizeResult::Verified))
    {
        hints.push(app.t("key.details"));
    }
    hints.push(app.t("key.supervisor"));
    hints.push(app.t("key.quit"));
    format!(" {}", hints.join(" · "))
}

fn action_text(app: &App) -> String {
    // A window's band says what its Entrée does.
    match &app.overlay {
        Some(Overlay::Quit) => return app.t("key.continue"),
        Some(Overlay::KeyboardFaulty) => return app.t("key.back_to_test"),
        Some(Overlay::Notices) => return app.t("key.understood"),
        Some(Overlay::Error { .. }) => return app.t("key.close"),
        _ => {}
    }
    if app.waiting_for_worker() {
        return app.t(if app.screen == Screen::Wiping { "key.wait_wipe" } else { "key.wait" });
    }
    app.t(match app.screen {
        Screen::Image if matches!(app.image, ImageStep::Offer { .. }) => "key.choose",
        Screen::Welcome | Screen::Computer | Screen::WipeDone | Screen::Image | Screen::Grade => "key.next",
        Screen::ScreenColours(_) => "key.next_colour",
        Screen::Question(_) | Screen::Cosmetic => "key.choose",
        Screen::Keyboard if app.keyboard.all_pressed() => "key.next",
        Screen::Keyboard => "key.press_all",
        Screen::WipeConfirm if app.disks_to_wipe().is_empty() => "key.next",
        Screen::WipeConfirm => "key.hold",
        Screen::Wiping => "key.wait_wipe",
        Screen::Certificate => "key.finish",
    })
}

/// A line with a status symbol, its word-carrying text, styled by the status.
fn line(status: Status, text: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!(" {} ", status.symbol()), status.style()),
        Span::styled(format!(" {text}"), theme::text().add_modifier(Modifier::BOLD)),
    ])
}

fn render_lines(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>) {
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// Sizes in the units shops use: decimal for disks ("250 Go").
pub fn size_words(lang: Lang, bytes: u64) -> String {
    let (value, unit) = if bytes >= 1_000_000_000_000 {
        (bytes as f64 / 1e12, "app.tb")
    } else if bytes >= 1_000_000_000 {
        (bytes as f64 / 1e9, "app.gb")
    } else {
        (bytes as f64 / 1e6, "app.mb")
    };
    let number = if value >= 10.0 { format!("{value:.0}") } else { format!("{value:.1}") };
    let number = if lang == Lang::Fr { number.replace('.', ",") } else { number };
    format!("{number} {}", super::i18n::t(lang, unit))
}

fn render_welcome(app: &App, frame: &mut Frame, area: Rect) {
    let cursor = Span::styled("_", theme::focused());
    let lines = vec![
        Line::from(Span::styled(app.tf("welcome.station", &[("name", &app.station_name)]), theme::text())),
        Line::from(""),
        Line::from(Span::styled(app.t("welcome.lot_prompt"), theme::heading())),
        Line::from(vec![Span::styled(format!(" {} ", app.lot), theme::focused()), cursor]),
        Line::from(""),
        Line::from(Span::styled(app.t("welcome.language"), theme::text())),
        Line::from(""),
        match &app.facts {
            None => line(Status::Busy, &app.t("computer.searching")),
            Some(_) => line(Status::Good, &app.t("welcome.found")),
        },
    ];
    let mut lines = lines;
    if app.lot_warned {
        lines.insert(4, line(Status::Warning, &app.t("welcome.lot_missing")));
    }
    match app.earlier {
        Some((sent, 0)) if sent > 0 => {
            lines.push(line(Status::Good, &app.tf("welcome.earlier_sent", &[("n", &sent.to_string())])))
        }
        Some((_, left)) if left > 0 => {
            lines.push(line(Status::Warning, &app.tf("welcome.earlier_waiting", &[("n", &left.to_string())])))
        }
        _ => {}
    }
    render_lines(frame, area, lines);
}

fn health_line(app: &App, d: &DiskCandidate) -> Line<'static> {
    let size = size_words(app.lang, d.size);
    let model = d.model.clone().unwrap_or_else(|| app.t("computer.disk_unknown_model"));
    if d.protected.is_some() {
        return line(
            Status::Protected,
            &app.tf("computer.disk_protected", &[("size", &size), ("model", &model)]),
        );
    }
    let (status, key) = match d.health {
        HealthVerdict::Good => (Status::Good, "computer.disk_good"),
        HealthVerdict::Worn => (Status::Warning, "computer.disk_worn"),
        HealthVerdict::Failing => (Status::Problem, "computer.disk_failing"),
        HealthVerdict::Unknown => (Status::Warning, "computer.disk_unknown"),
    };
    line(status, &app.tf(key, &[("size", &size), ("model", &model)]))
}

fn render_computer(app: &App, frame: &mut Frame, area: Rect) {
    let Some(facts) = &app.facts else {
        return render_lines(frame, area, vec![line(Status::Busy, &app.t("computer.searching"))]);
    };
    let host = &facts.host;
    let mut lines = Vec::new();
    let name = match (host.unit.vendor.value(), host.unit.model.value()) {
        (Some(v), Some(m)) => format!("{v} {m}"),
        (None, Some(m)) => m.clone(),
        (Some(v), None) => v.clone(),
        (None, None) => app.t("computer.unknown_model"),
    };
    lines.push(line(Status::Good, &app.tf("computer.unit", &[("name", &name)])));
    match host.unit.serial.value() {
        Some(s) => lines.push(line(Status::Good, &app.tf("computer.serial", &[("serial", s)]))),
        None => lines.push(line(Status::Warning, &app.t("computer.no_serial"))),
    }
    match host.cpu_model.value() {
        Some(cpu) => {
            let threads = host.cpu_threads.value().map(|t| t.to_string()).unwrap_or_else(|| "?".into());
            let cpu = cpu.split_whitespace().collect::<Vec<_>>().join(" ");
            lines.push(line(Status::Good, &app.tf("computer.cpu", &[("cpu", &cpu), ("threads", &threads)])))
        }
        None => lines.push(line(Status::Warning, &app.t("computer.no_cpu"))),
    }
    match host.memory_bytes.value() {
        Some(bytes) => {
            let gib = (*bytes as f64 / (1u64 << 30) as f64).round().max(1.0);
            let status = if gib < 2.0 { Status::Warning } else { Status::Good };
            lines.push(line(status, &app.tf("computer.memory", &[("gb", &format!("{gib:.0}"))])));
        }
        None => lines.push(line(Status::Warning, &app.t("computer.no_memory"))),
    }
    if facts.disks.iter().all(|d| d.protected.is_some()) {
        lines.push(line(Status::Warning, &app.t("computer.no_disk")));
    }
    for d in &facts.disks {
        lines.push(health_line(app, d));
        // A real disk whose serial no source gave (often behind a USB bridge): the certificate
        // says so, and the worker notes the serial from the label.
        if d.serial.is_none() && d.protected.is_none() && d.path.starts_with("/dev") {
            let model = d.model.clone().unwrap_or_else(|| app.t("computer.disk_unknown_model"));
            lines.push(line(Status::Warning, &app.tf("computer.disk_no_serial", &[("model", &model)])));
        }
    }
    let monitors: Vec<_> = host.monitors.iter().filter_map(|(_, m)| m.as_ref().ok()).collect();
    if monitors.is_empty() {
        lines.push(line(Status::Warning, &app.t("computer.no_monitor")));
    }
    for m in monitors {
        let inches = m.nominal_inches.map(|i| format!("{i:.0}")).unwrap_or_else(|| "?".into());
        let input = match m.input {
            inventory::edid::VideoInput::Analog => "VGA".to_owned(),
            other => other.to_string(),
        };
        lines
            .push(line(Status::Good, &app.tf("computer.monitor", &[("inches", &inches), ("input", &input)])));
    }
    for b in &facts.power.batteries {
        let health = b.health_percent.map(|h| h.to_string()).unwrap_or_else(|| "?".into());
        let status = match b.health_percent {
            Some(h) if h < 50 => Status::Problem,
            Some(h) if h < 80 => Status::Warning,
            Some(_) => Status::Good,
            None => Status::Warning,
        };
        lines.push(line(status, &app.tf("computer.battery", &[("health", &health)])));
    }
    render_lines(frame, area, lines);
}

fn choice_line(focused: bool, status: Status, text: &str) -> Line<'static> {
    let style = if focused { theme::focused() } else { theme::text() };
    let marker = if focused { "►" } else { " " };
    Line::from(vec![
        Span::styled(format!(" {marker} "), style),
        Span::styled(format!(" {} ", status.symbol()), status.style()),
        Span::styled(format!(" {text} "), style),
    ])
}

fn render_question(app: &App, frame: &mut Frame, area: Rect, q: Question) {
    let (ok, fail) = match q {
        Question::Screen => ("check.screen.ok", "check.screen.fail"),
        Question::Sound => ("check.sound.ok", "check.sound.fail"),
        Question::Usb => ("check.usb.ok", "check.usb.fail"),
        Question::Battery => ("check.battery.ok", "check.battery.fail"),
    };
    let mut lines = Vec::new();
    if q == Question::Battery {
        if let Some(f) = &app.facts {
            for b in &f.power.batteries {
                let charge = b.capacity_percent.map(|c| c.to_string()).unwrap_or_else(|| "?".into());
                lines.push(line(
                    Status::Busy,
                    &app.tf("check.battery.now", &[("status", &b.status), ("charge", &charge)]),
                ));
            }
            lines.push(Line::from(""));
        }
    }
    let first = if q == Question::Sound {
        match &app.tone {
            None => lines.push(line(Status::Neutral, &app.t("check.sound.playing"))),
            Some(t) if t.sound_card.is_ok() => lines.push(line(Status::Good, &app.t("check.sound.played"))),
            Some(_) => lines.push(line(Status::Warning, &app.t("check.sound.no_card"))),
        }
        lines.push(Line::from(""));
        lines.push(choice_line(app.choice == 0, Status::Neutral, &app.t("check.sound.replay")));
        lines.push(Line::from(""));
        1
    } else {
        0
    };
    for (i, status) in ANSWERS.iter().enumerate() {
        let (s, key) = match status {
            CheckStatus::Pass => (Status::Good, ok),
            CheckStatus::Fail => (Status::Problem, fail),
            _ => (Status::Neutral, "check.skip"),
        };
        lines.push(choice_line(app.choice == i + first, s, &app.t(key)));
        if area.height as usize > 2 * (ANSWERS.len() + first) + 2 {
            lines.push(Line::from(""));
        }
    }
    render_lines(frame, area, lines);
}

fn render_cosmetic(app: &App, frame: &mut Frame, area: Rect) {
    let choices = [
        ("check.cosmetic.a", Status::Good),
        ("check.cosmetic.b", Status::Good),
        ("check.cosmetic.c", Status::Warning),
        ("check.skip", Status::Neutral),
    ];
    let mut lines = Vec::new();
    for (i, (key, status)) in choices.iter().enumerate() {
        lines.push(choice_line(app.choice == i, *status, &app.t(key)));
        lines.push(Line::from(""));
    }
    render_lines(frame, area, lines);
}

fn render_keyboard(app: &App, frame: &mut Frame, area: Rect) {
    let kb = &app.keyboard;
    let mut lines = Vec::new();
    for (r, row) in kb.rows.iter().enumerate() {
        let mut spans = vec![Span::raw(" ".repeat(r.min(3)))];
        for (k, cap) in row.iter().enumerate() {
            let style = if kb.pressed[r][k] {
                Status::Good.style().add_modifier(Modifier::REVERSED)
            } else {
                theme::text()
            };
            spans.push(Span::styled(format!("[{}]", cap.label), style));
            spans.push(Span::raw(" "));
        }
        lines.push(Line::from(spans));
        if area.height as usize > 2 * kb.rows.len() + 2 {
            lines.push(Line::from(""));
        }
    }
    let count = app.tf(
        "check.keyboard.count",
        &[("pressed", &kb.count_pressed().to_string()), ("total", &kb.len().to_string())],
    );
    let status = if kb.all_pressed() { Status::Good } else { Status::Busy };
    lines.push(line(status, &count));
    render_lines(frame, area, lines);
}

/// A wipe method in the worker's words ("Gutmann, 35 passages").
pub fn method_name(app: &App, method: &str) -> String {
    match method {
        "auto" | "zero" | "random" | "dod-3" | "hmg-is5-enhanced" | "gutmann" => {
            app.t(&format!("method.{method}"))
        }
        other => other.to_owned(),
    }
}

fn method_words(app: &App) -> String {
    match app.settings.method.as_deref() {
        None | Some("auto") => app.t("wipe.method_auto"),
        Some(m) => app.tf("wipe.method_named", &[("method", &method_name(app, m))]),
    }
}

fn render_wipe_confirm(app: &App, frame: &mut Frame, area: Rect) {
    let Some(facts) = &app.facts else {
        return render_lines(frame, area, vec![line(Status::Busy, &app.t("computer.searching"))]);
    };
    let mut lines = Vec::new();
    for d in &facts.disks {
        let size = size_words(app.lang, d.size);
        let model = d.model.clone().unwrap_or_else(|| app.t("computer.disk_unknown_model"));
        let name = d.path.display().to_string();
        match &d.protected {
            Some(_) => lines.push(line(
                Status::Protected,
                &app.tf("wipe.protected", &[("disk", &name), ("size", &size), ("model", &model)]),
            )),
            None => {
                let mut l = health_line(app, d);
                l.spans.insert(1, Span::styled(format!(" {name} →"), theme::heading()));
                lines.push(l);
            }
        }
    }
    if app.disks_to_wipe().is_empty() {
        return render_lines(frame, area, lines);
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(method_words(app), theme::text())));
    lines.push(Line::from(""));
    let word = app.t("wipe.confirm_word");
    lines.push(Line::from(Span::styled(app.tf("wipe.how_to_confirm", &[("word", &word)]), theme::heading())));
    let width = 40usize;
    let filled = (app.confirm.held * width as f64).round() as usize;
    lines.push(Line::from(vec![
        Span::styled("█".repeat(filled), theme::gauge()),
        Span::styled("░".repeat(width - filled), theme::quiet()),
    ]));
    if !app.confirm.typed.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(app.t("wipe.typed"), theme::text()),
            Span::styled(format!(" {} ", app.confirm.typed.to_uppercase()), theme::focused()),
        ]));
    } else if let Some(wrong) = &app.confirm.wrong {
        lines.push(line(
            Status::Warning,
            &app.tf("wipe.wrong_word", &[("typed", &wrong.to_uppercase()), ("word", &word)]),
        ));
    }
    render_lines(frame, area, lines);
}

fn duration_words(app: &App, secs: u64) -> String {
    if secs >= 3600 {
        app.tf("wipe.hours", &[("h", &(secs / 3600).to_string()), ("m", &format!("{:02}", secs % 3600 / 60))])
    } else if secs >= 60 {
        app.tf("wipe.minutes", &[("m", &(secs.div_ceil(60)).to_string())])
    } else {
        app.t("wipe.under_a_minute")
    }
}

fn result_status(result: SanitizeResult) -> (Status, &'static str) {
    match result {
        SanitizeResult::Verified => (Status::Good, "wipe.verified"),
        SanitizeResult::NotVerified => (Status::Warning, "wipe.unverified"),
        SanitizeResult::Interrupted => (Status::Warning, "wipe.interrupted"),
        SanitizeResult::Failed => (Status::Problem, "wipe.failed"),
    }
}

fn render_wipe(app: &App, frame: &mut Frame, area: Rect) {
    let per_disk =
        if app.progress.is_empty() { 1 } else { (area.height as usize / app.progress.len()).max(2) };
    let big_digits = per_disk >= 6;
    let mut lines: Vec<Line> = Vec::new();
    for p in &app.progress {
        let label = format!("{} · {}", p.path.display(), size_words(app.lang, p.size));
        match p.result {
            Some(result) if app.screen == Screen::WipeDone || result != SanitizeResult::Verified => {
                let (status, key) = result_status(result);
                lines.push(line(status, &format!("{label} · {}", app.t(key))));
                if status != Status::Good {
                    lines.push(Line::from(Span::styled(
                        format!("    {}", app.t("error.call_supervisor")),
                        theme::text(),
                    )));
                    if app.show_details {
                        if let Some(r) = app
                            .records
                            .as_ref()
                            .and_then(|rs| rs.iter().find(|r| r.path == p.path.display().to_string()))
                        {
                            let messages: Vec<&str> =
                                r.sanitization.errors.iter().map(|e| e.message.as_str()).collect();
                            for m in deduplicated(&messages, 6) {
                                lines.push(Line::from(Span::styled(format!("    {m}"), theme::quiet())));
                            }
                        }
                    }
                }
                continue;
            }
            _ => {}
        }
        let percent = format!("{:.0}%", p.percent.floor());
        let phase = app.t(if p.phase == Phase::Writing { "wipe.writing" } else { "wipe.verifying" });
        let speed =
            if p.rate > 0.0 { format!("{}/s", size_words(app.lang, p.rate as u64)) } else { "…".into() };
        let left = p.eta_secs.map(|s| duration_words(app, s)).unwrap_or_else(|| "…".into());
        lines.push(line(Status::Busy, &label));
        if big_digits {
            for l in big::render(&percent) {
                lines.push(Line::from(Span::styled(format!("   {l}"), theme::heading())));
            }
        }
        let width = (area.width as usize).saturating_sub(14).min(60);
        let filled = ((p.percent / 100.0) * width as f64).round() as usize;
        lines.push(Line::from(vec![
            Span::raw("   "),
            Span::styled("█".repeat(filled), theme::gauge()),
            Span::styled("░".repeat(width - filled.min(width)), theme::quiet()),
            Span::styled(format!(" {percent}"), theme::heading()),
        ]));
        lines.push(Line::from(Span::styled(
            format!(
                "   {}",
                app.tf(
                    "wipe.detail",
                    &[
                        ("pass", &p.pass.0.to_string()),
                        ("passes", &p.pass.1.to_string()),
                        ("phase", &phase),
                        ("speed", &speed),
                        ("left", &left),
                    ],
                )
            ),
            theme::text(),
        )));
    }
    if app.screen == Screen::WipeDone && app.progress.is_empty() {
        lines.push(line(Status::Warning, &app.t("wipe.no_disk")));
    }
    render_lines(frame, area, lines);
}

fn render_image(app: &App, frame: &mut Frame, area: Rect) {
    let mut lines = Vec::new();
    match &app.image {
        ImageStep::Loading => lines.push(line(Status::Busy, &app.t("image.searching"))),
        ImageStep::Nothing { reason, details } => {
            lines.push(line(Status::Warning, &app.t(reason)));
            // The technical facts (paths, errors) are the supervisor's, behind D.
            if !details.is_empty() && app.show_details {
                lines.push(Line::from(Span::styled(format!("    {details}"), theme::quiet())));
            }
        }
        ImageStep::Offer { images, target, .. } => {
            lines.push(Line::from(Span::styled(
                app.tf("image.target", &[("disk", &target.display().to_string())]),
                theme::text(),
            )));
            lines.push(Line::from(""));
            for (i, m) in images.iter().enumerate() {
                // Memory is sold in binary units: 2 GiB is "2 Go" on the box.
                let ram = format!(
                    "{:.0} {}",
                    (m.min_ram_bytes as f64 / (1u64 << 30) as f64).ceil(),
                    app.t("app.gb")
                );
                let text =
                    app.tf("image.choice", &[("name", &m.name), ("version", &m.version), ("ram", &ram)]);
                lines.push(choice_line(app.choice == i, Status::Good, &text));
                lines.push(Line::from(""));
            }
            lines.push(choice_line(app.choice == images.len(), Status::Neutral, &app.t("image.skip_choice")));
        }
        ImageStep::Writing { name, percent, phase } => {
            lines.push(line(Status::Busy, &app.tf("image.writing", &[("name", name)])));
            let pct = format!("{:.0}%", percent.floor());
            for l in big::render(&pct) {
                lines.push(Line::from(Span::styled(format!("   {l}"), theme::heading())));
            }
            let width = (area.width as usize).saturating_sub(14).min(60);
            let filled = ((percent / 100.0) * width as f64).round() as usize;
            lines.push(Line::from(vec![
                Span::raw("   "),
                Span::styled("█".repeat(filled.min(width)), theme::gauge()),
                Span::styled("░".repeat(width - filled.min(width)), theme::quiet()),
                Span::styled(format!(" {pct}"), theme::heading()),
            ]));
            let phase =
                app.t(if *phase == imaging::Phase::Writing { "wipe.writing" } else { "wipe.verifying" });
            lines.push(Line::from(Span::styled(format!("   {phase}"), theme::text())));
        }
        ImageStep::Done { name, .. } => {
            lines.push(line(Status::Good, &app.tf("image.done", &[("name", name)])))
        }
        ImageStep::Failed { name, failure } => {
            lines.push(line(Status::Problem, &app.tf("image.failed", &[("name", name)])));
            lines.push(Line::from(Span::styled(
                format!("    {}", app.t("error.call_supervisor")),
                theme::text(),
            )));
            if app.show_details {
                lines.push(Line::from(Span::styled(format!("    {}", failure.details), theme::quiet())));
            }
        }
    }
    render_lines(frame, area, lines);
}

fn status_symbol(status: CheckStatus) -> &'static str {
    match status {
        CheckStatus::Pass => Status::Good.symbol(),
        CheckStatus::Fail => Status::Problem.symbol(),
        CheckStatus::Skipped => Status::Warning.symbol(),
        CheckStatus::NotApplicable => Status::Neutral.symbol(),
    }
}

fn render_grade(app: &App, frame: &mut Frame, area: Rect) {
    let glang = if app.lang == Lang::Fr { grading::Lang::Fr } else { grading::Lang::En };
    let mut lines = Vec::new();
    match &app.grade {
        None => lines.push(line(Status::Busy, &app.t("grade.computing"))),
        Some(Err(f)) => {
            lines.push(line(Status::Problem, &app.t(f.plain)));
            if app.show_details {
                lines.push(Line::from(Span::styled(format!("    {}", f.details), theme::quiet())));
            }
        }
        Some(Ok(g)) => {
            let label = g.grade.label(glang);
            let status = match g.grade {
                grading::GradeLevel::A | grading::GradeLevel::B => Status::Good,
                grading::GradeLevel::C => Status::Warning,
                _ => Status::Problem,
            };
            let big_label = label.split(' ').next().unwrap_or(label);
            for l in big::render(big_label) {
                lines.push(Line::from(vec![Span::raw(" "), Span::styled(l, status.style())]));
            }
            let score = if app.lang == Lang::Fr {
                format!("{:.2}", g.score).replace('.', ",")
            } else {
                format!("{:.2}", g.score)
            };
            lines.push(line(status, &app.tf("grade.grade", &[("grade", label), ("score", &score)])));
            if !g.fit_for.is_empty() {
                let uses: Vec<&str> = g
                    .fit_for
                    .iter()
                    .map(|f| if app.lang == Lang::Fr { f.fr.as_str() } else { f.en.as_str() })
                    .collect();
                lines.push(line(Status::Good, &app.tf("grade.fit_for", &[("uses", &uses.join(", "))])));
            }
            let (ps, key) = match g.prix_solidaire.status {
                grading::Eligibility::Eligible => (Status::Good, "grade.prix_yes"),
                grading::Eligibility::NotEligible => (Status::Neutral, "grade.prix_no"),
                grading::Eligibility::Unknown => (Status::Warning, "grade.prix_unknown"),
            };
            lines.push(line(ps, &app.t(key)));
            for r in g.reasons.iter().take(4) {
                let s = match r.effect {
                    grading::Effect::HardStop | grading::Effect::Cap => Status::Problem,
                    grading::Effect::Penalty | grading::Effect::Unknown => Status::Warning,
                    grading::Effect::Bonus => Status::Good,
                    grading::Effect::Info => Status::Neutral,
                };
                lines.push(line(s, if app.lang == Lang::Fr { &r.fr } else { &r.en }));
            }
        }
    }
    lines.push(Line::from(""));
    let checks = app.checks.to_checks();
    let cosmetic = checks.cosmetic.map(|g| format!("{g:?}")).unwrap_or_else(|| "-".into());
    lines.push(Line::from(Span::styled(
        format!(
            " {} {} · {} {} · {} {} · {} {} · {} {} · {} {}",
            app.t("check.screen.title"),
            status_symbol(checks.screen.status),
            app.t("check.keyboard.title"),
            status_symbol(checks.keyboard.status),
            app.t("check.sound.title"),
            status_symbol(checks.sound.status),
            app.t("check.usb.title"),
            status_symbol(checks.usb.status),
            app.t("check.battery.title"),
            status_symbol(checks.battery.status),
            app.t("check.cosmetic.title"),
            cosmetic
        ),
        theme::text(),
    )));
    let records = app.records.as_deref().unwrap_or_default();
    let (status, key) = match Outcome::from_disks(records) {
        Outcome::Sanitized => (Status::Good, "grade.wiped"),
        Outcome::Failed => (Status::Problem, "grade.wipe_failed"),
        Outcome::Incomplete => (Status::Warning, "grade.wipe_incomplete"),
    };
    lines.push(line(status, &app.t(key)));
    match &app.image {
        ImageStep::Done { name, .. } => {
            lines.push(line(Status::Good, &app.tf("image.done", &[("name", name)])))
        }
        ImageStep::Failed { name, .. } => {
            lines.push(line(Status::Problem, &app.tf("image.failed", &[("name", name)])))
        }
        _ => lines.push(line(Status::Warning, &app.t("grade.no_system"))),
    }
    render_lines(frame, area, lines);
}

fn render_certificate(app: &App, frame: &mut Frame, area: Rect) {
    let Some(sealed) = &app.sealed else {
        return render_lines(frame, area, vec![line(Status::Busy, &app.t("cert.signing"))]);
    };
    let id = sealed.id.to_string().to_uppercase();
    let qr = qr::render(&id).unwrap_or_default();
    let qr_width = qr.first().map(|r| r.chars().count() as u16).unwrap_or(0);
    let show_qr = area.width >= qr_width + 40 && area.height as usize >= qr.len();
    let [left, right] =
        Layout::horizontal([Constraint::Min(30), Constraint::Length(if show_qr { qr_width + 1 } else { 0 })])
            .areas(area);
    let short = &id[id.len() - 8..];
    let mut lines = vec![Line::from(Span::styled(app.t("cert.number"), theme::text()))];
    for l in big::render(short) {
        lines.push(Line::from(Span::styled(l, theme::heading())));
    }
    lines.push(Line::from(Span::styled(id.clone(), theme::heading())));
    lines.push(Line::from(""));
    let (status, key) = match sealed.result {
        Outcome::Sanitized => (Status::Good, "cert.sanitized"),
        Outcome::Failed => (Status::Problem, "cert.failed"),
        Outcome::Incomplete => (Status::Warning, "cert.incomplete"),
    };
    lines.push(line(status, &app.t(key)));
    // The attestation's words are the certificate crate's, so the station, the registry's page
    // and its PDF say exactly the same sentence.
    let lang = match app.lang {
        Lang::Fr => certificate::attestation::Language::Fr,
        Lang::En => certificate::attestation::Language::En,
    };
    let attestation = &sealed.attestation;
    let status = if attestation.granted { Status::Good } else { Status::Warning };
    lines.push(line(status, &attestation.line(lang)));
    // What it rests on, where there is room (on an 80×25 console the switch-off line comes
    // first) or when the worker asks for details.
    let room = app.show_details || area.height >= 30;
    if let Some(grounds) = attestation.grounds(lang).filter(|_| attestation.granted && room) {
        lines.push(Line::from(Span::styled(format!("    {grounds}"), theme::quiet())));
    }
    let (status, key) = match &app.delivery {
        _ if app.netboot.is_some() && app.on_server => (Status::Good, "cert.relayed"),
        Some(Delivery::Sent) => (Status::Good, "cert.sent"),
        Some(Delivery::Relayed) => (Status::Good, "cert.relayed"),
        // Network boot: no stick keeps it; the app tries again (App::on_tick).
        Some(Delivery::Kept(_)) if app.netboot.is_some() => (Status::Warning, "cert.netboot_retry"),
        Some(Delivery::Kept(_)) => (Status::Warning, "cert.kept"),
        Some(Delivery::NoRegistry) => (Status::Protected, "cert.no_registry"),
        Some(Delivery::Sending) | None => (Status::Busy, "cert.sending"),
    };
    lines.push(line(status, &app.t(key)));
    if let Some(Delivery::Kept(why)) = &app.delivery {
        if app.show_details && !why.is_empty() {
            lines.push(Line::from(Span::styled(format!("    {why}"), theme::quiet())));
        }
    }
    lines.push(Line::from(""));
    // Only a unit whose every disk is wiped and verified may be switched off and put away.
    if !app.certificate_safe() {
        // Network boot: the certificate is only in RAM until the server has it.
        lines.push(line(Status::Problem, &app.t("cert.netboot_unsent")));
    } else if sealed.result == Outcome::Sanitized {
        lines.push(Line::from(Span::styled(app.t("cert.switch_off"), theme::heading())));
    } else {
        lines.push(line(Status::Problem, &app.t("cert.keep_on")));
    }
    render_lines(frame, left, lines);
    if show_qr {
        let qr_lines: Vec<Line> =
            qr.into_iter().map(|r| Line::from(Span::styled(r, theme::text()))).collect();
        frame.render_widget(Paragraph::new(qr_lines), right);
    }
}

fn render_colour(app: &App, frame: &mut Frame, area: Rect, i: usize) {
    let colour = theme::SCREEN_TEST[i.min(theme::SCREEN_TEST.len() - 1)];
    frame.render_widget(Block::new().style(Style::new().bg(colour)), area);
    let text = app.tf(
        "check.screen.next",
        &[("n", &(i + 1).to_string()), ("total", &theme::SCREEN_TEST.len().to_string())],
    );
    let bottom = Rect { y: area.y + area.height.saturating_sub(1), height: 1.min(area.height), ..area };
    frame.render_widget(Paragraph::new(text).alignment(Alignment::Center).style(theme::action()), bottom);
}

/// Messages with repeats folded: each distinct text once, in first-seen order, with "(×N)"
/// when it came N times; at most `max` lines, then how many more.
pub fn deduplicated(messages: &[&str], max: usize) -> Vec<String> {
    // Two messages that differ only in their numbers (byte offsets) are the same problem.
    let shape = |m: &str| m.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect::<String>();
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for m in messages {
        let s = shape(m);
        match seen.iter_mut().find(|(k, ..)| *k == s) {
            Some((_, _, n)) => *n += 1,
            None => seen.push((s, (*m).to_owned(), 1)),
        }
    }
    let mut out: Vec<String> = seen
        .iter()
        .take(max)
        .map(|(_, m, n)| if *n > 1 { format!("{m} (×{n})") } else { m.clone() })
        .collect();
    if seen.len() > max {
        out.push(format!("… (+{})", seen.len() - max));
    }
    out
}

fn notice_lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(app.t("notice.heading"), theme::heading())), Line::from("")];
    for n in &app.notices {
        match n {
            Ok(n) => {
                let cause = match n.cause {
                    crate::notice::Cause::Stopped => "notice.stopped",
                    crate::notice::Cause::Crash => "notice.crash",
                    crate::notice::Cause::DiskGone => "notice.disk_gone",
                    crate::notice::Cause::Interrupted => "notice.interrupted",
                };
                lines.push(line(Status::Problem, &app.t(cause)));
                for d in &n.disks {
                    let name = match (&d.model, &d.serial) {
                        (Some(m), Some(s)) => format!("{} ({m}, {s})", d.path),
                        (Some(m), None) => format!("{} ({m})", d.path),
                        _ => d.path.clone(),
                    };
                    lines.push(Line::from(Span::styled(
                        format!("    {}", app.tf("notice.disk", &[("disk", &name)])),
                        theme::text(),
                    )));
                }
                let short = n.certificate_id.to_uppercase();
                let short = &short[short.len().saturating_sub(8)..];
                lines.push(Line::from(Span::styled(
                    format!("    {}", app.tf("notice.certificate", &[("number", short)])),
                    theme::quiet(),
                )));
            }
            Err(why) => {
                lines.push(line(Status::Problem, &app.t("notice.unreadable")));
                lines.push(Line::from(Span::styled(format!("    {why}"), theme::quiet())));
            }
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(app.t("notice.what_to_do"), theme::heading())));
    lines
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

fn render_overlay(app: &App, frame: &mut Frame, area: Rect) {
    let Some(overlay) = &app.overlay else { return };
    let (title, lines): (String, Vec<Line>) = match overlay {
        Overlay::Quit => {
            let mut lines = vec![Line::from(Span::styled(app.t("quit.question"), theme::heading()))];
            if app.wiping() {
                lines.push(line(Status::Warning, &app.t("quit.wipe_running")));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(app.t("quit.keys"), theme::action())));
            (app.t("quit.title"), lines)
        }
        Overlay::KeyboardFaulty => {
            let missing = app.keyboard.missing();
            let lines = vec![
                Line::from(Span::styled(app.t("check.keyboard.faulty_question"), theme::heading())),
                Line::from(Span::styled(missing.join(" "), theme::text())),
                Line::from(""),
                Line::from(Span::styled(app.t("check.keyboard.faulty_keys"), theme::action())),
            ];
            (app.t("check.keyboard.title"), lines)
        }
        Overlay::Notices => (app.t("notice.title"), notice_lines(app)),
        Overlay::Error { failure, details } => {
            let mut lines = vec![line(Status::Problem, &app.t(failure.plain)), Line::from("")];
            if *details {
                lines.push(Line::from(Span::styled(failure.details.clone(), theme::quiet())));
                lines.push(Line::from(""));
            }
            lines.push(Line::from(Span::styled(app.t("error.keys"), theme::action())));
            (app.t("error.title"), lines)
        }
        Overlay::Pin(pin) => {
            let prompt = if app.settings.pin_sha256.is_some() { "sup.pin_prompt" } else { "sup.pin_none" };
            let mut lines = vec![
                Line::from(Span::styled(app.t(prompt), theme::text())),
                Line::from(Span::styled(format!(" {} ", "*".repeat(pin.len())), theme::focused())),
            ];
            if app.pin_failures.0 > 0 {
                lines.push(line(Status::Problem, &app.t("sup.pin_wrong")));
                if let Some(wait) = app.last_tick.and_then(|now| app.pin_wait(now)) {
                    let secs = wait.as_secs_f64().ceil().to_string();
                    lines.push(Line::from(Span::styled(
                        app.tf("sup.pin_wait", &[("s", &secs)]),
                        theme::text(),
                    )));
                }
            }
            (app.t("sup.title"), lines)
        }
        Overlay::Supervisor { line: focus, editing } => {
            let mut lines = Vec::new();
            for (i, key) in SUPERVISOR_LINES.iter().enumerate() {
                let value = match (*key, editing) {
                    ("sup.pin", Some(text)) if i == *focus => {
                        format!("{}_", "*".repeat(text.chars().count()))
                    }
                    (_, Some(text)) if i == *focus => format!("{text}_"),
                    ("sup.name", _) => {
                        app.settings.station_name.clone().unwrap_or_else(|| app.t("sup.unset"))
                    }
                    ("sup.registry", _) => {
                        app.settings.registry.clone().unwrap_or_else(|| app.t("sup.unset"))
                    }
                    ("sup.enrol", _) => match &app.enrolment {
                        Some(Ok(e)) if e.status == "approved" => app.t("sup.enrol_approved"),
                        Some(Ok(e)) if e.status == "revoked" => app.t("sup.enrol_revoked"),
                        Some(Ok(super::Enrolment { code: Some(code), .. })) => {
                            app.tf("sup.enrol_pending", &[("code", code)])
                        }
                        Some(Ok(e)) => e.status.clone(),
                        Some(Err(f)) => format!("{} ({})", app.t(f.plain), f.details),
                        None => String::new(),
                    },
                    ("sup.method", _) => {
                        let m = app.settings.method.as_deref().unwrap_or(METHOD_CHOICES[0]);
                        method_name(app, m)
                    }
                    ("sup.language", _) => app.t("app.language_name"),
                    ("sup.lot", _) => app.lot.clone(),
                    ("sup.operator", _) => {
                        app.settings.operator.clone().unwrap_or_else(|| app.t("sup.unset"))
                    }
                    ("sup.role", _) => {
                        app.settings.operator_role.clone().unwrap_or_else(|| app.t("sup.unset"))
                    }
                    ("sup.organisation", _) => {
                        app.settings.organisation.clone().unwrap_or_else(|| app.t("sup.unset"))
                    }
                    ("sup.site", _) => app.settings.site.clone().unwrap_or_else(|| app.t("sup.unset")),
                    ("sup.contact", _) => app.settings.contact.clone().unwrap_or_else(|| app.t("sup.unset")),
                    ("sup.destination", _) => match app.settings.destination {
                        Some(d) => app.t(&format!("sup.dest.{}", d.as_str())),
                        None => app.t("sup.unset"),
                    },
                    ("sup.pin", _) => {
                        app.t(if app.settings.pin_sha256.is_some() { "sup.pin_set" } else { "sup.unset" })
                    }
                    _ => String::new(),
                };
                let style = if i == *focus { theme::focused() } else { theme::text() };
                // The focused line carries a marker, not only reverse video.
                let marker = if i == *focus { "►" } else { " " };
                lines.push(Line::from(vec![
                    Span::styled(format!("{marker} {:<22}", app.t(key)), style),
                    Span::styled(format!(" {value}"), theme::text()),
                ]));
            }
            if !app.refused.is_empty() {
                // What the registry refused for good, kept in the spool's refused/ (issue 23).
                lines.push(Line::from(""));
                let n = app.refused.len().to_string();
                lines.push(Line::from(Span::styled(app.tf("sup.refused", &[("n", &n)]), theme::text())));
                for line in app.refused.iter().take(5) {
                    lines.push(Line::from(Span::styled(format!(" · {line}"), theme::quiet())));
                }
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(app.t("sup.keys"), theme::quiet())));
            (app.t("sup.title"), lines)
        }
    };
    let width = area.width.saturating_sub(4).min(76);
    let inner = width.saturating_sub(4).max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let rect = centered(area, width, rows as u16 + 2);
    // A margin of one cell around the window is cleared too: no letter of the screen below may
    // stick to its edge and read as part of it.
    let x = rect.x.saturating_sub(1);
    let margin = Rect { x, width: (rect.width + 2).min(area.width - x), ..rect };
    frame.render_widget(Clear, margin);
    frame.render_widget(Block::new().style(Style::new().bg(ratatui::style::Color::Black)), margin);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(format!(" {title} "))
                .padding(ratatui::widgets::Padding::horizontal(1))
                .style(Style::new().bg(ratatui::style::Color::Black)),
        ),
        rect,
    );
}
