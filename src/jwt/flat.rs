//! A reader for the claims almost every token carries: one flat JSON object
//! of plain strings and whole numbers.
//!
//! It reads only what it can decide exactly as serde_json would, and gives up
//! (`None`) on everything else: escapes and control bytes in strings,
//! decimals, exponents and long numbers, nested values, a known claim given
//! twice, text after the object. The caller then hands the payload to
//! serde_json, which decides. So this reader can make verification faster,
//! never different; a test holds the two to the same answers.

use std::borrow::Cow;

use super::WireClaims;

/// The claims of `payload`, or `None` when serde_json must read it.
pub(super) fn read(payload: &[u8]) -> Option<WireClaims<'_>> {
    let mut reader = Reader { bytes: payload, at: 0 };
    let mut claims = WireClaims::default();
    let mut seen = 0u8;

    reader.skip_space();
    reader.eat(b'{')?;
    reader.skip_space();
    if reader.peek() == Some(b'}') {
        reader.at += 1;
    } else {
        loop {
            let key = reader.string()?;
            reader.skip_space();
            reader.eat(b':')?;
            reader.skip_space();
            let value = reader.value()?;
            let bit = claims.set(key, value)?;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            reader.skip_space();
            match reader.next()? {
                b',' => reader.skip_space(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    reader.skip_space();
    (reader.at == payload.len()).then_some(claims)
}

/// A scalar JSON value.
#[derive(Clone, Copy)]
enum Value<'a> {
    /// Printable ASCII.
    Text(&'a [u8]),
    Number(f64),
    Null,
    /// `true` or `false`: never a value of a claim we read.
    Bool,
}

/// Where a claim goes.
enum Slot<'s, 'a> {
    Text(&'s mut Option<Cow<'a, str>>),
    Number(&'s mut Option<f64>),
}

impl<'a> WireClaims<'a> {
    /// Store `value` under `key`. `Some(bit)` names the claim (`0` for a key
    /// we do not read); `None` when the value has the wrong type, for
    /// serde_json to refuse.
    fn set(&mut self, key: &[u8], value: Value<'a>) -> Option<u8> {
        let (bit, slot) = match key {
            b"sub" => (1, Slot::Text(&mut self.sub)),
            b"appid" => (2, Slot::Text(&mut self.appid)),
            b"idp" => (4, Slot::Text(&mut self.idp)),
            b"iat" => (8, Slot::Number(&mut self.iat)),
            b"nbf" => (16, Slot::Number(&mut self.nbf)),
            b"exp" => (32, Slot::Number(&mut self.exp)),
            b"refresh" => (64, Slot::Number(&mut self.refresh)),
            _ => return Some(0),
        };
        // Para's own claims of another type are ignored, as Para reads them.
        let lenient = matches!(key, b"idp" | b"refresh");
        match (slot, value) {
            // Printable ASCII (see `Reader::string`): always UTF-8.
            (Slot::Text(slot), Value::Text(text)) => {
                *slot = Some(Cow::Borrowed(std::str::from_utf8(text).ok()?));
            }
            (Slot::Number(slot), Value::Number(number)) => *slot = Some(number),
            (Slot::Text(slot), Value::Null) => *slot = None,
            (Slot::Number(slot), Value::Null) => *slot = None,
            (Slot::Text(slot), _) if lenient => *slot = None,
            (Slot::Number(slot), _) if lenient => *slot = None,
            _ => return None,
        }
        Some(bit)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// Digits beyond which a number goes to serde_json: 15 fit an `f64` exactly.
const MAX_DIGITS: usize = 15;

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn eat(&mut self, expected: u8) -> Option<()> {
        (self.next()? == expected).then_some(())
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    /// A string of printable ASCII without escapes, after its opening quote.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let rest = &self.bytes[self.at..];
        let end =
            rest.iter().position(|&b| !matches!(b, b' '..=b'~') || b == b'"' || b == b'\\')?;
        if rest[end] != b'"' {
            return None;
        }
        self.at += end + 1;
        Some(&rest[..end])
    }

    fn value(&mut self) -> Option<Value<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Value::Text),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => {
                let rest = &self.bytes[self.at..];
                let (value, len) = if rest.starts_with(b"null") {
                    (Value::Null, 4)
                } else if rest.starts_with(b"true") {
                    (Value::Bool, 4)
                } else if rest.starts_with(b"false") {
                    (Value::Bool, 5)
                } else {
                    return None;
                };
                self.at += len;
                Some(value)
            }
        }
    }

    /// A whole number as JSON writes it (`-?(0|[1-9][0-9]*)`), short enough
    /// to be exact; anything more goes to serde_json.
    fn number(&mut self) -> Option<f64> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let rest = &self.bytes[self.at..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let leading_zero = digits > 1 && rest[0] == b'0';
        if digits == 0 || digits > MAX_DIGITS || leading_zero {
            return None;
        }
        if matches!(rest.get(digits), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let value = rest[..digits].iter().fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
        self.at += digits;
        // Exact: under 10^15, well within an f64's 53 bits.
        let value = value as f64;
        Some(if negative { -value } else { value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::Claims;

    /// What a reader made of a payload: whether it has `appid`, and the claims.
    type Outcome = Option<(bool, Claims)>;

    fn outcome(claims: Option<WireClaims<'_>>) -> Outcome {
        claims.map(|claims| (claims.appid.is_some(), claims.to_claims()))
    }

    fn by_serde(payload: &[u8]) -> Outcome {
        outcome(crate::jwt::jws::from_object(payload))
    }

    fn by_flat(payload: &[u8]) -> Outcome {
        outcome(read(payload))
    }

    #[test]
    fn reads_para_claims_as_serde_json_does() {
        let payloads: [&[u8]; 6] = [
            concat!(
                r#"{"sub":"1234567890","nbf":1704164645,"refresh":1704168245000,"#,
                r#""appid":"app:myapp","idp":"generic","exp":1704251045,"iat":1704164645}"#
            )
            .as_bytes(),
            br#"{"appid":"app:x","exp":1}"#,
            br#" { "appid" : "app:x" , "exp" : -12 , "other" : true , "n" : null } "#,
            br#"{"appid":null,"sub":null,"exp":null,"x":"y","x":false}"#,
            br#"{}"#,
            b"{\"appid\":\"app:x\",\n\t\"exp\":0}\r\n",
        ];
        for payload in payloads {
            let flat = by_flat(payload);
            assert!(flat.is_some(), "{}", String::from_utf8_lossy(payload));
            assert_eq!(flat, by_serde(payload), "{}", String::from_utf8_lossy(payload));
        }
    }

    #[test]
    fn leaves_the_rest_to_serde_json() {
        let payloads: [&[u8]; 20] = [
            br#"{"appid":"app:\u0078","exp":1}"#,
            br#"{"app\u0069d":"app:x"}"#,
            br#"{"appid":"app:x","exp":1.5}"#,
            br#"{"appid":"app:x","exp":1e3}"#,
            br#"{"appid":"app:x","exp":1234567890123456}"#,
            br#"{"appid":"app:x","exp":01}"#,
            br#"{"appid":"app:x","exp":-}"#,
            br#"{"appid":"app:x","exp":"1"}"#,
            br#"{"appid":1}"#,
            br#"{"appid":"app:x","appid":"app:y"}"#,
            br#"{"appid":"app:x","nested":{"a":1}}"#,
            br#"{"appid":"app:x","list":[1]}"#,
            br#"{"appid":"app:x"} x"#,
            br#"{"appid":"app:x",}"#,
            br#"{"appid":"app:x""exp":1}"#,
            "{\"appid\":\"app:é\"}".as_bytes(),
            b"{\"appid\":\"app:\tx\"}",
            br#"["appid"]"#,
            br#"{"appid":"app:x","exp":nul}"#,
            br#"{"appid":"app:x""#,
        ];
        for payload in payloads {
            assert_eq!(by_flat(payload), None, "{}", String::from_utf8_lossy(payload));
        }
    }

    /// Pieces of JSON that are not claim names or plain values: structure,
    /// escapes, bytes to refuse, numbers to leave to serde_json, broken words.
    const OTHER_PIECES: [&str; 21] = [
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "\n",
        "\"",
        "\\",
        "\\u0041",
        "é",
        "\u{1}",
        "nul",
        "-",
        "9999999999999999",
        ".5",
        "e3",
        "01",
        "\"",
        "x",
    ];

    /// Claim names, and one we do not read.
    const KEYS: [&str; 8] = [
        "\"sub\"",
        "\"appid\"",
        "\"idp\"",
        "\"iat\"",
        "\"nbf\"",
        "\"exp\"",
        "\"refresh\"",
        "\"other\"",
    ];
    /// Values the reader decides by itself.
    const PLAIN: [&str; 12] = [
        "\"app:x\"",
        "\"u\"",
        "null",
        "true",
        "false",
        "0",
        "1",
        "12",
        "1704164645",
        "1704168245000",
        "-0",
        "-12",
    ];

    const PIECES: usize = KEYS.len() + PLAIN.len() + OTHER_PIECES.len();

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// Whatever the flat reader decides, serde_json decides the same.
        #[test]
        fn agrees_with_serde_json(picks in proptest::collection::vec(0..PIECES, 0..24)) {
            let pieces: Vec<&str> =
                KEYS.iter().chain(&PLAIN).chain(&OTHER_PIECES).copied().collect();
            let text: String = picks.iter().map(|&i| pieces[i]).collect();
            let flat = by_flat(text.as_bytes());
            if flat.is_some() {
                proptest::prop_assert_eq!(flat, by_serde(text.as_bytes()), "{}", text);
            }
        }

        /// Objects of claims with plain values: here the reader must decide
        /// every one, accepting exactly what serde_json accepts.
        #[test]
        fn decides_plain_objects_alone(
            fields in proptest::collection::vec((0..KEYS.len(), 0..PLAIN.len()), 0..9),
            spaced in proptest::bool::ANY,
        ) {
            let gap = if spaced { " " } else { "" };
            let body: Vec<String> = fields
                .iter()
                .map(|&(key, value)| format!("{}{gap}:{gap}{}", KEYS[key], PLAIN[value]))
                .collect();
            let text = format!("{{{gap}{}{gap}}}", body.join(","));
            // serde_json refuses a claim given twice or of the wrong type: so
            // does the reader (leaving the error to serde_json), and it
            // accepts all the rest.
            let (flat, serde) = (by_flat(text.as_bytes()), by_serde(text.as_bytes()));
            proptest::prop_assert_eq!(flat, serde, "{}", text);
        }
    }
}
