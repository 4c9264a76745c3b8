#!/usr/bin/env python3
"""Seeds for each harness from the in-tree test vectors (tests/vectors), in
the input format each harness reads (see the comment at the top of each
tests/fuzz/fuzz_*.cc). Usage: make_seeds.py HARNESS OUTDIR. The hand-written
seeds are in tests/fuzz/seeds/HARNESS/; run-fuzz.sh passes both."""

import base64
import glob
import hashlib
import json
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
vectors = os.environ.get("HDSSO_VECTORS", os.path.join(here, "..", "vectors"))
saml = os.path.join(vectors, "python3-saml")


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def walk_json(value, found):
    """Every string and object inside a JSON value."""
    if isinstance(value, dict):
        found.append(value)
        for v in value.values():
            walk_json(v, found)
    elif isinstance(value, list):
        for v in value:
            walk_json(v, found)
    elif isinstance(value, str):
        found.append(value)


def jose_documents():
    docs = []
    for p in sorted(glob.glob(os.path.join(vectors, "jose-cookbook-rfc7520", "**", "*.json"), recursive=True)):
        docs.append(json.loads(read(p)))
    for name in ("json_web_signature_test.json", "json_web_key_test.json", "json_web_crypto_test.json"):
        docs.append(json.loads(read(os.path.join(vectors, "wycheproof", name))))
    return docs


def compact_tokens():
    found = []
    for d in jose_documents():
        walk_json(d, found)
    return sorted({s for s in found if isinstance(s, str) and s.count(".") == 2 and len(s) < 16384
                   and all(c.isalnum() or c in "-_." for c in s)})


def jose_objects():
    found = []
    for d in jose_documents():
        walk_json(d, found)
    objs = [o for o in found if isinstance(o, dict) and len(json.dumps(o)) < 8192]
    return objs


def jwks():
    """Single JWKs and JWK sets found in the vectors."""
    return [o for o in jose_objects() if "kty" in o or "keys" in o]


def seeds(name):
    out = []
    if name == "json":
        for o in jose_objects()[:400]:
            out.append(json.dumps(o).encode())
        for t in compact_tokens()[:100]:
            for part in t.split(".")[:2]:
                try:
                    out.append(b64u_dec(part))
                except Exception:
                    pass
    elif name == "base64url":
        for t in compact_tokens()[:300]:
            out.extend(p.encode() for p in t.split("."))
    elif name == "jws":
        for t in compact_tokens():
            out.append(b"\x00" + t.encode())
            h, p, _ = t.split(".")
            try:
                for key in range(5):
                    out.append(b"\x01" + bytes([key]) + b64u_dec(h) + b"\n" + b64u_dec(p))
            except Exception:
                pass
    elif name == "jwt_login":
        for t in compact_tokens()[:200]:
            out.append(b"\x00" + t.encode())
    elif name == "jwk":
        for o in jwks():
            text = json.dumps(o).encode()
            for mask in (b"\x00\x00", b"\x1f\xff", b"\x00\x01", b"\x00\x08", b"\x02\x00", b"\x10\x00"):
                for mode in (0, 1, 2):
                    out.append(mask + bytes([mode]) + text)
        for p in glob.glob(os.path.join(saml, "derived", "*.pem")) + glob.glob(os.path.join(saml, "tests", "certs", "**", "*"), recursive=True):
            if os.path.isfile(p):
                out.append(b"\x00\x08\x00" + read(p))
    elif name == "saml_response":
        rows = [l.split("\t") for l in read(os.path.join(saml, "MANIFEST.tsv"), "r").splitlines() if l]
        for i, row in enumerate(rows[1:]):
            body = read(os.path.join(saml, row[0]))
            out.append(bytes([i % 256, 0]) + body)
            out.append(bytes([i % 256, 0x80]) + body)
    elif name == "saml_metadata":
        for p in sorted(glob.glob(os.path.join(saml, "tests", "data", "metadata", "*.xml"))):
            out.append(read(p))
        # Signed by xmlsec1 (HelpdeskSSOSAMLIdPMetadataURL ... signer=).
        for p in sorted(glob.glob(os.path.join(vectors, "metadata-signing", "*.xml"))):
            out.append(read(p))
    elif name == "saml_logout":
        for kind, bit in (("logout_requests", 0), ("logout_responses", 1)):
            for p in sorted(glob.glob(os.path.join(saml, "tests", "data", kind, "**", "*"), recursive=True)):
                if not os.path.isfile(p):
                    continue
                data = read(p)
                if p.endswith(".xml"):
                    out.append(bytes([bit | 2]) + data)
                    out.append(bytes([bit | 6]) + data)
                else:
                    param = b"SAMLResponse=" if bit else b"SAMLRequest="
                    import urllib.parse
                    out.append(bytes([bit]) + param + urllib.parse.quote(data.strip(), safe="").encode())
    elif name == "session_codec":
        def s(b):
            return struct.pack(">I", len(b)) + b

        def ss(v):
            return struct.pack(">I", len(v)) + b"".join(s(x) for x in v)
        t = struct.pack(">q", 1700000000)
        rec = (b"\x02" + s(b"helpdesk.example.com") + t + t + t + s(b"jane") + s(b"jane@example.com") +
               s(b"Jane Doe") + s(b"Jane") + s(b"Doe") + ss([b"staff", b"admins"]) + struct.pack(">I", 2) +
               s(b"email") + ss([b"jane@example.com"]) + s(b"name") + ss([b"Jane Doe"]) +
               s(b"http://idp.example.com/") + s(b"idp") + t + t + s(b"ONELOGIN_1e44") +
               s(b"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified") + s(b"_abc"))
        out.append(rec)
        empty = b"\x02" + s(b"") + t + t + t + s(b"") * 5 + ss([]) + struct.pack(">I", 0) + s(b"") * 2 + t + t + s(b"") * 3
        out.append(empty)
    return out


def main():
    name, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    for data in seeds(name):
        path = os.path.join(outdir, hashlib.sha1(data).hexdigest())
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
