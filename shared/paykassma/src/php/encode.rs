//! PHP's `json_encode` output for a [`PhpValue`]: compact, keys in order, numbers as their text,
//! strings escaped by `php_json_escape_string`'s rules under the chosen flags.

use super::value::PhpValue;

/// The `json_encode` flags that matter for the gateway's bodies and signatures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonFlags {
    /// `JSON_UNESCAPED_SLASHES`: `/` stays as is (otherwise `\/`).
    pub unescaped_slashes: bool,
    /// `JSON_UNESCAPED_UNICODE`: non-ASCII stays UTF-8 (otherwise `\uXXXX`). U+2028 and U+2029
    /// are escaped either way, as PHP does without `JSON_UNESCAPED_LINE_TERMINATORS`.
    pub unescaped_unicode: bool,
}

impl JsonFlags {
    /// `json_encode($x)`: what the gateway's bodies look like on the wire.
    pub const DEFAULT: Self = Self {
        unescaped_slashes: false,
        unescaped_unicode: false,
    };
    /// `JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE`: what the postback signature hashes.
    pub const UNESCAPED: Self = Self {
        unescaped_slashes: true,
        unescaped_unicode: true,
    };
}

/// Encodes `v` as PHP's `json_encode($v, $flags)` would.
pub fn encode(v: &PhpValue, flags: JsonFlags) -> String {
    let mut out = String::new();
    write_value(&mut out, v, flags);
    out
}

fn write_value(out: &mut String, v: &PhpValue, flags: JsonFlags) {
    match v {
        PhpValue::Null => out.push_str("null"),
        PhpValue::Bool(true) => out.push_str("true"),
        PhpValue::Bool(false) => out.push_str("false"),
        PhpValue::Number(n) => out.push_str(n.as_str()),
        PhpValue::String(s) => write_string(out, s, flags),
        PhpValue::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, flags);
            }
            out.push(']');
        }
        PhpValue::Map(entries) => {
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k, flags);
                out.push(':');
                write_value(out, item, flags);
            }
            out.push('}');
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_u_escape(out: &mut String, unit: u16) {
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xf)] as char);
    }
}

/// `php_json_escape_string`: lowercase hex, short escapes for `\b \f \n \r \t`, surrogate
/// pairs for astral characters when Unicode is escaped.
pub fn write_string(out: &mut String, s: &str, flags: JsonFlags) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if !flags.unescaped_slashes => out.push_str("\\/"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => push_u_escape(out, c as u16),
            '\u{2028}' | '\u{2029}' => push_u_escape(out, c as u16),
            c if (c as u32) < 0x80 || flags.unescaped_unicode => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_u_escape(out, *unit);
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::parse;

    #[test]
    fn default_flags_escape_slashes_and_unicode() {
        let v = parse(r#"{"u":"https://x/é😀\u2028\u001f\u007f","n":[1.0e+20,-0]}"#.as_bytes())
            .unwrap();
        assert_eq!(
            encode(&v, JsonFlags::DEFAULT),
            "{\"u\":\"https:\\/\\/x\\/\\u00e9\\ud83d\\ude00\\u2028\\u001f\u{7f}\",\"n\":[1.0e+20,-0]}"
        );
        assert_eq!(
            encode(&v, JsonFlags::UNESCAPED),
            "{\"u\":\"https://x/é😀\\u2028\\u001f\u{7f}\",\"n\":[1.0e+20,-0]}"
        );
    }

    #[test]
    fn empty_containers_keep_their_kind() {
        let v = parse(br#"{"a":[],"b":{}}"#).unwrap();
        assert_eq!(encode(&v, JsonFlags::DEFAULT), r#"{"a":[],"b":{}}"#);
    }
}
