//! Permission tokens and sets of them.

use super::PermissionError;

/// One permission token, after aliases are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Token {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `*`: any method, `HEAD` and `OPTIONS` included.
    Any,
    /// `?`: public, for guests (kept only under the `*` subject).
    Guest,
    /// `OWN`: only the caller's own objects.
    Own,
    /// `-`: nothing.
    None,
}

const TOKENS: [(Token, &str, u16); 9] = [
    (Token::Get, "GET", 1),
    (Token::Post, "POST", 1 << 1),
    (Token::Put, "PUT", 1 << 2),
    (Token::Patch, "PATCH", 1 << 3),
    (Token::Delete, "DELETE", 1 << 4),
    (Token::Any, "*", 1 << 5),
    (Token::Guest, "?", 1 << 6),
    (Token::Own, "OWN", 1 << 7),
    (Token::None, "-", 1 << 8),
];

const WRITES: u16 = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4);
const GUEST_BIT: u16 = 1 << 6;
const ANY_BIT: u16 = 1 << 5;
const OWN_BIT: u16 = 1 << 7;

impl Token {
    fn bit(self) -> u16 {
        TOKENS.iter().find(|(t, _, _)| *t == self).map_or(0, |(_, _, b)| *b)
    }

    /// The canonical name, as stored.
    pub fn name(self) -> &'static str {
        TOKENS.iter().find(|(t, _, _)| *t == self).map_or("-", |(_, n, _)| n)
    }
}

/// A set of permission tokens, as one entry of the map holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MethodSet(u16);

impl MethodSet {
    /// Read tokens and aliases: `READ_ONLY` is `GET`; `w` and `WRITE_ONLY`
    /// are `POST PUT PATCH DELETE`; `READ_WRITE` is `*`; `GUEST` is `?`;
    /// `EMPTY` is `-`. Methods and aliases are read in any case.
    ///
    /// # Errors
    /// [`PermissionError::UnknownToken`] naming the first unknown token.
    pub fn parse<'t>(tokens: impl IntoIterator<Item = &'t str>) -> Result<Self, PermissionError> {
        let mut bits = 0;
        for token in tokens {
            bits |=
                bits_of(token).ok_or_else(|| PermissionError::UnknownToken(token.to_owned()))?;
        }
        Ok(MethodSet(bits))
    }

    /// Whether the set holds `token`.
    pub fn contains(self, token: Token) -> bool {
        self.0 & token.bit() != 0
    }

    /// Whether the set grants `method` (the method itself or `*`). `HEAD`,
    /// `OPTIONS` and other methods are granted by `*` only.
    pub fn allows_method(self, method: &str) -> bool {
        self.0 & (method_bit(method) | ANY_BIT) != 0
    }

    /// Whether the set holds the guest mark `?`.
    pub fn allows_guests(self) -> bool {
        self.0 & GUEST_BIT != 0
    }

    /// Whether the set restricts to the caller's own objects (`OWN`).
    pub fn own_only(self) -> bool {
        self.0 & OWN_BIT != 0
    }

    /// Both sets together.
    pub fn union(self, other: MethodSet) -> MethodSet {
        MethodSet(self.0 | other.0)
    }

    pub(crate) fn without_guest(self) -> MethodSet {
        MethodSet(self.0 & !GUEST_BIT)
    }

    pub(crate) fn bits_for_method(method: &str) -> u16 {
        method_bit(method)
    }

    pub(crate) fn has_bits(self, bits: u16) -> bool {
        self.0 & bits != 0
    }

    /// The tokens, by canonical name, in a stable order.
    pub fn names(self) -> Vec<&'static str> {
        TOKENS.iter().filter(|(_, _, b)| self.0 & b != 0).map(|(_, n, _)| *n).collect()
    }
}

/// The bit of an HTTP method (0 for methods no token names, such as `HEAD`).
fn method_bit(method: &str) -> u16 {
    match method {
        "GET" => 1,
        "POST" => 1 << 1,
        "PUT" => 1 << 2,
        "PATCH" => 1 << 3,
        "DELETE" => 1 << 4,
        _ => 0,
    }
}

fn bits_of(token: &str) -> Option<u16> {
    let alias = |name: &str| token.eq_ignore_ascii_case(name);
    if let Some((_, _, bit)) = TOKENS.iter().find(|(_, name, _)| alias(name)) {
        return Some(*bit);
    }
    let bits = if alias("READ_ONLY") {
        1
    } else if alias("w") || alias("WRITE_ONLY") {
        WRITES
    } else if alias("READ_WRITE") {
        ANY_BIT
    } else if alias("GUEST") {
        GUEST_BIT
    } else if alias("EMPTY") {
        1 << 8
    } else {
        return None;
    };
    Some(bits)
}
