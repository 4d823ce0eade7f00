#!/usr/bin/env python3
"""Writes hostile-inputs.json: the bad-input corpus run by tests/js/corpus.test.mjs.

Each case: {"op": ..., "input": ..., "expect": {...}}. JSON cannot hold every hostile JS value, so these
markers are decoded by the test: {"$nan":1} NaN, {"$inf":1} / {"$-inf":1} ±Infinity, {"$undefined":1},
{"$bigint":"…"}, {"$fn":1} a function, {"$symbol":1}, {"$cyclic":1} a self-referencing object,
{"$repeat":["s", n]} the string s repeated n times, {"$concat":[…]} strings joined, {"$date":1} a Date,
{"$signed":["<header>.<payload>", "RSA-SHA256"]} that signing input signed for real with the test key
(tests/fixtures/test-rsa-private-pkcs8.pem, the guard's jwtKey), {"$hmacPublic":["<header>.<payload>", "sha256"]}
signed with HMAC keyed with the public key's PEM (the algorithm-confusion attack).
ops: createToken / list / revokeToken / verify (options; expect {"code","field"}), constructor (options;
expect {"code","field"}, thrown), verifyRequestOptions (expect {"code","field"}), header (an Authorization
value; expect {"reason"}), token (a bearer token; expect {"reason"}).
"""
import base64, json

def b64(s):
    raw = s if isinstance(s, bytes) else s.encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

NAN, INF, NINF, UNDEF = {"$nan": 1}, {"$inf": 1}, {"$-inf": 1}, {"$undefined": 1}
BIG, FN, SYM, CYC, DATE = {"$bigint": "12345678901234567890"}, {"$fn": 1}, {"$symbol": 1}, {"$cyclic": 1}, {"$date": 1}
def rep(s, n): return {"$repeat": [s, n]}

MCH = "mch_gateway00000000000000000000"
MT_ID = "mt_" + "ab" * 16
cases = []
def add(op, input, **expect): cases.append({"op": op, "input": input, "expect": expect})

wrong_types = [NAN, INF, NINF, BIG, FN, SYM, CYC, DATE, True, [], {}, "", "x", -1, 0, 1.5, 1e300]
string_wrong = [5, 0, -1, NAN, BIG, FN, SYM, CYC, DATE, True, False, [], {}, ["a"]]

# createToken
for v in ["60", True, [], {}, NAN, INF, NINF, 0, -0.0, -1, -1e-9, BIG, FN, SYM, DATE, "NaN"]:
    add("createToken", {"secondsUntilExpiration": v}, code="invalid_argument", field="secondsUntilExpiration")
for v in [-1, 1.5, NAN, INF, "5", True, BIG, FN, {}, [], 2**60, -0.5]:
    add("createToken", {"minRemainingTtlSeconds": v}, code="invalid_argument", field="minRemainingTtlSeconds")
for v in ["JWT", "Opaque", "pem", "", " jwt", "jwt\u0000", 1, True, [], {}, FN, SYM]:
    add("createToken", {"tokenFormat": v}, code="invalid_argument", field="tokenFormat")
for v in [BIG, {"n": BIG}, CYC, FN, SYM, UNDEF if False else FN, [BIG], {"deep": {"deeper": [CYC]}}]:
    add("createToken", {"claims": v}, code="invalid_argument", field="claims")
for v in [5, True, [], {}, FN, "ak with space", "ak\r\nx-injected: 1", "ak\u0000", "ключ", "ak\t", rep("k", 5000)]:
    add("createToken", {"machineSecretKey": v}, code="invalid_argument", field="machineSecretKey")
for v in ["options", 42, True, [], FN, SYM, BIG]:
    add("createToken", v, code="invalid_argument", field="options")
add("createToken", {"secondsUntilExpiration": 60, "minRemainingTtlSeconds": 60}, code="invalid_argument", field="minRemainingTtlSeconds")
add("createToken", {"secondsUntilExpiration": 60, "minRemainingTtlSeconds": 600}, code="invalid_argument", field="minRemainingTtlSeconds")

# list
for v in [UNDEF, None, "", "mch_", "mch_short", MCH + "0", MCH[:-1] + "-", MCH[:-1] + "é", "MCH_" + MCH[4:], MCH + "&revoked=true",
          MCH + "#", " " + MCH, MCH + "\n", "../" + MCH, rep("mch_", 1000)] + string_wrong:
    add("list", {"subject": v}, code="invalid_argument", field="subject")
for v in [0, 101, -1, 1.5, NAN, INF, "10", True, BIG, 1e20, {}]:
    add("list", {"subject": MCH, "limit": v}, code="invalid_argument", field="limit")
for v in [-1, 2.5, NAN, INF, "0", True, BIG, -0.1, 2**60]:
    add("list", {"subject": MCH, "offset": v}, code="invalid_argument", field="offset")
for v in ["true", 1, 0, "yes", [], {}]:
    add("list", {"subject": MCH, "revoked": v}, code="invalid_argument", field="revoked")
    add("list", {"subject": MCH, "expired": v}, code="invalid_argument", field="expired")
for v in ["mch", 7, [MCH], FN]:
    add("list", v, code="invalid_argument", field="options")

# revokeToken
for v in [UNDEF, None, "", "mt_", "mt_123", MT_ID[:-1], MT_ID + "0", MT_ID[:-1] + "g", "MT_" + MT_ID[3:], "../../m2m_tokens/verify",
          MT_ID + "/../../jwks", MT_ID + "?x=1", MT_ID + "%2F", " " + MT_ID, MT_ID + "\r\n", "mt_" + "é" * 16, rep("mt_", 500)] + string_wrong:
    add("revokeToken", {"m2mTokenId": v}, code="invalid_argument", field="m2mTokenId")
for v in [5, True, [], {}, FN, BIG]:
    add("revokeToken", {"m2mTokenId": MT_ID, "revocationReason": v}, code="invalid_argument", field="revocationReason")

# verify
for v in [UNDEF, None, "", rep("x", 8193), rep("mt_", 100000)] + string_wrong:
    add("verify", {"token": v}, code="invalid_argument", field="token")
for v in ["mt_abc", 1, [], FN]:
    add("verify", v, code="invalid_argument", field="options")

# constructor
for v in ["ftp://api.clerk.com", "api.clerk.com", "https://", "https://a b", "https://x?y=1", "https://x#f", "https://user@x", "javascript:alert(1)",
          5, True, [], {}]:
    add("constructor", {"apiUrl": v}, code="invalid_argument", field="apiUrl")
for v in ["v1/../x", "v1?x", "", rep("v", 40), "v 1", 1]:
    add("constructor", {"apiVersion": v}, code="invalid_argument", field="apiVersion")
for v in [0, -1, NAN, INF, "100", 2**31, True, BIG]:
    add("constructor", {"timeoutMs": v}, code="invalid_argument", field="timeoutMs")
for v in [-1, 11, 1.5, NAN, "2", 1e9, BIG]:
    add("constructor", {"maxRetries": v}, code="invalid_argument", field="maxRetries")
for v in [5, "sk test", "sk\nx", FN, [], {}]:
    add("constructor", {"secretKey": v}, code="invalid_argument", field="secretKey")
for v in ["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "not a key", "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----", 5]:
    add("constructor", {"jwtKey": v}, code="invalid_argument", field="jwtKey")
for v in ["x", 5, [], FN]:
    add("constructor", v, code="invalid_argument", field="options")

# verifyRequest options (a key is set unless the case is about keys)
for opts, field in [({"jwtKey": "nope"}, "jwtKey"), ({"secretKey": "sk_x", "machineId": "mch_x"}, "machineId"),
                    ({"secretKey": "sk_x", "machineId": 5}, "machineId"), ({"secretKey": "sk_x", "cacheTtlMs": -1}, "cacheTtlMs"),
                    ({"secretKey": "sk_x", "cacheTtlMs": NAN}, "cacheTtlMs"), ({"secretKey": "sk_x", "negativeCacheTtlMs": "5"}, "negativeCacheTtlMs"),
                    ({"secretKey": "sk_x", "clockSkewMs": INF}, "clockSkewMs"), ({"secretKey": "sk_x", "cache": "no"}, "cache"),
                    ({"secretKey": "sk_x", "cacheStore": {}}, "cacheStore"), ({"secretKey": "sk_x", "cacheStore": 5}, "cacheStore"),
                    ({"secretKey": "sk_x", "apiUrl": "nope"}, "apiUrl"), ({"secretKey": "sk x"}, "secretKey")]:
    add("verifyRequestOptions", opts, code="invalid_argument", field=field)
add("verifyRequestOptions", {"apiUrl": "http://127.0.0.1:9"}, code="missing_key")
add("verifyRequestOptions", {}, code="missing_key")

# Authorization headers
headers = [
    ("", "token-missing"), (" ", "token-missing"), ("Bearer", "token-missing"), ("Bearer    ", "token-missing"),
    ("Basic dXNlcjpwYXNz", "token-missing"), ("Digest username=x", "token-missing"), ("Token mt_abc", "token-missing"),
    ("mt_abc", "token-missing"), ("Bearermt_abc", "token-missing"), ("Negotiate abc", "token-missing"), ("bearer", "token-missing"),
    ("Bearer mt_a mt_b", "token-malformed"), ("Bearer mt_a, Bearer mt_b", "token-malformed"), ("Bearer, Bearer mt_b", "token-malformed"),
    ("Bearer mt_a\u0000b", "token-malformed"), ("Bearer mt_\"q\"", "token-malformed"), ("Bearer mt_é", "token-malformed"),
    ("Bearer mt_\u202e", "token-malformed"), ("Bearer ===", "token-malformed"), ("Bearer a=b", "token-malformed"),
    ("Bearer mt_a;b", "token-malformed"), ("Bearer mt_a<script>", "token-malformed"), ("Bearer %6d%74_abc", "token-malformed"),
    ("Bearer mt_a\\b", "token-malformed"), ("Bearer {\"a\":1}", "token-malformed"),
    (rep("Bearer " + "a" * 10, 1), "token-malformed"),
]
for h, reason in headers:
    add("header", h, reason=reason)
add("header", {"$repeat": ["a", 1 << 20]}, reason="token-malformed")
add("header", {"$concat": ["Bearer ", {"$repeat": ["a", 1 << 20]}]}, reason="token-malformed")
add("header", {"$concat": ["Bearer ", {"$repeat": ["a", 8200]}]}, reason="token-malformed")
add("header", {"$concat": ["Bearer mt_", {"$repeat": ["é", 5000]}]}, reason="token-malformed")

# Tokens (as `Bearer <token>`, with a jwtKey and a machine key configured): all refused without a call.
H_OK = {"alg": "RS256", "typ": "JWT", "kid": "ins_x", "cat": "cl_B7d4PD333AAA"}
P_OK = {"sub": MCH, "exp": 4102444800, "iat": 1700000000, "jti": MT_ID}
def jwt(h, p, sig=b"not-a-signature"):
    hs = h if isinstance(h, str) else b64(json.dumps(h))
    ps = p if isinstance(p, str) else b64(json.dumps(p))
    return f"{hs}.{ps}.{b64(sig) if isinstance(sig, bytes) else sig}"
def signed(h, p, hash="RSA-SHA256"):
    """Signed for real at test time: the rule the case names refuses it, not the signature check."""
    hs = h if isinstance(h, str) else b64(json.dumps(h))
    ps = p if isinstance(p, str) else b64(json.dumps(p))
    return {"$signed": [f"{hs}.{ps}", hash]}
def hmac_public(h, p, hash="sha256"):
    hs = h if isinstance(h, str) else b64(json.dumps(h))
    ps = p if isinstance(p, str) else b64(json.dumps(p))
    return {"$hmacPublic": [f"{hs}.{ps}", hash]}
tokens = [
    ("mt_", "token-malformed"), ("mt_abc.def", "token-malformed"), ("mt_abc+/", "token-malformed"), ("mt_a~b", "token-malformed"),
    ("hello", "token-malformed"), ("a.b", "token-malformed"), ("a.b.c", "token-malformed"), ("a.b.c.d", "token-malformed"),
    ("....", "token-malformed"), ("eyJ.eyJ.eyJ", "token-malformed"), ("null", "token-malformed"), ("undefined", "token-malformed"),
    ("ak_live_abcdef", "token-type-mismatch"), ("ak_test_x", "token-type-mismatch"), ("oat_abcdef", "token-type-mismatch"),
    ("sk_live_abc", "token-type-mismatch"), ("sk_test_abc", "token-type-mismatch"), ("pk_test_abc", "token-type-mismatch"),
    (jwt(H_OK, {"sub": "user_2abc", "exp": 4102444800}), "token-type-mismatch"),
    (jwt(H_OK, {"sub": "sess_1", "exp": 4102444800}), "token-type-mismatch"),
    (jwt(H_OK, {"exp": 4102444800}), "token-type-mismatch"),
    (jwt(H_OK, {"sub": 5, "exp": 4102444800}), "token-type-mismatch"),
    (jwt(H_OK, {"sub": "MCH_x", "exp": 4102444800}), "token-type-mismatch"),
    (jwt(H_OK, {"sub": ["mch_x"], "exp": 4102444800}), "token-type-mismatch"),
    # Header rules, each signed for real as an attacker could (or with an RS256 signature by the real key, where
    # the header names an algorithm whose key an attacker does not have): the rule refuses them.
    (jwt({"alg": "none"}, P_OK, b""), "token-invalid"), (jwt({"alg": "None"}, P_OK, b""), "token-invalid"),
    (hmac_public({"alg": "HS256"}, P_OK), "token-invalid"), (hmac_public({"alg": "HS512"}, P_OK, "sha512"), "token-invalid"),
    (signed({"alg": "ES256"}, P_OK), "token-invalid"), (signed({"alg": "PS256"}, P_OK), "token-invalid"),
    (signed({"alg": "rs256"}, P_OK), "token-invalid"), (signed({"alg": "RS1"}, P_OK), "token-invalid"),
    (signed({"alg": ""}, P_OK), "token-invalid"), (signed({**H_OK, "cat": "cl_session"}, P_OK), "token-invalid"),
    (signed({**H_OK, "cat": ""}, P_OK), "token-invalid"), (signed({**H_OK, "typ": "at+jwt"}, P_OK), "token-invalid"),
    (signed({**H_OK, "crit": ["exp"]}, P_OK), "token-invalid"),
    (signed({"alg": "RS384", "kid": "ins_x"}, P_OK), "token-invalid"),  # RS384 header, RS256 signature
    # Claim rules, validly signed: the rule refuses them.
    (signed(H_OK, {k: v for k, v in P_OK.items() if k != "exp"}), "token-invalid"),
    (signed(H_OK, {**P_OK, "exp": "soon"}), "token-invalid"), (signed(H_OK, {**P_OK, "exp": None}), "token-invalid"),
    (signed(H_OK, {**P_OK, "exp": 1000}), "token-expired"),
    (signed(H_OK, {**P_OK, "nbf": 4102444000}), "token-invalid"), (signed(H_OK, {**P_OK, "iat": 4102444000}), "token-invalid"),
    (signed(H_OK, {**P_OK, "nbf": "now"}), "token-invalid"),
    # The signature is checked before any claim: a forged token is invalid, however expired its claims say it is.
    (jwt(H_OK, {**P_OK, "exp": 1000}), "token-invalid"), (jwt(H_OK, {**P_OK, "exp": 0}), "token-invalid"),
    (jwt(H_OK, {**P_OK, "exp": -1e300}), "token-invalid"),
    (jwt(H_OK, {**P_OK, "nbf": 4102444000}), "token-invalid"), (jwt(H_OK, {**P_OK, "iat": 4102444000}), "token-invalid"),
    (jwt(H_OK, {**P_OK, "nbf": "now"}), "token-invalid"),
    (jwt(H_OK, P_OK), "token-invalid"), (jwt(H_OK, P_OK, b"\x00" * 256), "token-invalid"), (jwt(H_OK, P_OK, b""), "token-invalid"),
    (jwt({"alg": "RS256"}, P_OK), "token-invalid"), (jwt({"alg": "RS512", "kid": 5}, P_OK), "token-malformed"),
    (jwt({"alg": ["RS256"]}, P_OK), "token-malformed"), (jwt({"alg": "RS256", "alg2": 1}, P_OK), "token-invalid"),
    # A member given twice reads as its last occurrence, as JSON.parse reads it (SECURITY.md).
    (jwt(b64('{"alg":"RS256","alg":"none"}'), P_OK), "token-invalid"),
    (jwt(H_OK, b64('{"sub":"%s","sub":"user_1","exp":4102444800}' % MCH)), "token-type-mismatch"),
    (jwt(b64("not json"), P_OK), "token-malformed"), (jwt(H_OK, b64("not json")), "token-malformed"),
    (jwt(b64("[]"), P_OK), "token-malformed"), (jwt(H_OK, b64("[1,2]")), "token-malformed"),
    (jwt(H_OK, b64('"string"')), "token-malformed"), (jwt(H_OK, b64("null")), "token-malformed"),
    (jwt(b64(b"\xff\xfe"), P_OK), "token-malformed"), (jwt(H_OK, b64(b"\xc3\x28")), "token-malformed"),
    (jwt(H_OK, b64("[" * 2000 + "]" * 2000)), "token-malformed"),
    # serde_json's recursion limit (128) bounds nesting: 200 deep is malformed; 100 deep parses, then fails its signature.
    (jwt(H_OK, b64('{"sub":"%s","exp":4102444800,"x":%s}' % (MCH, "[" * 200 + "]" * 200))), "token-malformed"),
    (jwt(H_OK, b64('{"sub":"%s","exp":4102444800,"x":%s}' % (MCH, "[" * 100 + "]" * 100))), "token-invalid"),
    (jwt(H_OK, P_OK).replace(".", "..", 1), "token-malformed"), (jwt(H_OK, P_OK) + "=", "token-malformed"),
    (jwt(H_OK, P_OK)[:-3] + "B", "token-malformed"),  # non-canonical base64url: leftover bits set
    (b64(json.dumps(H_OK)) + "." + b64(json.dumps(P_OK)) + ".", "token-invalid"),
    ("." + b64(json.dumps(P_OK)) + ".c2ln", "token-malformed"), (b64(json.dumps(H_OK)) + "..c2ln", "token-malformed"),
]
for t, reason in tokens:
    add("token", t, reason=reason)

json.dump({"description": __doc__.strip().splitlines()[0], "cases": cases}, open("hostile-inputs.json", "w"), indent=1, ensure_ascii=True, allow_nan=False)
print(len(cases), "cases")
