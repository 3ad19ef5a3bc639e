//! A strict JSON (RFC 8259) parser into [`PhpValue`], accepting what PHP's `json_decode`
//! accepts and keeping number text and key order. Written by hand because signature checks
//! need the received number text, which general-purpose parsers throw away.

use std::borrow::Cow;

use super::grammar::{Walker, decode_one};
use super::value::{PhpValue, RawNumber};

/// PHP's `json_decode` default depth: nesting deeper than this is an error there too.
pub const MAX_DEPTH: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at byte {offset}: {reason}")]
pub struct ParseError {
    pub offset: usize,
    pub reason: &'static str,
}

/// Parses one JSON text (surrounding whitespace allowed, nothing else after it).
/// The tree borrows from `input`: a string without escapes, every key without escapes and every
/// number's text are slices of it, so a parse allocates only the containers.
pub fn parse(input: &[u8]) -> Result<PhpValue<'_>, ParseError> {
    Parser::run(input, false).map(|(v, _)| v)
}

/// A parsed JSON text with, when it is an object, where each of its members' values stands in
/// the input: what a signature over a member's text as received needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<'a> {
    pub value: PhpValue<'a>,
    /// For a top-level object, the byte range of each entry's value in the input, entry by
    /// entry (a repeated key's range is its last value's, as its value is); empty otherwise.
    pub spans: Vec<std::ops::Range<usize>>,
}

impl<'a> Spanned<'a> {
    /// The top-level member `key`: its value and that value's text as received.
    pub fn member(&self, input: &'a [u8], key: &str) -> Option<(&PhpValue<'a>, &'a [u8])> {
        let PhpValue::Map(entries) = &self.value else {
            return None;
        };
        let at = entries.iter().position(|(k, _)| k == key)?;
        Some((&entries[at].1, input.get(self.spans.get(at)?.clone())?))
    }
}

/// [`parse`], keeping the spans of the top-level object's members ([`Spanned`]).
pub fn parse_spanned(input: &[u8]) -> Result<Spanned<'_>, ParseError> {
    Parser::run(input, true).map(|(value, spans)| Spanned { value, spans })
}

/// A large object's keys by hash (FNV-1a), pointing into its entries.
#[derive(Default)]
struct KeyIndex {
    by_hash: std::collections::HashMap<u64, usize, std::hash::BuildHasherDefault<Prehashed>>,
    /// A hash two different keys share: lookups of it scan the entries instead.
    shared: Vec<u64>,
}

impl KeyIndex {
    fn with_capacity(n: usize) -> Self {
        Self {
            by_hash: std::collections::HashMap::with_capacity_and_hasher(n, Default::default()),
            shared: Vec::new(),
        }
    }

    fn hash(key: &str) -> u64 {
        key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    fn add(&mut self, key: &str, at: usize) {
        let h = Self::hash(key);
        if self.by_hash.insert(h, at).is_some() {
            self.shared.push(h);
        }
    }

    /// The entry holding `key`; `None` when it is new, after recording it at `entries.len()`
    /// (where the caller puts it). One hash per key.
    fn find_or_add(
        &mut self,
        key: &str,
        entries: &[(Cow<'_, str>, PhpValue<'_>)],
    ) -> Option<usize> {
        use std::collections::hash_map::Entry;
        let h = Self::hash(key);
        if self.shared.contains(&h) {
            return entries.iter().position(|(k, _)| k == key);
        }
        match self.by_hash.entry(h) {
            Entry::Occupied(slot) if entries[*slot.get()].0 == key => Some(*slot.get()),
            Entry::Occupied(_) => {
                self.shared.push(h);
                None
            }
            Entry::Vacant(slot) => {
                slot.insert(entries.len());
                None
            }
        }
    }
}

/// The hasher of [`KeyIndex`]: its keys are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; anything else folds its bytes in.
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The tree builder: the grammar's walk ([`Walker`]) validates every token; this keeps what
/// it read.
struct Parser<'a> {
    w: Walker<'a>,
    /// Whether to record the top-level object's value spans (into `top_spans`).
    spans: bool,
    top_spans: Vec<std::ops::Range<usize>>,
}

impl<'a> Parser<'a> {
    fn run(
        input: &'a [u8],
        spans: bool,
    ) -> Result<(PhpValue<'a>, Vec<std::ops::Range<usize>>), ParseError> {
        let mut p = Parser {
            w: Walker::new(input),
            spans,
            top_spans: Vec::new(),
        };
        p.w.skip_ws();
        let v = p.value(0)?;
        p.w.skip_ws();
        if p.w.i != input.len() {
            return Err(p.w.err("trailing characters after the JSON value"));
        }
        Ok((v, p.top_spans))
    }

    fn value(&mut self, depth: usize) -> Result<PhpValue<'a>, ParseError> {
        match self.w.peek() {
            None => Err(self.w.err("unexpected end of input")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(PhpValue::String(self.string()?)),
            Some(b't') => self.w.literal(b"true").map(|()| PhpValue::Bool(true)),
            Some(b'f') => self.w.literal(b"false").map(|()| PhpValue::Bool(false)),
            Some(b'n') => self.w.literal(b"null").map(|()| PhpValue::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.w.i;
                self.w.number()?;
                // Number syntax is pure ASCII, so this slice is valid UTF-8.
                let text = self.w.text_of(start, self.w.i).ok_or(ParseError {
                    offset: start,
                    reason: "malformed number",
                })?;
                Ok(PhpValue::Number(RawNumber::from_validated(text)))
            }
            Some(_) => Err(self.w.err("unexpected character")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<PhpValue<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.w.err("nesting deeper than 512"));
        }
        let open_at = self.w.i;
        self.w.i += 1; // '{'
        let mut entries: Vec<(Cow<'a, str>, PhpValue<'a>)> = Vec::new();
        // Repeated-key lookups: a linear scan for small objects, an index once an object grows
        // (a postback's `converted_amount` has ~170 keys; scanning made parsing quadratic).
        // The index maps a key's hash to its entry, the key itself stays in `entries` (no
        // copies); a hash shared by two keys sends the lookup back to the scan.
        let mut index: Option<KeyIndex> = None;
        let keep_spans = self.spans && depth == 1;
        let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
        self.w.skip_ws();
        if self.w.peek() == Some(b'}') {
            self.w.i += 1;
            return Ok(PhpValue::Map(entries));
        }
        loop {
            self.w.skip_ws();
            if self.w.peek() != Some(b'"') {
                return Err(self.w.err("expected a string key"));
            }
            let key = self.string()?;
            self.w.skip_ws();
            if self.w.peek() != Some(b':') {
                return Err(self.w.err("expected ':' after a key"));
            }
            self.w.i += 1;
            self.w.skip_ws();
            let value_at = self.w.i;
            let v = self.value(depth)?;
            let span = value_at..self.w.i;
            // json_decode keeps the first position of a repeated key and the last value.
            const INDEX_FROM: usize = 16;
            const INDEX_CAP: usize = 256;
            if index.is_none() && entries.len() >= INDEX_FROM {
                // Sized for the rest of the input at this object's density so far, so a large
                // object (the ~170 currencies) fills its index without rehashing. The index
                // lives only while its object is open, and the guess is capped, so a body of
                // many small objects cannot make the parse hold memory out of proportion to
                // it; the entries themselves grow as a vector does.
                let per_entry = (self.w.i - open_at) / entries.len();
                let expected =
                    entries.len() + ((self.w.s.len() - self.w.i) / per_entry.max(1)).min(INDEX_CAP);
                let mut ix = KeyIndex::with_capacity(expected);
                for (i, (k, _)) in entries.iter().enumerate() {
                    ix.add(k, i);
                }
                index = Some(ix);
            }
            let existing = match index.as_mut() {
                Some(ix) => ix.find_or_add(&key, &entries),
                None => entries.iter().position(|(k, _)| *k == key),
            };
            match existing {
                Some(at) => {
                    entries[at].1 = v;
                    if keep_spans {
                        spans[at] = span;
                    }
                }
                None => {
                    entries.push((key, v));
                    if keep_spans {
                        spans.push(span);
                    }
                }
            }
            self.w.skip_ws();
            match self.w.peek() {
                Some(b',') => self.w.i += 1,
                Some(b'}') => {
                    self.w.i += 1;
                    if keep_spans {
                        self.top_spans = spans;
                    }
                    return Ok(PhpValue::Map(entries));
                }
                _ => return Err(self.w.err("expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<PhpValue<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.w.err("nesting deeper than 512"));
        }
        self.w.i += 1; // '['
        let mut items = Vec::new();
        self.w.skip_ws();
        if self.w.peek() == Some(b']') {
            self.w.i += 1;
            return Ok(PhpValue::List(items));
        }
        loop {
            self.w.skip_ws();
            items.push(self.value(depth)?);
            self.w.skip_ws();
            match self.w.peek() {
                Some(b',') => self.w.i += 1,
                Some(b']') => {
                    self.w.i += 1;
                    return Ok(PhpValue::List(items));
                }
                _ => return Err(self.w.err("expected ',' or ']' in an array")),
            }
        }
    }

    /// A string, validated by the walk, then decoded: borrowed as it is when it has no escape
    /// (the common case: no allocation), else decoded escape by escape into its own copy.
    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        let (start, end) = self.w.string_span()?;
        let s: &'a [u8] = self.w.s;
        let raw = &s[start + 1..end - 1];
        if !self.w.escaped {
            return self
                .w
                .text_of(start + 1, end - 1)
                .map(Cow::Borrowed)
                .ok_or(ParseError {
                    offset: start,
                    reason: "malformed UTF-8 in a string",
                });
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while !rest.is_empty() {
            let (c, used) = decode_one(rest);
            out.push(c);
            rest = &rest[used..];
        }
        Ok(Cow::Owned(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_number_text_and_key_order() {
        let v = parse(br#"{"b":762.0,"a":[1e20,-0.0,12345678901234567890],"c":{}}"#).unwrap();
        let PhpValue::Map(entries) = &v else {
            panic!("not a map")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "a", "c"]);
        let PhpValue::Number(n) = v.get("b").unwrap() else {
            panic!()
        };
        assert_eq!(n.as_str(), "762.0");
        let PhpValue::List(items) = v.get("a").unwrap() else {
            panic!()
        };
        let texts: Vec<&str> = items
            .iter()
            .map(|i| match i {
                PhpValue::Number(n) => n.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(texts, ["1e20", "-0.0", "12345678901234567890"]);
    }

    #[test]
    fn the_tree_borrows_from_the_input_except_decoded_escapes() {
        let input = br#"{"plain":"text","esc\/aped":"a\nb","n":-12.50e3}"#;
        let PhpValue::Map(entries) = parse(input).unwrap() else {
            panic!("not a map")
        };
        let borrowed = |c: &Cow<'_, str>| matches!(c, Cow::Borrowed(_));
        assert!(borrowed(&entries[0].0));
        assert!(matches!(&entries[0].1, PhpValue::String(s) if borrowed(s) && s == "text"));
        // An escape is decoded into a copy of its own.
        assert!(!borrowed(&entries[1].0) && entries[1].0 == "esc/aped");
        assert!(matches!(&entries[1].1, PhpValue::String(s) if !borrowed(s) && s == "a\nb"));
        let PhpValue::Number(n) = &entries[2].1 else {
            panic!("not a number")
        };
        let text = n.as_str();
        // The number's text is the very bytes received.
        let at = text.as_ptr() as usize - input.as_ptr() as usize;
        assert_eq!(&input[at..at + text.len()], b"-12.50e3");
    }

    #[test]
    fn spans_are_the_top_level_members_as_received() {
        let input = br#" { "a" : [1, {"x":"}"}] ,"b":"\u00e9","a":null } "#;
        let parsed = parse_spanned(input).unwrap();
        assert_eq!(parsed.value, parse(input).unwrap());
        let texts: Vec<&[u8]> = parsed.spans.iter().map(|r| &input[r.clone()]).collect();
        // A repeated key keeps its first place and its last value, and so does its span.
        assert_eq!(texts, [&b"null"[..], br#""\u00e9""#]);
        let (value, text) = parsed.member(input, "b").unwrap();
        assert_eq!((value, text), (&PhpValue::string("é"), &br#""\u00e9""#[..]));
        assert!(parsed.member(input, "c").is_none());
        // Nested objects and other top-level values have no spans.
        assert!(parse_spanned(br#"[{"a":1}]"#).unwrap().spans.is_empty());
        assert!(parse_spanned(b"{}").unwrap().spans.is_empty());
    }

    #[test]
    fn a_body_of_many_small_objects_keeps_memory_in_proportion() {
        // 17 keys each: past the index threshold, with most of the input still ahead.
        let object = format!(
            "{{{}}}",
            (0..17)
                .map(|i| format!("\"k{i}\":{i}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let text = format!("[{}]", vec![object; 2000].join(","));
        let PhpValue::List(items) = parse(text.as_bytes()).unwrap() else {
            panic!("not a list")
        };
        for item in &items {
            let PhpValue::Map(entries) = item else {
                panic!("not a map")
            };
            assert_eq!(entries.len(), 17);
            assert!(entries.capacity() <= 32, "{}", entries.capacity());
        }
    }

    #[test]
    fn repeated_key_keeps_first_position_and_last_value() {
        let v = parse(br#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(
            v,
            PhpValue::Map(vec![
                ("a".into(), PhpValue::int(3)),
                ("b".into(), PhpValue::int(2)),
            ])
        );
    }

    #[test]
    fn repeated_keys_in_large_objects_behave_the_same() {
        let mut text = String::from("{");
        for i in 0..40 {
            text.push_str(&format!("\"k{i}\":{i},"));
        }
        text.push_str("\"k3\":\"again\",\"k39\":null,\"new\":1}");
        let PhpValue::Map(entries) = parse(text.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(entries.len(), 41);
        assert_eq!(entries[3], ("k3".into(), PhpValue::string("again")));
        assert_eq!(entries[39], ("k39".into(), PhpValue::Null));
        assert_eq!(entries[40].0, "new");
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let v = parse(br#""\/\\\"\u00e9\ud83d\ude00\u2028\n""#).unwrap();
        assert_eq!(v, PhpValue::String("/\\\"é😀\u{2028}\n".into()));
    }

    #[test]
    fn rejects_what_php_rejects() {
        for bad in [
            &b""[..],
            b"{",
            b"[1,]",
            b"{\"a\":1,}",
            b"01",
            b"1.",
            b".5",
            b"-",
            b"1e",
            b"+1",
            b"\"\\ud800\"",
            b"\"\\udc00x\"",
            b"\"a\x01\"",
            b"\"\xff\"",
            b"nul",
            b"{} {}",
            b"{'a':1}",
            b"NaN",
        ] {
            assert!(
                parse(bad).is_err(),
                "accepted {:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn depth_limit_matches_php() {
        let ok = format!("{}{}", "[".repeat(512), "]".repeat(512));
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(513), "]".repeat(513));
        assert!(parse(deep.as_bytes()).is_err());
    }

    #[test]
    fn integers_past_i64_become_floats() {
        let PhpValue::Number(n) = parse(b"9223372036854775808").unwrap() else {
            panic!()
        };
        assert_eq!(
            n.to_php(),
            super::super::PhpNumber::Float(9_223_372_036_854_775_808.0)
        );
        let PhpValue::Number(n) = parse(b"-9223372036854775808").unwrap() else {
            panic!()
        };
        assert_eq!(n.to_php(), super::super::PhpNumber::Int(i64::MIN));
        let PhpValue::Number(n) = parse(b"-0").unwrap() else {
            panic!()
        };
        assert_eq!(n.to_php(), super::super::PhpNumber::Int(0));
    }
}
