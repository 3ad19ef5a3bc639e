//! JSON text re-escaped without building a tree: what [`super::encode`] (with
//! [`super::JsonFlags::UNESCAPED`]) would print for a validated value, computed from its text.
//! Postback verification hashes `additional_data` that way, from the text as received (a span
//! [`super::parse_spanned`] gives), instead of re-encoding the parsed tree.

use super::grammar::decode_one;

/// What `encode(&parse(span)?, JsonFlags::UNESCAPED)` prints, computed from the text of a
/// value already validated (a span [`super::parse_spanned`] gave), in one pass and one allocation:
/// whitespace between tokens dropped, and every string re-escaped as PHP's `json_encode` does
/// with `JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE` (`\/` becomes `/`, `\u00e9` becomes
/// `é`; short escapes for `" \ \b \f \n \r \t`, `\u00xx` in lowercase for the other control
/// characters, `\u2028` and `\u2029`); numbers and literals as they came. `None` when only a
/// parse can say: a key repeated in an object (`json_decode` keeps the first position and the
/// last value), or an object of more than 64 keys.
pub fn unescaped_json(span: &[u8]) -> Option<Vec<u8>> {
    let mut c = Canonical {
        s: span,
        i: 0,
        out: Vec::with_capacity(span.len()),
    };
    c.value()?;
    c.skip_ws();
    (c.i == span.len()).then_some(c.out)
}

/// The most keys an object may have to be re-escaped from its text (more: parsed instead).
const MAX_KEYS: usize = 64;

struct Canonical<'a> {
    s: &'a [u8],
    i: usize,
    out: Vec<u8>,
}

impl Canonical<'_> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Option<()> {
        self.skip_ws();
        match *self.s.get(self.i)? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string().map(|_| ()),
            // Validated already: a number or a literal runs to the next structural byte or
            // whitespace, and prints as it came.
            _ => {
                let start = self.i;
                while let Some(b) = self.s.get(self.i) {
                    if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.i += 1;
                }
                self.out.extend_from_slice(&self.s[start..self.i]);
                Some(())
            }
        }
    }

    /// Copies the opening bracket; true when `close` follows at once (the container is empty,
    /// and copied whole).
    fn open_empty(&mut self, open: u8, close: u8) -> bool {
        self.i += 1;
        self.out.push(open);
        self.skip_ws();
        if self.s.get(self.i) == Some(&close) {
            self.i += 1;
            self.out.push(close);
            return true;
        }
        false
    }

    /// After a member: copies the `,` (true: another member follows) or the closing bracket
    /// (false). The walk checked the grammar, so whatever is not `,` is `close`.
    fn next_member(&mut self, close: u8) -> Option<bool> {
        self.skip_ws();
        let more = *self.s.get(self.i)? == b',';
        self.i += 1;
        self.out.push(if more { b',' } else { close });
        Some(more)
    }

    fn object(&mut self) -> Option<()> {
        if self.open_empty(b'{', b'}') {
            return Some(());
        }
        // The keys as printed (ranges of `out`): printed text is canonical, so equal keys
        // print equal bytes.
        let mut keys: [(usize, usize); MAX_KEYS] = [(0, 0); MAX_KEYS];
        let mut n = 0;
        loop {
            self.skip_ws();
            let key = self.string()?;
            let printed = &self.out[key.0..key.1];
            if n == MAX_KEYS || keys[..n].iter().any(|&(a, b)| &self.out[a..b] == printed) {
                return None;
            }
            keys[n] = key;
            n += 1;
            self.skip_ws();
            self.i += 1; // ':'
            self.out.push(b':');
            self.value()?;
            if !self.next_member(b'}')? {
                return Some(());
            }
        }
    }

    fn array(&mut self) -> Option<()> {
        if self.open_empty(b'[', b']') {
            return Some(());
        }
        loop {
            self.value()?;
            if !self.next_member(b']')? {
                return Some(());
            }
        }
    }

    /// Re-escapes one validated string into `out`; the printed range, quotes included.
    fn string(&mut self) -> Option<(usize, usize)> {
        let start = self.out.len();
        self.i += 1; // '"'
        self.out.push(b'"');
        loop {
            // The run of bytes that print as themselves, copied at once.
            let run = self.i;
            while let Some(&b) = self.s.get(self.i) {
                if b == b'"' || b == b'\\' || (b == 0xE2 && self.line_separator_at(self.i)) {
                    break;
                }
                self.i += 1;
            }
            self.out.extend_from_slice(&self.s[run..self.i]);
            match *self.s.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    self.out.push(b'"');
                    return Some((start, self.out.len()));
                }
                b'\\' => {
                    let (c, used) = decode_one(&self.s[self.i..]);
                    self.i += used;
                    self.push_char(c);
                }
                // U+2028 or U+2029 written as themselves: PHP escapes them.
                _ => {
                    let (c, used) = decode_one(&self.s[self.i..]);
                    self.i += used;
                    self.push_char(c);
                }
            }
        }
    }

    fn line_separator_at(&self, i: usize) -> bool {
        matches!(self.s.get(i + 1..i + 3), Some([0x80, 0xA8 | 0xA9]))
    }

    /// `php_json_escape_string` for one character under `JSON_UNESCAPED_SLASHES |
    /// JSON_UNESCAPED_UNICODE` (the encoder's rules).
    fn push_char(&mut self, c: char) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        match c {
            '"' => self.out.extend_from_slice(b"\\\""),
            '\\' => self.out.extend_from_slice(b"\\\\"),
            '\u{08}' => self.out.extend_from_slice(b"\\b"),
            '\u{0c}' => self.out.extend_from_slice(b"\\f"),
            '\n' => self.out.extend_from_slice(b"\\n"),
            '\r' => self.out.extend_from_slice(b"\\r"),
            '\t' => self.out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let unit = c as u32;
                self.out.extend_from_slice(b"\\u");
                for shift in [12, 8, 4, 0] {
                    self.out.push(HEX[((unit >> shift) & 0xf) as usize]);
                }
            }
            c => {
                let mut buf = [0u8; 4];
                self.out
                    .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::{JsonFlags, encode, parse};

    #[test]
    fn unescaped_json_is_what_parse_then_encode_prints() {
        for text in [
            r#"[{"a":"https://x/é","n":1.50,"e":1E+2,"z":-0,"t":true,"f":null,"o":{},"l":[]}]"#,
            "[\"\\\"\\\\\\b\\f\\n\\r\\t\\u001f\\u2028\\u2029\u{7f}\"]",
            r#" [ 1 , { "a" : "\/\u00e9\ud83d\ude00\u001F\u000a\u0041" } ] "#,
            "[\"\u{2028}\u{2029}\"]",
            r#"{"k":{"a":1,"b":{"a":2}}}"#,
        ] {
            let want = encode(&parse(text.as_bytes()).unwrap(), JsonFlags::UNESCAPED);
            assert_eq!(
                String::from_utf8(unescaped_json(text.as_bytes()).unwrap()).unwrap(),
                want,
                "{text}"
            );
        }
        // Only a parse can say what a repeated key or a very large object comes to.
        assert_eq!(unescaped_json(br#"{"a":1,"a":2}"#), None);
        assert_eq!(unescaped_json(br#"[{"\u0061":1,"a":2}]"#), None);
        let big = format!(
            "{{{}}}",
            (0..65)
                .map(|i| format!("\"k{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        assert_eq!(unescaped_json(big.as_bytes()), None);
    }
}
