//! A small HTML writer that escapes by construction: markup can only come from string literals
//! (`&'static str`), every other text goes through [`Html::text`], which escapes it for both
//! element content and quoted attribute values (OWASP XSS Prevention Cheat Sheet, rules 1–2).

/// An HTML document being written.
#[derive(Debug, Default)]
pub struct Html {
    buf: String,
}

impl Html {
    /// An empty document.
    pub fn new() -> Self {
        Html::default()
    }

    /// Appends markup. Only literals are accepted, so nothing from a request or the database
    /// can reach here unescaped.
    pub fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.buf.push_str(markup);
        self
    }

    /// Appends text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.buf, text);
        self
    }

    /// Appends a number.
    pub fn num(&mut self, n: impl std::fmt::Display) -> &mut Self {
        let s = n.to_string();
        self.text(&s)
    }

    /// The document.
    pub fn finish(self) -> String {
        self.buf
    }
}

/// Escapes `&`, `<`, `>`, `"` and `'`, and writes NUL as U+FFFD (HTML forbids it in text:
/// WHATWG HTML §13.2.5, "unexpected-null-character"; browsers differ on what they make of it).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// Percent-encodes a value for a URL's query or path segment (RFC 3986 §2.1: everything but
/// unreserved characters).
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_markup_is_not() {
        let mut h = Html::new();
        h.raw("<p title=\"").text("\"><script>x</script>&'").raw("\">").num(3).raw("</p>");
        assert_eq!(h.finish(), "<p title=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;&#39;\">3</p>");
    }

    #[test]
    fn a_nul_byte_never_reaches_the_page() {
        let mut h = Html::new();
        h.text("a\0b");
        assert_eq!(h.finish(), "a\u{fffd}b");
    }

    #[test]
    fn url_values_are_percent_encoded() {
        assert_eq!(url_encode("CD34 2026/é&x"), "CD34%202026%2F%C3%A9%26x");
        assert_eq!(url_encode("WD-WCAV_0.1~"), "WD-WCAV_0.1~");
    }
}
