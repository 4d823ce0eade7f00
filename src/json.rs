//! A small, strict JSON (RFC 8259) reader and writer: enough for Clerk's answers, JWT parts, the shared cache and
//! the values handed to JS. It replaces serde_json, which cost most of the wasm (see BENCHMARKS.md). Pure.
//!
//! The reader keeps every value's source text, so raw JSON (claims, error `meta`) passes through untouched. It
//! refuses trailing commas, comments, leading zeros, lone surrogates, control characters in strings and nesting
//! deeper than [`MAX_DEPTH`] (hostile input must not exhaust the stack).

use std::borrow::Cow;

/// The deepest nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// A parsed value and the exact text it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Value<'a> {
    /// What it is.
    pub kind: Kind<'a>,
    /// Its source text.
    pub raw: &'a str,
}

/// The kinds of JSON values. Numbers keep only their text (see [`Value::as_f64`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Kind<'a> {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number (its text is [`Value::raw`]).
    Number,
    /// A string, unescaped.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object's members, in order, duplicates kept.
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

/// Parses one JSON text (surrounding whitespace allowed). `None` for anything that is not exactly one value.
pub fn parse(text: &str) -> Option<Value<'_>> {
    let mut p = Parser { text, bytes: text.as_bytes(), pos: 0 };
    let value = p.value(0)?;
    p.skip_ws();
    (p.pos == p.bytes.len()).then_some(value)
}

impl<'a> Value<'a> {
    /// The first member named `name` of an object.
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        match &self.kind {
            Kind::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The member `name` unless it is absent or `null`.
    pub fn get_non_null(&self, name: &str) -> Option<&Value<'a>> {
        self.get(name).filter(|v| !v.is_null())
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// The string, for a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, for a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            Kind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The number as `f64` (exact for integers up to 2^53; others to within a few ulps).
    pub fn as_f64(&self) -> Option<f64> {
        match self.kind {
            Kind::Number => number_value(self.raw),
            _ => None,
        }
    }

    /// The number as `i64`, when it is integral and within ±2^53.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_f64().filter(|v| v.fract() == 0.0 && v.abs() <= 9_007_199_254_740_992.0).map(|v| v as i64)
    }

    /// The elements, for an array.
    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match &self.kind {
            Kind::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members, for an object.
    pub fn members(&self) -> Option<&[(Cow<'a, str>, Value<'a>)]> {
        match &self.kind {
            Kind::Object(members) => Some(members),
            _ => None,
        }
    }

    /// True for an object in which some name appears twice (two parsers could disagree on its meaning).
    pub fn has_duplicate_names(&self) -> bool {
        let Some(members) = self.members() else { return false };
        members.iter().enumerate().any(|(i, (k, _))| members.iter().skip(i + 1).any(|(other, _)| other == k))
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end) == Some(word.as_bytes())).then(|| self.pos = end)
    }

    fn value(&mut self, depth: usize) -> Option<Value<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_ws();
        let start = self.pos;
        let kind = match self.peek()? {
            b'n' => self.literal("null").map(|_| Kind::Null)?,
            b't' => self.literal("true").map(|_| Kind::Bool(true))?,
            b'f' => self.literal("false").map(|_| Kind::Bool(false))?,
            b'"' => Kind::String(self.string()?),
            b'[' => Kind::Array(self.array(depth)?),
            b'{' => Kind::Object(self.object(depth)?),
            b'-' | b'0'..=b'9' => self.number().map(|_| Kind::Number)?,
            _ => return None,
        };
        Some(Value { kind, raw: self.text.get(start..self.pos)? })
    }

    fn array(&mut self, depth: usize) -> Option<Vec<Value<'a>>> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.eat(b']').is_some() {
            return Some(items);
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            if self.eat(b']').is_some() {
                return Some(items);
            }
            self.eat(b',')?;
        }
    }

    fn object(&mut self, depth: usize) -> Option<Vec<(Cow<'a, str>, Value<'a>)>> {
        self.eat(b'{')?;
        let mut members = Vec::new();
        self.skip_ws();
        if self.eat(b'}').is_some() {
            return Some(members);
        }
        loop {
            self.skip_ws();
            let name = self.string()?;
            self.skip_ws();
            self.eat(b':')?;
            members.push((name, self.value(depth + 1)?));
            self.skip_ws();
            if self.eat(b'}').is_some() {
                return Some(members);
            }
            self.eat(b',')?;
        }
    }

    fn number(&mut self) -> Option<()> {
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            self.require_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.require_digits()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn require_digits(&mut self) -> Option<()> {
        let start = self.pos;
        self.digits();
        (self.pos > start).then_some(())
    }

    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.pos;
        // Fast path: no escapes.
        loop {
            match self.peek()? {
                b'"' => {
                    let s = self.text.get(start..self.pos)?;
                    self.pos += 1;
                    return Some(Cow::Borrowed(s));
                }
                b'\\' => break,
                0..=0x1f => return None,
                _ => self.pos += 1,
            }
        }
        let mut out = String::from(self.text.get(start..self.pos)?);
        loop {
            let run_start = self.pos;
            while !matches!(self.peek()?, b'"' | b'\\' | 0..=0x1f) {
                self.pos += 1;
            }
            out.push_str(self.text.get(run_start..self.pos)?);
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    self.pos += 1;
                    let escaped = self.peek()?;
                    self.pos += 1;
                    match escaped {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let v = u32::from_str_radix(digits, 16).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        Some(v)
    }

    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                self.literal("\\u")?;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return None;
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return None,
            _ => first,
        };
        char::from_u32(code)
    }
}

/// The value of a (syntactically valid) JSON number: 19 significant digits and a decimal exponent.
fn number_value(raw: &str) -> Option<f64> {
    let (negative, rest) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (mantissa_text, exponent_text) = match rest.find(['e', 'E']) {
        Some(i) => (rest.get(..i)?, rest.get(i + 1..)?),
        None => (rest, ""),
    };
    let mut exponent: i32 = if exponent_text.is_empty() {
        0
    } else {
        let (sign, digits) = match exponent_text.as_bytes().first() {
            Some(b'-') => (-1, exponent_text.get(1..)?),
            Some(b'+') => (1, exponent_text.get(1..)?),
            _ => (1, exponent_text),
        };
        sign * digits
            .bytes()
            .try_fold(0i32, |acc, d| Some(acc.saturating_mul(10).saturating_add(i32::from(d - b'0'))))?
    };
    let mut mantissa: u64 = 0;
    let mut significant = 0;
    let mut after_point = false;
    for b in mantissa_text.bytes() {
        match b {
            b'.' => after_point = true,
            b'0'..=b'9' if significant < 19 => {
                if mantissa != 0 || b != b'0' {
                    significant += 1;
                }
                mantissa = mantissa * 10 + u64::from(b - b'0');
                if after_point {
                    exponent -= 1;
                }
            }
            b'0'..=b'9' if !after_point => exponent += 1,
            b'0'..=b'9' => {}
            _ => return None,
        }
    }
    let magnitude = if exponent >= 0 {
        mantissa as f64 * 10f64.powi(exponent.min(400))
    } else {
        mantissa as f64 / 10f64.powi((-exponent).min(400))
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Appends `s` as a JSON string literal. Only `"`, `\\` and control characters are escaped; everything else,
/// multi-byte UTF-8 included (its bytes are all ≥ 0x80), is copied as is.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut run_start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(run_start..i).unwrap_or(""));
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(crate::encoding::hex_digit(b >> 4));
            out.push(crate::encoding::hex_digit(b & 15));
        } else {
            out.push_str(escape);
        }
        run_start = i + 1;
    }
    out.push_str(s.get(run_start..).unwrap_or(""));
    out.push('"');
}

/// Appends an integer.
pub fn write_i64(out: &mut String, v: i64) {
    let mut digits = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    if v < 0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(digits.get(i..).unwrap_or_default()).unwrap_or("0"));
}

/// Appends a finite number: integers as such, others with up to nine decimals.
pub fn write_f64(out: &mut String, v: f64) {
    if v.fract() == 0.0 && v.abs() < 9e15 {
        return write_i64(out, v as i64);
    }
    if !v.is_finite() {
        return out.push_str("null");
    }
    let scaled = (v.abs() * 1e9).round();
    if scaled >= 9e18 {
        // Too large for nine decimals: an integer is as exact as the input allows.
        return write_i64(out, v.round() as i64);
    }
    let scaled = scaled as u64;
    if v < 0.0 {
        out.push('-');
    }
    write_i64(out, (scaled / 1_000_000_000) as i64);
    let mut frac = scaled % 1_000_000_000;
    if frac != 0 {
        out.push('.');
        let mut width = 9;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        let mut text = String::new();
        write_i64(&mut text, frac as i64);
        for _ in text.len()..width {
            out.push('0');
        }
        out.push_str(&text);
    }
}

/// A value with a JSON form (the camelCase shape handed to JS).
pub trait ToJson {
    /// Appends the JSON text.
    fn write_json(&self, out: &mut String);

    /// The JSON text.
    fn to_json(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write_json(&mut out);
        out
    }
}

/// Builds a JSON object member by member.
pub struct ObjectWriter<'w> {
    out: &'w mut String,
    first: bool,
}

impl<'w> ObjectWriter<'w> {
    /// Starts an object.
    pub fn new(out: &'w mut String) -> Self {
        out.push('{');
        ObjectWriter { out, first: true }
    }

    fn key(&mut self, name: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(self.out, name);
        self.out.push(':');
        self.out
    }

    /// `"name": "value"`.
    pub fn str(&mut self, name: &str, value: &str) -> &mut Self {
        write_str(self.key(name), value);
        self
    }

    /// `"name": "value"` or `null`.
    pub fn opt_str(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.str(name, v),
            None => self.raw(name, "null"),
        }
    }

    /// `"name": <json>` with `json` already JSON text.
    pub fn raw(&mut self, name: &str, json: &str) -> &mut Self {
        self.key(name).push_str(json);
        self
    }

    /// `"name": 123`.
    pub fn int(&mut self, name: &str, value: i64) -> &mut Self {
        write_i64(self.key(name), value);
        self
    }

    /// `"name": 123` or `null`.
    pub fn opt_int(&mut self, name: &str, value: Option<i64>) -> &mut Self {
        match value {
            Some(v) => self.int(name, v),
            None => self.raw(name, "null"),
        }
    }

    /// `"name": 1.5`.
    pub fn number(&mut self, name: &str, value: f64) -> &mut Self {
        write_f64(self.key(name), value);
        self
    }

    /// `"name": true`.
    pub fn bool(&mut self, name: &str, value: bool) -> &mut Self {
        self.raw(name, if value { "true" } else { "false" })
    }

    /// `"name": ["a", "b"]`.
    pub fn str_array(&mut self, name: &str, values: &[String]) -> &mut Self {
        let out = self.key(name);
        out.push('[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(out, v);
        }
        out.push(']');
        self
    }

    /// Closes the object.
    pub fn finish(&mut self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_and_keeps_raw_text() {
        let v = parse(r#" {"a": [1, -2.5e3, true, null], "b": {"c": "d\"\u00e9\ud83d\ude00"}, "e": 0} "#).unwrap();
        assert_eq!(v.get("a").unwrap().raw, "[1, -2.5e3, true, null]");
        let a = v.get("a").unwrap().as_array().unwrap();
        assert_eq!(
            (a[0].as_i64(), a[1].as_f64(), a[2].as_bool(), a[3].is_null()),
            (Some(1), Some(-2500.0), Some(true), true)
        );
        assert_eq!(v.get("b").unwrap().get("c").unwrap().as_str(), Some("d\"é😀"));
        assert_eq!(v.get("b").unwrap().raw, r#"{"c": "d\"\u00e9\ud83d\ude00"}"#);
        assert_eq!(v.get("e").unwrap().as_i64(), Some(0));
        assert!(v.get("zz").is_none() && v.get_non_null("a").is_some());
    }

    #[test]
    fn refuses_what_is_not_json() {
        for bad in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "nul",
            "tru",
            "\"a",
            "'a'",
            "{a:1}",
            "[1] 2",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\u{1}\"",
            "NaN",
            "Infinity",
            "//c\n1",
            "{\"a\" 1}",
            "[1 2]",
            "\"\\u12g4\"",
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_some());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 2), "]".repeat(MAX_DEPTH + 2));
        assert!(parse(&deep).is_none());
        assert!(parse(&"[".repeat(1_000_000)).is_none(), "a megabyte of brackets does not overflow the stack");
    }

    #[test]
    fn numbers() {
        let n = |s: &str| parse(s).unwrap().as_f64().unwrap();
        assert_eq!(n("1716883200000"), 1_716_883_200_000.0);
        assert_eq!(n("9007199254740993"), 9_007_199_254_740_992.0);
        assert_eq!(n("1.5"), 1.5);
        assert_eq!(n("-0.25"), -0.25);
        assert_eq!(n("1E3"), 1000.0);
        assert_eq!(n("12e-1"), 1.2);
        assert!((n("123456789012345678901234") / 1.2345678901234568e23 - 1.0).abs() < 1e-15, "within a few ulps");
        assert_eq!(n("1e999"), f64::INFINITY);
        assert_eq!(parse("1.5").unwrap().as_i64(), None);
        assert_eq!(parse("2.0").unwrap().as_i64(), Some(2));
        assert_eq!(parse("1e20").unwrap().as_i64(), None);
    }

    #[test]
    fn duplicate_names_are_visible() {
        assert!(parse(r#"{"a":1,"b":2,"a":3}"#).unwrap().has_duplicate_names());
        assert!(!parse(r#"{"a":1,"b":{"a":2}}"#).unwrap().has_duplicate_names());
    }

    #[test]
    fn writes_escaped_strings_and_numbers() {
        let mut out = String::new();
        write_str(&mut out, "a\"b\\c\nd\u{1}é😀</");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é😀</""#);
        assert_eq!(parse(&out).unwrap().as_str(), Some("a\"b\\c\nd\u{1}é😀</"));
        let num = |v: f64| {
            let mut s = String::new();
            write_f64(&mut s, v);
            s
        };
        assert_eq!(
            (num(3600.0), num(30.5), num(-0.25), num(0.1), num(1e-12)),
            ("3600".into(), "30.5".into(), "-0.25".into(), "0.1".into(), "0".into())
        );
        assert_eq!((num(i64::MAX as f64), num(f64::NAN)), ("9223372036854775807".into(), "null".into()));
        let int = |v: i64| {
            let mut s = String::new();
            write_i64(&mut s, v);
            s
        };
        assert_eq!((int(0), int(-7), int(i64::MIN)), ("0".into(), "-7".into(), "-9223372036854775808".into()));
    }

    #[test]
    fn object_writer_builds_valid_json() {
        let mut out = String::new();
        ObjectWriter::new(&mut out)
            .str("a", "x")
            .opt_str("b", None)
            .int("c", 5)
            .opt_int("d", Some(-1))
            .bool("e", true)
            .raw("f", "{\"g\":[1]}")
            .str_array("h", &["m".into(), "n\"".into()])
            .number("i", 2.5)
            .finish();
        assert_eq!(out, r#"{"a":"x","b":null,"c":5,"d":-1,"e":true,"f":{"g":[1]},"h":["m","n\""],"i":2.5}"#);
        assert!(parse(&out).is_some());
    }
}
