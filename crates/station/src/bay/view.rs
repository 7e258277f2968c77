//! Drawing a bay session: one line per disk, at 80×25 as on the Linux console.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::watch::Mode;
use super::{BayApp, BayDisk, BayState};
use crate::app::theme::{self, Status};
use crate::app::view::size_words;
use crate::app::Delivery;
use inventory::smart::HealthVerdict;

/// Draws the session.
pub fn render(app: &BayApp, mode: Mode, frame: &mut Frame) {
    let area = frame.area();
    let [header, heading, subtitle, body, hints, action] = crate::app::view::screen_layout(area);
    let lot = app.settings.lot.clone().unwrap_or_else(|| app.t("app.no_lot"));
    let done = app.disks.iter().filter(|d| d.state == BayState::Verified).count();
    frame.render_widget(
        Paragraph::new(format!(
            " {} · {} · {} · {}",
            app.t("bay.title"),
            app.tf("app.station", &[("name", &app.station_name)]),
            app.tf("app.lot", &[("lot", &lot)]),
            app.tf("bay.count", &[("n", &done.to_string())]),
        ))
        .style(theme::header()),
        header,
    );
    crate::app::view::render_heading(frame, heading, &app.t("bay.title"));
    let sub = if !app.confirmed {
        app.tf("bay.subtitle_confirm", &[("word", &app.t("wipe.confirm_word"))])
    } else {
        app.t("bay.subtitle_running")
    };
    frame.render_widget(
        Paragraph::new(sub).style(theme::text()).wrap(Wrap { trim: true }),
        subtitle.inner(ratatui::layout::Margin { horizontal: 1, vertical: 0 }),
    );
    let mut lines: Vec<Line> = Vec::new();
    if !app.confirmed {
        let width = 40usize;
        let filled = (app.confirm.held * width as f64).round() as usize;
        lines.push(Line::from(vec![
            Span::raw(" "),
            Span::styled("█".repeat(filled), theme::gauge()),
            Span::styled("░".repeat(width - filled), theme::quiet()),
            Span::styled(format!(" {}", app.confirm.typed.to_uppercase()), theme::focused()),
        ]));
    }
    if app.disks.is_empty() {
        lines.push(Line::from(Span::styled(format!(" {}", app.t("bay.empty")), theme::text())));
    }
    for d in &app.disks {
        lines.push(disk_line(app, d));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
    let watch = app.t(if mode == Mode::Uevents { "bay.mode_uevents" } else { "bay.mode_polling" });
    frame.render_widget(
        Paragraph::new(format!(" {} · {} · {}", app.t("bay.key_restart"), app.t("bay.key_end"), watch))
            .style(theme::quiet()),
        hints,
    );
    let act = if app.ending {
        app.t("bay.ending")
    } else if app.confirmed {
        app.t("bay.key_running")
    } else {
        app.t("key.hold")
    };
    frame.render_widget(Paragraph::new(format!(" {act}")).style(theme::action()), action);
    if app.asking_to_end {
        let mut lines = vec![Line::from(Span::styled(app.t("bay.end_question"), theme::heading()))];
        let running = app.running();
        if running > 0 {
            lines.push(Line::from(Span::styled(
                app.tf("bay.end_running", &[("n", &running.to_string())]),
                Status::Warning.style(),
            )));
        }
        lines.push(Line::from(Span::styled(app.t("quit.keys"), theme::action())));
        let rect = Rect {
            x: area.x + 2,
            y: area.y + area.height / 3,
            width: area.width.saturating_sub(4),
            height: (lines.len() as u16 + 3).min(area.height),
        };
        frame.render_widget(Clear, rect);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered()), rect);
    }
}

fn disk_line(app: &BayApp, d: &BayDisk) -> Line<'static> {
    let f = d.facts.as_ref();
    let model: String = f.and_then(|f| f.model.clone()).unwrap_or_default().chars().take(16).collect();
    let serial: String = match f {
        Some(f) => f.serial.clone().unwrap_or_else(|| app.t("bay.no_serial")),
        None => String::new(),
    }
    .chars()
    .take(14)
    .collect();
    let size = size_words(app.lang, d.progress.size);
    let (health_status, health) = match f.map(|f| f.health) {
        Some(HealthVerdict::Good) => (Status::Good, app.t("bay.health_good")),
        Some(HealthVerdict::Worn) => (Status::Warning, app.t("bay.health_worn")),
        Some(HealthVerdict::Failing) => (Status::Problem, app.t("bay.health_failing")),
        _ => (Status::Neutral, app.t("bay.health_unknown")),
    };
    let (status, state) = match &d.state {
        BayState::Probing => (Status::Busy, app.t("bay.probing")),
        BayState::Waiting if app.confirmed => (Status::Busy, app.t("bay.replugged")),
        BayState::Waiting => (Status::Busy, app.t("bay.waiting")),
        BayState::Protected(_) => (Status::Protected, app.t("bay.protected")),
        BayState::AlreadyWiped => (Status::Neutral, app.t("bay.already")),
        BayState::Wiping => {
            let speed = if d.progress.rate > 0.0 {
                format!("{}/s", size_words(app.lang, d.progress.rate as u64))
            } else {
                String::new()
            };
            (Status::Busy, format!("{:>3.0} % {speed}", d.progress.percent.floor()))
        }
        BayState::Hung => (Status::Problem, app.t("bay.hung")),
        BayState::Verified => {
            let sent = match &d.delivery {
                Some(Delivery::Sent | Delivery::Relayed) => " √",
                _ => "",
            };
            (Status::Good, format!("{}{sent}", app.t("wipe.verified")))
        }
        BayState::Failed => (Status::Problem, app.t("bay.failed")),
        BayState::Interrupted => (Status::Warning, app.t("wipe.interrupted")),
        BayState::Removed => (Status::Neutral, app.t("bay.removed")),
    };
    Line::from(vec![
        Span::styled(format!(" {:<8}", d.name), theme::heading()),
        Span::styled(format!("{model:<16} {serial:<14} {size:>7} "), theme::text()),
        Span::styled(health_status.symbol().to_string(), health_status.style()),
        Span::styled(format!("{:<6} ", health.chars().take(6).collect::<String>()), theme::text()),
        Span::styled(format!(" {} ", status.symbol()), status.style()),
        Span::styled(format!(" {state}"), theme::text().add_modifier(Modifier::BOLD)),
    ])
}
