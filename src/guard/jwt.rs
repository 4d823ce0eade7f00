//! JWT-format M2M tokens: decoding (RFC 7515 compact form) and the rules a token must pass before and after
//! its signature is checked. Pure: the signature itself is checked by [`crate::crypto`].

use crate::encoding::base64url_decode;
use crate::json::{self, Value};
use crate::model::{string_array, M2MToken, RawJson};
use crate::reason::Reason;

/// The `cat` header of Clerk's M2M JWTs. Older tokens carry none.
pub const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";

/// Claims that are not custom claims.
const REGISTERED: [&str; 8] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scopes"];

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
#[derive(Debug, PartialEq)]
pub struct Header {
    /// Algorithm.
    pub alg: String,
    /// Type; absent or `JWT`.
    pub typ: Option<String>,
    /// Key id (`ins_…`).
    pub kid: Option<String>,
    /// Clerk's token category.
    pub cat: Option<String>,
    /// Critical extensions are present: none are understood, so the token is invalid.
    pub crit: bool,
}

impl Header {
    /// Reads a JOSE header: an object with a string `alg`, and `typ`, `kid`, `cat` strings when present.
    pub fn from_json(v: &Value<'_>) -> Option<Header> {
        if v.has_duplicate_names() {
            return None;
        }
        let text = |name: &str| match v.get(name) {
            None => Some(None),
            Some(value) => value.as_str().map(|s| Some(s.to_owned())),
        };
        Some(Header {
            alg: v.get("alg")?.as_str()?.to_owned(),
            typ: text("typ")?,
            kid: text("kid")?,
            cat: text("cat")?,
            crit: v.get("crit").is_some(),
        })
    }
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
    /// Every non-registered claim, as raw JSON.
    pub custom: Vec<(String, RawJson)>,
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

/// Splits and decodes a compact JWS. Anything that is not three base64url parts holding a JSON header and a
/// JSON object payload (without duplicate claims) is [`Reason::TokenMalformed`].
pub fn decode(token: &str) -> Result<DecodedJwt, Reason> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(Reason::TokenMalformed);
    };
    let malformed = |_| Reason::TokenMalformed;
    let header_bytes = base64url_decode(h).ok_or(Reason::TokenMalformed)?;
    let payload_bytes = base64url_decode(p).ok_or(Reason::TokenMalformed)?;
    let signature = base64url_decode(s).ok_or(Reason::TokenMalformed)?;
    let header_text = std::str::from_utf8(&header_bytes).map_err(malformed)?;
    let payload_text = std::str::from_utf8(&payload_bytes).map_err(malformed)?;
    let header = json::parse(header_text).as_ref().and_then(Header::from_json).ok_or(Reason::TokenMalformed)?;
    let payload = json::parse(payload_text).as_ref().and_then(Payload::from_json).ok_or(Reason::TokenMalformed)?;
    let signing_input = [h, ".", p].concat();
    Ok(DecodedJwt { header, payload, signing_input, signature })
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

/// Checks the time claims against `now_ms` with `skew_ms` of tolerance: `exp` is required and must be in the
/// future; `nbf` and `iat`, when present, must not be in the future.
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

/// The token object of a verified M2M JWT: `id = jti`, `subject = sub`, `scopes`, `claims` = the custom claims
/// (or null), `expiration = exp`, `createdAt = updatedAt = iat`, never revoked.
pub fn to_token(payload: &Payload) -> M2MToken {
    let ms = |d: NumericDate| match d {
        NumericDate::Seconds(s) => Some((s * 1000.0) as i64),
        _ => None,
    };
    let issued = ms(payload.iat).unwrap_or(0);
    M2MToken {
        object: "machine_to_machine_token".to_owned(),
        id: payload.jti.clone().unwrap_or_default(),
        subject: payload.sub.clone(),
        scopes: payload.scopes.clone(),
        claims: custom_claims(&payload.custom),
        revoked: false,
        revocation_reason: None,
        expired: false,
        expiration: ms(payload.exp),
        last_used_at: None,
        created_at: issued,
        updated_at: issued,
        token: None,
    }
}

fn custom_claims(custom: &[(String, RawJson)]) -> Option<RawJson> {
    if custom.is_empty() {
        return None;
    }
    let mut text = String::from("{");
    let mut o = json::ObjectWriter::new(&mut text);
    for (name, value) in custom {
        o.raw(name, value.get());
    }
    o.finish();
    RawJson::parse(text.get(1..)?)
}

impl Payload {
    /// Reads a claim set: a JSON object without duplicate names (two parsers must never disagree on a claim).
    fn from_json(v: &Value<'_>) -> Option<Payload> {
        let members = v.members()?;
        if v.has_duplicate_names() {
            return None;
        }
        let string = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_owned);
        let date = |name: &str| match v.get(name) {
            None => NumericDate::Absent,
            Some(value) => value.as_f64().filter(|x| x.is_finite()).map_or(NumericDate::Invalid, NumericDate::Seconds),
        };
        let scopes = match string("scopes") {
            Some(s) => s.split_ascii_whitespace().map(str::to_owned).collect(),
            None => v.get("aud").map(audience).unwrap_or_default(),
        };
        Some(Payload {
            sub: string("sub").unwrap_or_default(),
            jti: string("jti"),
            exp: date("exp"),
            nbf: date("nbf"),
            iat: date("iat"),
            scopes,
            custom: members
                .iter()
                .filter(|(k, _)| !REGISTERED.contains(&k.as_ref()))
                .map(|(k, value)| (k.to_string(), RawJson::from_value(value)))
                .collect(),
        })
    }
}

/// `aud` as a list: a string or an array of strings.
fn audience(v: &Value<'_>) -> Vec<String> {
    match v.as_str() {
        Some(s) => vec![s.to_owned()],
        None => string_array(v).unwrap_or_default(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub use crate::encoding::base64url_encode as b64url;

    /// `header.payload.` with an empty signature: for rules that run before the signature check.
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
        decode(&unsigned_jwt(r#"{"alg":"RS256"}"#, &claims_json(overrides))).unwrap().payload
    }

    #[test]
    fn header_rules() {
        let h = |text: &str| Header::from_json(&json::parse(text).unwrap()).unwrap();
        assert_eq!(
            check_header(&h(r#"{"alg":"RS256","typ":"JWT","kid":"ins_1","cat":"cl_B7d4PD333AAA"}"#)),
            Ok(Alg::Rs256)
        );
        assert_eq!(check_header(&h(r#"{"alg":"RS384"}"#)), Ok(Alg::Rs384));
        assert_eq!(check_header(&h(r#"{"alg":"RS512","typ":"jwt"}"#)), Ok(Alg::Rs512));
        for bad in [
            r#"{"alg":"none"}"#,
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"ES256"}"#,
            r#"{"alg":"PS256"}"#,
            r#"{"alg":"rs256"}"#,
            r#"{"alg":"RS256","typ":"at+jwt"}"#,
            r#"{"alg":"RS256","cat":"cl_session"}"#,
            r#"{"alg":"RS256","crit":["exp"]}"#,
        ] {
            assert_eq!(check_header(&h(bad)), Err(Reason::TokenInvalid), "{bad}");
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
        let no_exp = decode(&unsigned_jwt(r#"{"alg":"RS256"}"#, &format!(r#"{{"sub":"{MCH}"}}"#))).unwrap().payload;
        assert_eq!(check_claims(&no_exp, NOW, 5000.0), Err(Reason::TokenInvalid));
        // Skew: 4 s past exp is tolerated with 5 s of skew, 6 s is not.
        let p = payload(&[]);
        assert_eq!(check_claims(&p, 1_800_000_604_000.0, 5000.0), Ok(()));
        assert_eq!(check_claims(&p, 1_800_000_606_000.0, 5000.0), Err(Reason::TokenExpired));
        let nbf_soon = payload(&[("nbf", "1800000003")]);
        assert_eq!(check_claims(&nbf_soon, NOW, 5000.0), Ok(()));
        assert_eq!(check_claims(&nbf_soon, NOW, 0.0), Err(Reason::TokenInvalid));
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
            format!("{}.{good_payload}.c2ln", b64url(b"not json")),
            format!("{}.{good_payload}.c2ln", b64url(br#"{"typ":"JWT"}"#)),
            format!("{good_header}.{}.c2ln", b64url(b"[1,2]")),
            format!("{good_header}.{}.c2ln", b64url(format!(r#"{{"sub":"{MCH}","sub":"user_1"}}"#).as_bytes())),
            format!("{}.{good_payload}.c2ln", b64url(br#"{"alg":"RS256","alg":"none"}"#)),
        ] {
            assert_eq!(decode(&bad).unwrap_err(), Reason::TokenMalformed, "{bad}");
        }
    }

    #[test]
    fn maps_to_a_token_object() {
        let p = payload(&[
            ("jti", "\"mt_0123\""),
            ("scopes", "\"mch_a mch_b\""),
            ("aud", r#"["mch_c"]"#),
            ("role", "\"reader\""),
            ("n", "[1]"),
        ]);
        let t = to_token(&p);
        assert_eq!((t.id.as_str(), t.subject.as_str()), ("mt_0123", MCH));
        assert_eq!(t.scopes, ["mch_a", "mch_b"]);
        assert_eq!(t.claims.unwrap().get(), r#"{"role":"reader","n":[1]}"#);
        assert_eq!((t.expiration, t.created_at, t.revoked), (Some(1_800_000_600_000), 1_799_999_990_000, false));
        let aud_only = to_token(&payload(&[("aud", r#"["mch_c","mch_d"]"#)]));
        assert_eq!(aud_only.scopes, ["mch_c", "mch_d"]);
        assert!(aud_only.claims.is_none());
        assert_eq!(to_token(&payload(&[("aud", "\"mch_e\"")])).scopes, ["mch_e"]);
    }
}
