//! The app on a real terminal: crossterm input, ratatui drawing, a 10 Hz tick. The terminal is
//! restored on every exit, panics included (ratatui's `init` installs the hook).

use std::io::Write as _;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};

use super::runtime::Runtime;
use super::{view, App, Key, Msg};

/// Maps a terminal key event to the app's keys.
pub fn map_key(event: &event::KeyEvent) -> Option<Key> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    Some(match event.code {
        KeyCode::Char('c') if event.modifiers.contains(KeyModifiers::CONTROL) => Key::CtrlC,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Tab => Key::Tab,
        KeyCode::F(n) => Key::F(n),
        KeyCode::Char(c) => Key::Char(c),
        _ => return None,
    })
}

/// Rings the terminal bell if any was asked for since the last frame.
pub fn ring(bells: &mut u32) {
    if *bells > 0 {
        *bells = 0;
        let mut out = std::io::stdout();
        let _ = out.write_all(b"\x07").and_then(|()| out.flush());
    }
}

/// Waits up to a tick (100 ms) for a key press.
pub fn next_key() -> std::io::Result<Option<Key>> {
    if event::poll(Duration::from_millis(100))? {
        if let Event::Key(k) = event::read()? {
            return Ok(map_key(&k));
        }
    }
    Ok(None)
}

/// Runs the app until it quits; returns its final state and whether the worker chose the
/// loose-disks session.
pub fn run(mut app: App, mut runtime: Runtime) -> anyhow::Result<(App, bool)> {
    let mut terminal = ratatui::init();
    let result = (|| -> anyhow::Result<()> {
        let effects = app.start();
        runtime.run(&app, effects);
        while !runtime.quit {
            terminal.draw(|frame| view::render(&app, frame))?;
            ring(&mut runtime.bells);
            if let Some(key) = next_key()? {
                let effects = app.update(Msg::Key(key, Instant::now()));
                runtime.run(&app, effects);
            }
            while let Ok(msg) = runtime.rx.try_recv() {
                let effects = app.update(msg);
                runtime.run(&app, effects);
            }
            let effects = app.update(Msg::Tick(Instant::now()));
            runtime.run(&app, effects);
        }
        Ok(())
    })();
    ratatui::restore();
    runtime.join();
    result.map(|()| (app, runtime.open_bay))
}
