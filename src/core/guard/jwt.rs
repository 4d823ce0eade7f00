//! JWT-format M2M tokens: decoding (RFC 7515 compact form) and the rules a token must pass around its signature
//! check. Pure: the signature itself is checked by the edge's WebCrypto.

use crate::core::encoding::base64url_decode;
use crate::core::json::Json;
use crate::core::model::{M2MToken, MAX_SAFE_INTEGER};
use crate::core::reason::Reason;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// The `cat` header of Clerk's M2M JWTs. Older tokens carry none.
pub const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";

/// The structural claims Clerk adds to every M2M JWT: mapped onto the token object's own fields and left out of
/// `claims` (as `M2MToken.fromJwtPayload` of `@clerk/backend` does). `aud` and `scopes` stay in `claims`.
pub const STRUCTURAL_CLAIMS: [&str; 6] = ["iss", "sub", "exp", "nbf", "iat", "jti"];

/// The signature algorithms accepted: RSASSA-PKCS1-v1_5 with SHA-2. Never `none`, never HMAC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alg {
    /// RS256
    Rs256,
    /// RS384
    Rs384,
    /// RS512
    Rs512,
}

impl Alg {
    /// `RS256` → [`Alg::Rs256`]; anything else (`none`, `HS256`, `ES256`, `rs256`) → `None`.
    pub fn parse(s: &str) -> Option<Alg> {
        match s {
            "RS256" => Some(Alg::Rs256),
            "RS384" => Some(Alg::Rs384),
            "RS512" => Some(Alg::Rs512),
            _ => None,
        }
    }

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Rs384 => "RS384",
            Alg::Rs512 => "RS512",
        }
    }

    /// The WebCrypto hash name.
    pub fn hash(self) -> &'static str {
        match self {
            Alg::Rs256 => "SHA-256",
            Alg::Rs384 => "SHA-384",
            Alg::Rs512 => "SHA-512",
        }
    }
}

/// The JOSE header fields the rules look at.
#[derive(Debug, PartialEq, Deserialize)]
pub struct Header {
    /// Algorithm.
    pub alg: String,
    /// Type; absent or `JWT`.
    #[serde(default)]
    pub typ: Option<String>,
    /// Key id (`ins_…`).
    #[serde(default)]
    pub kid: Option<String>,
    /// Clerk's token category.
    #[serde(default)]
    pub cat: Option<String>,
    /// Critical extensions are present: none are understood, so the token is invalid.
    #[serde(default, deserialize_with = "present")]
    pub crit: bool,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

/// A numeric date claim: absent, a number (seconds), or something else.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NumericDate {
    /// Not in the token.
    Absent,
    /// Seconds since the epoch.
    Seconds(f64),
    /// Present but not a finite number.
    Invalid,
}

/// Whether `seconds` is an instant the token object can carry: finite, and within ±(2^53 − 1) once in
/// milliseconds (about ±285,000 years) — beyond that no JS number holds it exactly.
fn is_timestamp(seconds: f64) -> bool {
    (seconds * 1000.0).abs() <= MAX_SAFE_INTEGER as f64
}

/// The claims of a JWT.
#[derive(Debug)]
pub struct Payload {
    /// `sub` (empty when absent or not a string).
    pub sub: String,
    /// `jti`.
    pub jti: Option<String>,
    /// `exp`.
    pub exp: NumericDate,
    /// `nbf`.
    pub nbf: NumericDate,
    /// `iat`.
    pub iat: NumericDate,
    /// Machines from `scopes` (space-separated) or else `aud`.
    pub scopes: Vec<String>,
    /// Every claim but the structural ones ([`STRUCTURAL_CLAIMS`]); `None` when nothing is left.
    pub claims: Option<Map<String, Value>>,
}

impl Payload {
    fn from_members(mut members: Map<String, Value>) -> Payload {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let date = |v: Option<&Value>| match v {
            None => NumericDate::Absent,
            Some(value) => {
                value.as_f64().filter(|s| is_timestamp(*s)).map_or(NumericDate::Invalid, NumericDate::Seconds)
            }
        };
        let scopes = match members.get("scopes").and_then(Value::as_str) {
            Some(s) => s.split_ascii_whitespace().map(str::to_owned).collect(),
            None => members.get("aud").map(audience).unwrap_or_default(),
        };
        let payload = Payload {
            sub: text(members.get("sub")).unwrap_or_default(),
            jti: text(members.get("jti")),
            exp: date(members.get("exp")),
            nbf: date(members.get("nbf")),
            iat: date(members.get("iat")),
            scopes,
            claims: None,
        };
        members.retain(|name, _| !STRUCTURAL_CLAIMS.contains(&name.as_str()));
        Payload { claims: (!members.is_empty()).then_some(members), ..payload }
    }
}

/// `aud` as a list: a string, or the strings of an array.
fn audience(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// A decoded (not yet verified) JWT.
#[derive(Debug)]
pub struct DecodedJwt {
    /// JOSE header.
    pub header: Header,
    /// Claims.
    pub payload: Payload,
    /// `base64url(header) "." base64url(payload)`: the bytes that were signed.
    pub signing_input: String,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

fn object<J: Json>(part: &str) -> Option<Map<String, Value>> {
    J::parse_object(&String::from_utf8(base64url_decode(part)?).ok()?)
}

/// Splits and decodes a compact JWS. Anything that is not three base64url parts holding a JSON object header
/// (with a string `alg`) and a JSON object payload is [`Reason::TokenMalformed`]. A member name given twice reads
/// as its last occurrence, as `JSON.parse` (and so `@clerk/backend` and jose) reads it: the header only picks an
/// allowed algorithm and a key, and the payload is only believed once Clerk's signature over these very bytes
/// verified (SECURITY.md).
pub fn decode<J: Json>(token: &str) -> Result<DecodedJwt, Reason> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Reason::TokenMalformed);
    };
    let header = object::<J>(h)
        .and_then(|members| Header::deserialize(Value::Object(members)).ok())
        .ok_or(Reason::TokenMalformed)?;
    let payload = object::<J>(p).map(Payload::from_members).ok_or(Reason::TokenMalformed)?;
    let signature = base64url_decode(s).ok_or(Reason::TokenMalformed)?;
    Ok(DecodedJwt { header, payload, signing_input: [h, ".", p].concat(), signature })
}

/// Checks the header: algorithm RS256/384/512, `typ` absent or `JWT`, `cat` absent or Clerk's M2M category,
/// no `crit`. Returns the algorithm.
pub fn check_header(header: &Header) -> Result<Alg, Reason> {
    let alg = Alg::parse(&header.alg).ok_or(Reason::TokenInvalid)?;
    let typ_ok = header.typ.as_deref().is_none_or(|t| t.eq_ignore_ascii_case("JWT"));
    let cat_ok = header.cat.as_deref().is_none_or(|c| c == M2M_CATEGORY);
    if !typ_ok || !cat_ok || header.crit {
        return Err(Reason::TokenInvalid);
    }
    Ok(alg)
}

/// Checks the claims of a token whose signature was verified, against `now_ms` with `skew_ms` of tolerance:
/// `sub` is a machine, `exp` is required and in the future; `nbf` and `iat`, when present, are not in the future.
pub fn check_claims(payload: &Payload, now_ms: f64, skew_ms: f64) -> Result<(), Reason> {
    if !payload.sub.starts_with("mch_") {
        return Err(Reason::TokenTypeMismatch);
    }
    match payload.exp {
        NumericDate::Seconds(exp) if exp * 1000.0 + skew_ms <= now_ms => return Err(Reason::TokenExpired),
        NumericDate::Seconds(_) => {}
        NumericDate::Absent | NumericDate::Invalid => return Err(Reason::TokenInvalid),
    }
    for claim in [payload.nbf, payload.iat] {
        match claim {
            NumericDate::Seconds(t) if t * 1000.0 - skew_ms > now_ms => return Err(Reason::TokenInvalid),
            NumericDate::Invalid => return Err(Reason::TokenInvalid),
            _ => {}
        }
    }
    Ok(())
}

/// The token object of a verified M2M JWT: `id = jti`, `subject = sub`, `scopes`, `claims` = every claim but
/// the structural ones (or null), `expiration = exp`, `createdAt = updatedAt = iat`, never revoked.
pub fn to_token(payload: &Payload) -> M2MToken {
    let ms = |d: NumericDate| match d {
        NumericDate::Seconds(s) => Some((s * 1000.0) as i64),
        _ => None,
    };
    M2MToken {
        object: "machine_to_machine_token".to_owned(),
        id: payload.jti.clone().unwrap_or_default(),
        subject: payload.sub.clone(),
        scopes: payload.scopes.clone(),
        claims: payload.claims.clone().map(Value::Object),
        revoked: false,
        revocation_reason: None,
        expired: false,
        expiration: ms(payload.exp),
        last_used_at: None,
        created_at: ms(payload.iat),
        updated_at: ms(payload.iat),
        token: None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::core::json::SerdeJson;
    use serde_json::json;

    pub use crate::core::encoding::base64url_encode as b64url;

    /// `header.payload.sig` with a dummy signature: for rules that do not need a real one.
    pub fn unsigned_jwt(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", b64url(header.as_bytes()), b64url(payload.as_bytes()), b64url(b"sig"))
    }

    const MCH: &str = "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk";
    const NOW: f64 = 1_800_000_000_000.0;

    /// A valid M2M claim set, with `overrides` (name, raw JSON value) replacing or adding claims.
    fn claims_json(overrides: &[(&str, &str)]) -> String {
        let mut fields: Vec<(String, String)> = vec![
            ("sub".into(), format!("\"{MCH}\"")),
            ("iat".into(), "1799999990".into()),
            ("exp".into(), "1800000600".into()),
        ];
        for (name, value) in overrides {
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some(field) => field.1 = (*value).to_owned(),
                None => fields.push(((*name).to_owned(), (*value).to_owned())),
            }
        }
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    }

    fn payload(overrides: &[(&str, &str)]) -> Payload {
        decode::<SerdeJson>(&unsigned_jwt(r#"{"alg":"RS256"}"#, &claims_json(overrides))).unwrap().payload
    }

    fn header(text: &str) -> Header {
        decode::<SerdeJson>(&unsigned_jwt(text, r#"{"sub":"mch_x"}"#)).unwrap().header
    }

    #[test]
    fn header_rules() {
        assert_eq!(
            check_header(&header(r#"{"alg":"RS256","typ":"JWT","kid":"ins_1","cat":"cl_B7d4PD333AAA"}"#)),
            Ok(Alg::Rs256)
        );
        assert_eq!(check_header(&header(r#"{"alg":"RS384"}"#)), Ok(Alg::Rs384));
        assert_eq!(check_header(&header(r#"{"alg":"RS512","typ":"jwt"}"#)), Ok(Alg::Rs512));
        for bad in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"ES256"}"#,
            r#"{"alg":"PS256"}"#,
            r#"{"alg":"rs256"}"#,
            r#"{"alg":"RS256","typ":"at+jwt"}"#,
            r#"{"alg":"RS256","cat":"cl_session"}"#,
            r#"{"alg":"RS256","crit":["exp"]}"#,
            r#"{"alg":"RS256","crit":null}"#,
        ] {
            assert_eq!(check_header(&header(bad)), Err(Reason::TokenInvalid), "{bad}");
        }
    }

    #[test]
    fn claim_rules() {
        assert_eq!(check_claims(&payload(&[]), NOW, 5000.0), Ok(()));
        let cases: [(&[(&str, &str)], Reason); 7] = [
            (&[("exp", "1799999990")], Reason::TokenExpired),
            (&[("nbf", "1800000010")], Reason::TokenInvalid),
            (&[("iat", "1800000010")], Reason::TokenInvalid),
            (&[("exp", "\"soon\"")], Reason::TokenInvalid),
            (&[("nbf", "null")], Reason::TokenInvalid),
            (&[("exp", "null")], Reason::TokenInvalid),
            (&[("sub", "\"user_1\"")], Reason::TokenTypeMismatch),
        ];
        for (overrides, reason) in cases {
            assert_eq!(check_claims(&payload(overrides), NOW, 5000.0), Err(reason), "{overrides:?}");
        }
        let no_exp =
            decode::<SerdeJson>(&unsigned_jwt(r#"{"alg":"RS256"}"#, &format!(r#"{{"sub":"{MCH}"}}"#))).unwrap().payload;
        assert_eq!(check_claims(&no_exp, NOW, 5000.0), Err(Reason::TokenInvalid));
        // Skew: 4 s past exp is tolerated with 5 s of skew, 6 s is not.
        let p = payload(&[]);
        assert_eq!(check_claims(&p, 1_800_000_604_000.0, 5000.0), Ok(()));
        assert_eq!(check_claims(&p, 1_800_000_606_000.0, 5000.0), Err(Reason::TokenExpired));
        let nbf_soon = payload(&[("nbf", "1800000003")]);
        assert_eq!(check_claims(&nbf_soon, NOW, 5000.0), Ok(()));
        assert_eq!(check_claims(&nbf_soon, NOW, 0.0), Err(Reason::TokenInvalid));
    }

    /// The numbers of the outside review: none may be read as a harmless value.
    #[test]
    fn numbers_are_read_exactly_or_not_at_all() {
        // Overflowing exponents and magnitudes: serde_json refuses the document, so the token is malformed (the
        // runtime's JSON.parse reads ±Infinity, which is no numeric date: token-invalid, tests/js/review.test.mjs).
        for nbf in ["123456789012345678901234e2147483647", "1e400", "-1e400"] {
            let token = unsigned_jwt(r#"{"alg":"RS256"}"#, &claims_json(&[("nbf", nbf)]));
            assert_eq!(decode::<SerdeJson>(&token).unwrap_err(), Reason::TokenMalformed, "{nbf}");
        }
        // Underflow reads as 0 (not NaN), and an exponent that overflows `i32` does not panic.
        assert_eq!(payload(&[("nbf", "0e500")]).nbf, NumericDate::Seconds(0.0));
        assert_eq!(payload(&[("nbf", "1.5e-2147483647")]).nbf, NumericDate::Seconds(0.0));
        // Correctly rounded decimals.
        assert_eq!(payload(&[("nbf", "1799999999.0")]).nbf, NumericDate::Seconds(1_799_999_999.0));
        assert_eq!(payload(&[("nbf", "1.8e9")]).nbf, NumericDate::Seconds(1_800_000_000.0));
        // An instant no JS number holds exactly in milliseconds is not a numeric date (found by
        // tests/js/decoding-fuzz.test.mjs: an exp of 7423206935313217 made the signed-in object unrepresentable).
        for far in ["1.7976931348623157e308", "7423206935313217.0", "9007199254740.992", "-9007199254740.992"] {
            assert_eq!(payload(&[("nbf", far)]).nbf, NumericDate::Invalid, "{far}");
            assert_eq!(check_claims(&payload(&[("exp", far)]), NOW, 5000.0), Err(Reason::TokenInvalid), "{far}");
        }
        assert_eq!(payload(&[("exp", "9007199254740")]).exp, NumericDate::Seconds(9_007_199_254_740.0));
        // nbf far in the future is refused, never read as 0 and accepted.
        let future = payload(&[("nbf", "123456789012345678901234e10")]);
        assert_eq!(check_claims(&future, NOW, 5000.0), Err(Reason::TokenInvalid));
    }

    #[test]
    fn malformed_tokens() {
        let good_header = b64url(br#"{"alg":"RS256"}"#);
        let good_payload = b64url(format!(r#"{{"sub":"{MCH}","exp":1}}"#).as_bytes());
        for bad in [
            format!("{good_header}.{good_payload}"),
            format!("{good_header}.{good_payload}.sig.extra"),
            format!("{good_header}!.{good_payload}.c2ln"),
            format!("{good_header}.{good_payload}=.c2ln"),
            format!("{good_header}.{good_payload}.c2l"),
            format!("{}.{good_payload}.c2ln", b64url(b"not json")),
            format!("{}.{good_payload}.c2ln", b64url(br#"{"typ":"JWT"}"#)),
            format!("{}.{good_payload}.c2ln", b64url(br#"["RS256"]"#)),
            format!("{}.{good_payload}.c2ln", b64url(br#"{"alg":5}"#)),
            format!("{good_header}.{}.c2ln", b64url(b"[1,2]")),
            format!("{good_header}.{}.c2ln", b64url(b"\"mch_1\"")),
        ] {
            assert_eq!(decode::<SerdeJson>(&bad).unwrap_err(), Reason::TokenMalformed, "{bad}");
        }
    }

    #[test]
    fn a_member_given_twice_reads_as_its_last_occurrence_as_json_parse_reads_it() {
        let twice = format!(r#"{{"sub":"user_1","sub":"{MCH}","role":1,"role":2,"exp":1}}"#);
        let decoded = decode::<SerdeJson>(&unsigned_jwt(r#"{"alg":"none","alg":"RS256"}"#, &twice)).unwrap();
        assert_eq!((decoded.header.alg.as_str(), decoded.payload.sub.as_str()), ("RS256", MCH));
        assert_eq!(decoded.payload.claims.unwrap()["role"], 2);
    }

    #[test]
    fn maps_to_a_token_object_like_clerks_sdk() {
        let p = payload(&[
            ("jti", "\"mt_0123\""),
            ("iss", "\"https://clerk.example\""),
            ("nbf", "1799999990"),
            ("scopes", "\"mch_a mch_b\""),
            ("aud", r#"["mch_c"]"#),
            ("role", "\"reader\""),
            ("n", "[1]"),
        ]);
        let t = to_token(&p);
        assert_eq!((t.id.as_str(), t.subject.as_str()), ("mt_0123", MCH));
        assert_eq!(t.scopes, ["mch_a", "mch_b"]);
        assert_eq!(t.claims, Some(json!({"scopes":"mch_a mch_b","aud":["mch_c"],"role":"reader","n":[1]})));
        assert_eq!(
            (t.expiration, t.created_at, t.updated_at, t.revoked),
            (Some(1_800_000_600_000), Some(1_799_999_990_000), Some(1_799_999_990_000), false)
        );
        let aud_only = to_token(&payload(&[("aud", r#"["mch_c","mch_d"]"#)]));
        assert_eq!(aud_only.scopes, ["mch_c", "mch_d"]);
        assert_eq!(aud_only.claims, Some(json!({"aud":["mch_c","mch_d"]})));
        assert_eq!(to_token(&payload(&[("aud", "\"mch_e\"")])).scopes, ["mch_e"]);
        assert_eq!(to_token(&payload(&[])).claims, None, "only structural claims: null, as for opaque tokens");
    }
}
