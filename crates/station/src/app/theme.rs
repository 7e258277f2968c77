//! Colours and symbols, in one place. The palette keeps to the 16 colours of the Linux text
//! console and pairs blue (good) with yellow (warning) and a reversed red-on-white (problem),
//! which people with the common red–green colour blindness tell apart. No state is told by
//! colour alone: each carries a symbol and a word, and the symbols are in the console fonts
//! (code page 437 and Latin-1).

use ratatui::style::{Color, Modifier, Style};

/// The state of a thing on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Works, done, verified.
    Good,
    /// Usable but worth a look.
    Warning,
    /// Does not work, failed: call the supervisor.
    Problem,
    /// Will not be touched (the boot USB).
    Protected,
    /// In progress or waiting.
    Busy,
    /// Not done, not relevant.
    Neutral,
}

impl Status {
    /// The symbol shown before the word.
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Good => "√",
            Status::Warning => "!",
            Status::Problem => "×",
            Status::Protected => "■",
            Status::Busy => "►",
            Status::Neutral => "-",
        }
    }

    /// The style of the symbol and its word.
    pub fn style(self) -> Style {
        match self {
            Status::Good => Style::new().fg(Color::LightCyan).add_modifier(Modifier::BOLD),
            Status::Warning => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Status::Problem => Style::new().fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
            Status::Protected => Style::new().fg(Color::LightMagenta).add_modifier(Modifier::BOLD),
            Status::Busy => Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
            Status::Neutral => Style::new().fg(Color::Gray),
        }
    }
}

/// The header band (where am I).
pub fn header() -> Style {
    Style::new().fg(Color::Black).bg(Color::Cyan)
}

/// Big headings.
pub fn heading() -> Style {
    Style::new().fg(Color::White).add_modifier(Modifier::BOLD)
}

/// Body text.
pub fn text() -> Style {
    Style::new().fg(Color::White)
}

/// Less important text (hints for the supervisor).
pub fn quiet() -> Style {
    Style::new().fg(Color::Gray)
}

/// The one thing to do: the key band at the bottom.
pub fn action() -> Style {
    Style::new().fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD)
}

/// A focused choice.
pub fn focused() -> Style {
    Style::new().fg(Color::Black).bg(Color::White).add_modifier(Modifier::BOLD)
}

/// A gauge's filled part.
pub fn gauge() -> Style {
    Style::new().fg(Color::LightBlue).bg(Color::Black)
}

/// The screen test's colours, in order.
pub const SCREEN_TEST: [Color; super::SCREEN_TEST_COLOURS] =
    [Color::Red, Color::Green, Color::Blue, Color::White, Color::Black];
