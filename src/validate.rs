//! Shape checks for identifiers and keys (`mch_…`, `mt_…`, header-safe keys).
//! Pure predicates; must not build errors or requests.

/// `mch_` followed by exactly 27 word characters (`[A-Za-z0-9_]`).
pub fn is_machine_id(s: &str) -> bool {
    s.strip_prefix("mch_").is_some_and(|rest| rest.len() == 27 && rest.bytes().all(is_word_byte))
}

/// `mt_` followed by exactly 32 hexadecimal digits: the id of a token (not the token itself).
pub fn is_token_id(s: &str) -> bool {
    s.strip_prefix("mt_").is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A key that can travel in an HTTP header unchanged: 1–4096 visible ASCII characters, no spaces.
pub fn is_header_safe(s: &str) -> bool {
    !s.is_empty() && s.len() <= 4096 && s.bytes().all(|b| b.is_ascii_graphic())
}

/// `[A-Za-z0-9_]`.
pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_ids() {
        assert!(is_machine_id("mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk"));
        for bad in [
            "",
            "mch_",
            "mch_2xhFjEI5X2qWRvtV13BzSj8H6D",
            "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dkk",
            "mch_2xhFjEI5X2qWRvtV13BzSj8H6D-",
            "MCH_2xhFjEI5X2qWRvtV13BzSj8H6Dk",
            "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dé",
        ] {
            assert!(!is_machine_id(bad), "{bad}");
        }
    }

    #[test]
    fn token_ids() {
        assert!(is_token_id("mt_f7f0ba8c3b4843ce7d85fcdd5e71853e"));
        assert!(is_token_id("mt_F7F0BA8C3B4843CE7D85FCDD5E71853E"));
        for bad in [
            "mt_f7f0ba8c3b4843ce7d85fcdd5e71853",
            "mt_f7f0ba8c3b4843ce7d85fcdd5e71853g",
            "mt_../../m2m_tokens/verify00000000",
            "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e/",
            "",
        ] {
            assert!(!is_token_id(bad), "{bad}");
        }
    }

    #[test]
    fn header_safe_keys() {
        assert!(is_header_safe("sk_test_abc"));
        for bad in ["", "a b", "a\nb", "a\rb", "ключ", "a\tb"] {
            assert!(!is_header_safe(bad), "{bad:?}");
        }
        assert!(!is_header_safe(&"a".repeat(4097)));
    }
}
