//! Reading request fields the way the gateway's Laravel does: strings trimmed (TrimStrings), an
//! empty string counts as missing (ConvertEmptyStringsToNull), and rule failures collected as
//! Laravel's messages (`The label field is required.`) into [`FieldErrors`].
//!
//! JSON bodies, query strings (PHP array form `key[]=a&key[]=b`) and multipart forms are all
//! turned into one [`PhpValue`] object first.

use paykassma::money::decimal_from_php;
use paykassma::php::PhpValue;
use rust_decimal::Decimal;

use crate::reply::FieldErrors;

/// Laravel's attribute name in messages: `plugin_custom_order_id` -> `plugin custom order id`.
pub fn human(field: &str) -> String {
    field.replace(['_', '.'], " ")
}

/// A query string as PHP's `$_GET`: `a[]=x&a[]=y` and `a[0]=x` become lists, a repeated plain
/// key keeps the last value.
pub fn query_to_php(query: &str) -> PhpValue<'static> {
    let mut out = PhpValue::Map(Vec::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let (name, is_array) = match k.find('[') {
            Some(i) if k.ends_with(']') => (k[..i].to_string(), true),
            _ => (k.to_string(), false),
        };
        if is_array {
            let mut list = match out.remove(&name) {
                Some(PhpValue::List(items)) => items,
                _ => Vec::new(),
            };
            list.push(PhpValue::string(v.into_owned()));
            out.insert(name, PhpValue::List(list));
        } else {
            out.insert(name, PhpValue::string(v.into_owned()));
        }
    }
    out
}

/// Trims every string in a tree (Laravel's TrimStrings middleware).
pub fn trim_strings(v: &PhpValue) -> PhpValue<'static> {
    match v {
        PhpValue::String(s) => PhpValue::string(s.trim().to_string()),
        PhpValue::List(items) => PhpValue::List(items.iter().map(trim_strings).collect()),
        PhpValue::Map(entries) => PhpValue::Map(
            entries
                .iter()
                .map(|(k, v)| (k.to_string().into(), trim_strings(v)))
                .collect(),
        ),
        other => other.clone().into_owned(),
    }
}

/// A request's fields with the errors found so far.
pub struct Input<'a> {
    data: &'a PhpValue<'a>,
    pub errors: FieldErrors,
}

/// Length rule for a string field.
#[derive(Clone, Copy, Debug)]
pub enum Len {
    Max(usize),
    Exactly(usize),
    Between(usize, usize),
}

impl<'a> Input<'a> {
    pub fn new(data: &'a PhpValue<'a>) -> Self {
        Self {
            data,
            errors: FieldErrors::default(),
        }
    }

    /// The value at `name` (dotted for nested objects), `None` when missing, null or empty.
    pub fn raw(&self, name: &str) -> Option<&'a PhpValue<'a>> {
        let mut cur = self.data;
        for part in name.split('.') {
            cur = cur.get(part)?;
        }
        match cur {
            PhpValue::Null => None,
            PhpValue::String(s) if s.trim().is_empty() => None,
            PhpValue::List(items) if items.is_empty() => None,
            v => Some(v),
        }
    }

    pub fn present(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    pub fn require(&mut self, name: &str) -> bool {
        if self.present(name) {
            true
        } else {
            self.errors
                .add(name, format!("The {} field is required.", human(name)));
            false
        }
    }

    fn check_len(&mut self, name: &str, value: &str, len: Len) -> bool {
        let n = value.chars().count();
        let h = human(name);
        let msg = match len {
            Len::Max(max) if n > max => {
                format!("The {h} must not be greater than {max} characters.")
            }
            Len::Exactly(k) if n != k => format!("The {h} must be {k} characters."),
            Len::Between(lo, hi) if n < lo || n > hi => {
                format!("The {h} must be between {lo} and {hi} characters.")
            }
            _ => return true,
        };
        self.errors.add(name, msg);
        false
    }

    /// An optional string; `None` when absent or invalid (the error is recorded).
    pub fn opt_string(&mut self, name: &str, len: Len) -> Option<String> {
        match self.raw(name)? {
            PhpValue::String(s) => {
                let t = s.trim();
                self.check_len(name, t, len).then(|| t.to_string())
            }
            _ => {
                self.errors
                    .add(name, format!("The {} must be a string.", human(name)));
                None
            }
        }
    }

    /// A required string.
    pub fn string(&mut self, name: &str, len: Len) -> Option<String> {
        if !self.require(name) {
            return None;
        }
        self.opt_string(name, len)
    }

    /// A required amount (number or numeric string), greater than zero.
    pub fn amount(&mut self, name: &str) -> Option<Decimal> {
        if !self.require(name) {
            return None;
        }
        self.opt_amount(name)
    }

    pub fn opt_amount(&mut self, name: &str) -> Option<Decimal> {
        let v = self.raw(name)?;
        match decimal_from_php(v) {
            Some(d) if d > Decimal::ZERO => Some(d),
            Some(_) => {
                self.errors
                    .add(name, format!("The {} must be greater than 0.", human(name)));
                None
            }
            None => {
                self.errors
                    .add(name, format!("The {} must be a number.", human(name)));
                None
            }
        }
    }

    /// A required whole amount (the withdrawal table says `int`).
    pub fn integer_amount(&mut self, name: &str) -> Option<Decimal> {
        let d = self.amount(name)?;
        if d.fract().is_zero()
            && !matches!(self.raw(name), Some(PhpValue::Number(n)) if n.as_str().contains(['.', 'e', 'E']))
        {
            Some(d)
        } else {
            self.errors
                .add(name, format!("The {} must be an integer.", human(name)));
            None
        }
    }

    /// A required boolean (`true`/`false`, or Laravel's accepted `0`/`1`).
    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        if !self.require(name) {
            return None;
        }
        match self.raw(name)? {
            PhpValue::Bool(b) => Some(*b),
            PhpValue::Number(n) if n.as_str() == "1" => Some(true),
            PhpValue::Number(n) if n.as_str() == "0" => Some(false),
            PhpValue::String(s) if s == "1" || s == "true" => Some(true),
            PhpValue::String(s) if s == "0" || s == "false" => Some(false),
            _ => {
                self.errors.add(
                    name,
                    format!("The {} field must be true or false.", human(name)),
                );
                None
            }
        }
    }

    /// A required http(s) URL.
    pub fn url(&mut self, name: &str) -> Option<String> {
        let text = self.string(name, Len::Max(2048))?;
        match url::Url::parse(&text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(text),
            _ => {
                self.errors
                    .add(name, format!("The {} must be a valid URL.", human(name)));
                None
            }
        }
    }

    /// A required array of strings (query `key[]=..` or a JSON list).
    pub fn string_list(&mut self, name: &str) -> Option<Vec<String>> {
        let v = self.raw(name)?;
        match v {
            PhpValue::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        PhpValue::String(s) => out.push(s.trim().to_string()),
                        PhpValue::Number(n) => out.push(n.as_str().to_string()),
                        _ => {
                            self.errors.add(
                                name,
                                format!("The {} must be an array of strings.", human(name)),
                            );
                            return None;
                        }
                    }
                }
                Some(out)
            }
            PhpValue::String(s) => Some(vec![s.trim().to_string()]),
            _ => {
                self.errors
                    .add(name, format!("The {} must be an array.", human(name)));
                None
            }
        }
    }

    /// Ends validation: the collected errors, if any.
    pub fn finish(self) -> Result<(), FieldErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paykassma::php;

    #[test]
    fn php_array_query_becomes_a_list() {
        let q = query_to_php(
            "type=deposit&plugin_custom_order_id%5B%5D=a&plugin_custom_order_id[]=b&x[0]=c",
        );
        assert_eq!(q.get("type"), Some(&PhpValue::string("deposit")));
        assert_eq!(
            q.get("plugin_custom_order_id"),
            Some(&PhpValue::List(vec![
                PhpValue::string("a"),
                PhpValue::string("b")
            ]))
        );
        assert_eq!(
            q.get("x"),
            Some(&PhpValue::List(vec![PhpValue::string("c")]))
        );
    }

    #[test]
    fn rules_produce_laravel_messages() {
        let body = php::parse(
            br#"{"label":"  ","currency":"INRR","amount":"1.5","comment":"abc","ok":" x "}"#,
        )
        .unwrap();
        let mut input = Input::new(&body);
        assert_eq!(input.string("label", Len::Max(190)), None);
        assert_eq!(input.string("currency", Len::Exactly(3)), None);
        assert_eq!(input.integer_amount("amount"), None);
        assert_eq!(input.opt_string("comment", Len::Between(4, 64)), None);
        assert_eq!(input.string("ok", Len::Max(3)), Some("x".to_string()));
        let errors = input.finish().unwrap_err();
        assert_eq!(
            errors.0,
            vec![
                (
                    "label".to_string(),
                    vec!["The label field is required.".to_string()]
                ),
                (
                    "currency".to_string(),
                    vec!["The currency must be 3 characters.".to_string()]
                ),
                (
                    "amount".to_string(),
                    vec!["The amount must be an integer.".to_string()]
                ),
                (
                    "comment".to_string(),
                    vec!["The comment must be between 4 and 64 characters.".to_string()]
                ),
            ]
        );
    }

    #[test]
    fn integer_amount_refuses_decimal_text() {
        let body = php::parse(br#"{"a":1000,"b":1000.0,"c":"1000"}"#).unwrap();
        let mut input = Input::new(&body);
        assert!(input.integer_amount("a").is_some());
        assert!(input.integer_amount("b").is_none());
        assert!(input.integer_amount("c").is_some());
    }
}
