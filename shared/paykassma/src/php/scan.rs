//! JSON read without building a tree: the members of an object as byte spans of the input,
//! after validating the whole text exactly as [`super::parse`] does, and whether a span is
//! already what [`super::encode`] (with [`super::JsonFlags::UNESCAPED`]) would print for it.
//! Postback verification uses both: it finds `signature`, `access_key` and `additional_data`
//! without allocating, and hashes the received `additional_data` bytes when they are already
//! canonical, which is how the gateway sends them, instead of parsing and re-encoding them.

use super::parse::{MAX_DEPTH, ParseError};

/// Calls `member(key, value)` for each member of the top-level object of `input`, in order
/// and with repeated keys as they come (`json_decode` keeps the last value): `key` is the raw
/// text between the quotes (escapes not decoded, see [`key_is`]) and `value` the raw text of
/// the value. The whole input is validated as it is walked: any text [`super::parse`] refuses
/// is an error here too (after some members may have been reported: discard them then), and
/// so is a top level that is not an object.
pub fn for_each_member<'a>(
    input: &'a [u8],
    mut member: impl FnMut(&'a [u8], &'a [u8]),
) -> Result<(), ParseError> {
    let mut v = Validator { s: input, i: 0 };
    v.skip_ws();
    if v.peek() != Some(b'{') {
        // Whatever it is, the parser's error for it comes first.
        let start = v.i;
        v.value(0)?;
        v.skip_ws();
        if v.i != input.len() {
            return Err(v.err("trailing characters after the JSON value"));
        }
        return Err(ParseError {
            offset: start,
            reason: "the body is not a JSON object",
        });
    }
    // The top-level object, walked as `Validator::object` walks one, reporting its members.
    v.i += 1;
    v.skip_ws();
    if v.peek() == Some(b'}') {
        v.i += 1;
    } else {
        loop {
            v.skip_ws();
            if v.peek() != Some(b'"') {
                return Err(v.err("expected a string key"));
            }
            let (ks, ke) = v.string_span()?;
            let key = &input[ks + 1..ke - 1];
            v.skip_ws();
            if v.peek() != Some(b':') {
                return Err(v.err("expected ':' after a key"));
            }
            v.i += 1;
            v.skip_ws();
            let (vs, ve) = v.value(1)?;
            member(key, &input[vs..ve]);
            v.skip_ws();
            match v.peek() {
                Some(b',') => v.i += 1,
                Some(b'}') => {
                    v.i += 1;
                    break;
                }
                _ => return Err(v.err("expected ',' or '}' in an object")),
            }
        }
    }
    v.skip_ws();
    if v.i != input.len() {
        return Err(v.err("trailing characters after the JSON value"));
    }
    Ok(())
}

/// Whether the raw key text (between the quotes, as [`for_each_member`] gives it) decodes to
/// `name`. Keys without escapes, the gateway's, compare byte for byte; an escaped key is
/// decoded as it is compared, so `"addition\u0061l_data"` is `additional_data`, as for PHP.
pub fn key_is(raw: &[u8], name: &str) -> bool {
    if !raw.contains(&b'\\') {
        return raw == name.as_bytes();
    }
    let mut want = name.chars();
    let mut rest = raw;
    while !rest.is_empty() {
        let (c, used) = decode_one(rest);
        if want.next() != Some(c) {
            return false;
        }
        rest = &rest[used..];
    }
    want.next().is_none()
}

/// The first character of validated raw string text and the bytes it took.
fn decode_one(raw: &[u8]) -> (char, usize) {
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

fn hex4(b: &[u8]) -> u16 {
    b.iter().fold(0u16, |v, c| {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => c - b'A' + 10,
        };
        (v << 4) | u16::from(d)
    })
}

/// What `encode(&parse(span)?, JsonFlags::UNESCAPED)` prints, computed from the text of a
/// value already validated (one [`for_each_member`] gave), in one pass and one allocation:
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

    fn object(&mut self) -> Option<()> {
        self.i += 1;
        self.out.push(b'{');
        self.skip_ws();
        if self.s.get(self.i) == Some(&b'}') {
            self.i += 1;
            self.out.push(b'}');
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
            self.skip_ws();
            match *self.s.get(self.i)? {
                b',' => {
                    self.i += 1;
                    self.out.push(b',');
                }
                _ => {
                    self.i += 1; // '}'
                    self.out.push(b'}');
                    return Some(());
                }
            }
        }
    }

    fn array(&mut self) -> Option<()> {
        self.i += 1;
        self.out.push(b'[');
        self.skip_ws();
        if self.s.get(self.i) == Some(&b']') {
            self.i += 1;
            self.out.push(b']');
            return Some(());
        }
        loop {
            self.value()?;
            self.skip_ws();
            match *self.s.get(self.i)? {
                b',' => {
                    self.i += 1;
                    self.out.push(b',');
                }
                _ => {
                    self.i += 1; // ']'
                    self.out.push(b']');
                    return Some(());
                }
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

/// The validating walk: the same grammar, limits and errors as the tree parser, building
/// nothing.
struct Validator<'a> {
    s: &'a [u8],
    i: usize,
}

impl Validator<'_> {
    fn err(&self, reason: &'static str) -> ParseError {
        ParseError {
            offset: self.i,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// Validates one value; its span.
    fn value(&mut self, depth: usize) -> Result<(usize, usize), ParseError> {
        let start = self.i;
        match self.peek() {
            None => return Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth + 1)?,
            Some(b'[') => self.array(depth + 1)?,
            Some(b'"') => {
                self.string_span()?;
            }
            Some(b't') => self.literal(b"true")?,
            Some(b'f') => self.literal(b"false")?,
            Some(b'n') => self.literal(b"null")?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.err("unexpected character")),
        }
        Ok((start, self.i))
    }

    fn literal(&mut self, lit: &'static [u8]) -> Result<(), ParseError> {
        if self.s[self.i..].starts_with(lit) {
            self.i += lit.len();
            Ok(())
        } else {
            Err(self.err("unknown literal"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting deeper than 512"));
        }
        self.i += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            self.string_span()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':' after a key"));
            }
            self.i += 1;
            self.skip_ws();
            self.value(depth)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting deeper than 512"));
        }
        self.i += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            self.value(depth)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or ']' in an array")),
            }
        }
    }

    fn number(&mut self) -> Result<(), ParseError> {
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

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    fn hex4(&mut self) -> Result<u16, ParseError> {
        let hex = self
            .s
            .get(self.i..self.i + 4)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .ok_or_else(|| self.err("\\u needs four hex digits"))?;
        self.i += 4;
        Ok(hex4(hex))
    }

    /// Validates a string; its span, quotes included.
    fn string_span(&mut self) -> Result<(usize, usize), ParseError> {
        let start = self.i;
        self.i += 1;
        loop {
            let run_start = self.i;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            if std::str::from_utf8(&self.s[run_start..self.i]).is_err() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::{JsonFlags, encode, parse};

    fn members(input: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for_each_member(input.as_bytes(), |k, v| {
            out.push((
                String::from_utf8_lossy(k).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            ))
        })
        .unwrap();
        out
    }

    #[test]
    fn members_are_spans_of_the_input_in_order_with_repeats() {
        assert_eq!(
            members(r#" { "a" : [1, {"x":"}"}] ,"b":"\u00e9","a":null } "#),
            [
                ("a".to_string(), r#"[1, {"x":"}"}]"#.to_string()),
                ("b".to_string(), r#""\u00e9""#.to_string()),
                ("a".to_string(), "null".to_string())
            ]
        );
        assert!(members("{}").is_empty());
    }

    #[test]
    fn the_scan_refuses_exactly_what_the_parser_refuses() {
        for text in [
            &b""[..],
            b"{",
            b"[1,]",
            b"{\"a\":1,}",
            b"{\"a\":01}",
            b"{\"a\":1.}",
            b"{\"a\":\"\\ud800\"}",
            b"{\"a\":\"a\x01\"}",
            b"{\"a\":\"\xff\"}",
            b"{\"a\":nul}",
            b"{} {}",
            b"{'a':1}",
        ] {
            assert!(parse(text).is_err());
            assert!(for_each_member(text, |_, _| {}).is_err(), "{text:?}");
        }
        // A valid text that is not an object is refused too.
        assert!(for_each_member(b"[1]", |_, _| {}).is_err());
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(512), "]".repeat(512));
        assert!(parse(deep.as_bytes()).is_err());
        assert!(for_each_member(deep.as_bytes(), |_, _| {}).is_err());
    }

    #[test]
    fn escaped_keys_compare_as_decoded() {
        assert!(key_is(b"additional_data", "additional_data"));
        assert!(key_is(br"addition\u0061l_data", "additional_data"));
        assert!(key_is(br"\ud83d\ude00x", "😀x"));
        assert!(!key_is(br"additional_dat", "additional_data"));
        assert!(!key_is(br"additional_data\n", "additional_data"));
    }

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
