//! The JSON grammar (RFC 8259, as PHP's `json_decode` reads it: no lone surrogates, UTF-8
//! strings): the token rules the tree parser ([`super::parse`]) walks the bytes with, and
//! the decoding of a validated string's escapes (which [`super::canonical`] shares).

use super::parse::ParseError;

/// A position in JSON text with the rules of its tokens (numbers, strings, literals); the
/// parser builds its tree on it.
pub(super) struct Walker<'a> {
    pub(super) s: &'a [u8],
    pub(super) i: usize,
    /// The whole input as text, when it is valid UTF-8 (checked once, at memory speed): every
    /// string is then valid too and is not checked again run by run. When it is not, the
    /// strings are checked one by one, so a refusal names the same place either way.
    pub(super) text: Option<&'a str>,
    /// Whether the last string [`Walker::string_span`] read had an escape (else its raw
    /// text is its value).
    pub(super) escaped: bool,
}

impl<'a> Walker<'a> {
    pub(super) fn new(s: &'a [u8]) -> Self {
        Self {
            s,
            i: 0,
            text: std::str::from_utf8(s).ok(),
            escaped: false,
        }
    }

    /// `s[start..end]` as text. Callers pass the bounds of a validated number or string run,
    /// which lie on character boundaries, so `None` only when the input is not UTF-8.
    pub(super) fn text_of(&self, start: usize, end: usize) -> Option<&'a str> {
        match self.text {
            Some(t) => t.get(start..end),
            None => std::str::from_utf8(self.s.get(start..end)?).ok(),
        }
    }

    pub(super) fn err(&self, reason: &'static str) -> ParseError {
        ParseError {
            offset: self.i,
            reason,
        }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    pub(super) fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    pub(super) fn literal(&mut self, lit: &'static [u8]) -> Result<(), ParseError> {
        if self.s[self.i..].starts_with(lit) {
            self.i += lit.len();
            Ok(())
        } else {
            Err(self.err("unknown literal"))
        }
    }

    pub(super) fn number(&mut self) -> Result<(), ParseError> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("a number needs digits")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("a fraction needs digits"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("an exponent needs digits"));
            }
            self.digits();
        }
        Ok(())
    }

    pub(super) fn digits(&mut self) {
        let rest = self.s.get(self.i..).unwrap_or_default();
        self.i += rest
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(rest.len());
    }

    pub(super) fn hex4(&mut self) -> Result<u16, ParseError> {
        let hex = self
            .s
            .get(self.i..self.i + 4)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .ok_or_else(|| self.err("\\u needs four hex digits"))?;
        self.i += 4;
        Ok(hex4(hex))
    }

    /// Validates a string; its span, quotes included.
    pub(super) fn string_span(&mut self) -> Result<(usize, usize), ParseError> {
        let start = self.i;
        self.i += 1;
        self.escaped = false;
        loop {
            let run_start = self.i;
            let rest = self.s.get(self.i..).unwrap_or_default();
            self.i += rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            if self.text.is_none() && std::str::from_utf8(&self.s[run_start..self.i]).is_err() {
                return Err(ParseError {
                    offset: run_start,
                    reason: "malformed UTF-8 in a string",
                });
            }
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok((start, self.i));
                }
                Some(b'\\') => {
                    self.escaped = true;
                    self.i += 1;
                    let esc = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
                    self.i += 1;
                    match esc {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let hi = self.hex4()?;
                            match hi {
                                0xD800..=0xDBFF => {
                                    if !self.s[self.i..].starts_with(b"\\u") {
                                        return Err(self.err("unpaired UTF-16 surrogate"));
                                    }
                                    self.i += 2;
                                    let lo = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&lo) {
                                        return Err(self.err("unpaired UTF-16 surrogate"));
                                    }
                                }
                                0xDC00..=0xDFFF => {
                                    return Err(self.err("unpaired UTF-16 surrogate"));
                                }
                                _ => {}
                            }
                        }
                        _ => return Err(self.err("unknown escape")),
                    }
                }
                Some(_) => return Err(self.err("control character in a string")),
            }
        }
    }
}

/// The first character of validated raw string text and the bytes it took.
pub(super) fn decode_one(raw: &[u8]) -> (char, usize) {
    if raw[0] != b'\\' {
        let len = match raw[0] {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        let c = std::str::from_utf8(&raw[..len])
            .ok()
            .and_then(|s| s.chars().next())
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        return (c, len);
    }
    let simple = |c: char| (c, 2);
    match raw[1] {
        b'"' => simple('"'),
        b'\\' => simple('\\'),
        b'/' => simple('/'),
        b'b' => simple('\u{08}'),
        b'f' => simple('\u{0c}'),
        b'n' => simple('\n'),
        b'r' => simple('\r'),
        b't' => simple('\t'),
        _ => {
            let hi = hex4(&raw[2..6]);
            if (0xD800..=0xDBFF).contains(&hi) {
                let lo = hex4(&raw[8..12]);
                let cp = 0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
                (
                    char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER),
                    12,
                )
            } else {
                (
                    char::from_u32(u32::from(hi)).unwrap_or(char::REPLACEMENT_CHARACTER),
                    6,
                )
            }
        }
    }
}

pub(super) fn hex4(b: &[u8]) -> u16 {
    b.iter().fold(0u16, |v, c| {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => c - b'A' + 10,
        };
        (v << 4) | u16::from(d)
    })
}
