"""
Reference answers from in-toto 1.3.1 and securesystemslib 0.26 (Debian's python3-in-toto), for
test/trust/in-toto/reference.ts. Run once per UTC day into the fixture cache as
`/usr/bin/python3 reference.py <dir>`; <dir>/spec.json holds the cases the TypeScript tests define.
Writes keys (public halves), signatures, signed layouts and links, and answers.json with what
securesystemslib.keys.verify_signature, in_toto.rulelib.unpack_rule, fnmatch, verifylib.verify_item_rules
and verifylib.in_toto_verify say about each case.
"""
import copy
import fnmatch
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from securesystemslib import keys as sslib_keys
from securesystemslib.formats import encode_canonical
from in_toto import rulelib, verifylib
from in_toto.models.metadata import Metablock
from in_toto.models.link import Link

OUT = sys.argv[1]
SPEC = json.load(open(os.path.join(OUT, "spec.json")))
MESSAGE = SPEC["message"].encode()
answers = {}


def outcome(fn):
    """(True, value) or (False, "ExceptionClass: message")."""
    try:
        return [True, fn()]
    except Exception as e:  # pylint: disable=broad-except
        return [False, "%s: %s" % (type(e).__name__, e)]


def public(key):
    return {k: copy.deepcopy(v) if k != "keyval" else {"public": v["public"]} for k, v in key.items()}


def with_scheme(key, scheme):
    """The same key material under another scheme, with the key id securesystemslib gives it."""
    k = copy.deepcopy(key)
    k["scheme"] = scheme
    k["keyid"] = sslib_keys._get_keyid(k["keytype"], scheme, {"public": k["keyval"]["public"]})
    return k


def pem_of(key):
    """SPKI PEM of a securesystemslib key's public half (ed25519 keys hold raw hex)."""
    if key["keytype"] == "ed25519":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["keyval"]["public"]))
        return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return key["keyval"]["public"]


# 1. Keys of every type and scheme in-toto signs with, and a signature by each over MESSAGE.
rsa = sslib_keys.generate_rsa_key(2048)
p256 = sslib_keys.generate_ecdsa_key("ecdsa-sha2-nistp256")
# securesystemslib 0.26 verifies ecdsa-sha2-nistp384 but neither generates nor signs with it: the key
# and its signature come from pyca/cryptography, the library securesystemslib verifies with.
_p384 = ec.generate_private_key(ec.SECP384R1())
_p384_pub = _p384.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
p384 = {
    "keytype": "ecdsa",
    "scheme": "ecdsa-sha2-nistp384",
    "keyid_hash_algorithms": ["sha256", "sha512"],
    "keyval": {"public": _p384_pub, "private": _p384.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()},
}
p384["keyid"] = sslib_keys._get_keyid("ecdsa", "ecdsa-sha2-nistp384", {"public": _p384_pub})
ed = sslib_keys.generate_ed25519_key()
variants = {}
for h in ["sha224", "sha256", "sha384", "sha512"]:
    variants["rsa-pss-" + h] = with_scheme(rsa, "rsassa-pss-" + h)
    variants["rsa-pkcs1-" + h] = with_scheme(rsa, "rsa-pkcs1v15-" + h)
variants["p256"] = p256
variants["p384"] = p384
variants["ed25519"] = ed
sigs = {name: sslib_keys.create_signature(k, MESSAGE)["sig"] for name, k in variants.items() if name != "p384"}
sigs["p384"] = _p384.sign(MESSAGE, ec.ECDSA(hashes.SHA384())).hex()

# Signatures securesystemslib never makes, by the same keys through pyca/cryptography (what an attacker
# holding a key of the wrong curve or hash could offer): ECDSA P-384 over SHA-256, P-256 over SHA-384.
def ec_private(key):
    return serialization.load_pem_private_key(key["keyval"]["private"].encode(), password=None)


sigs["p384-over-sha256"] = ec_private(p384).sign(MESSAGE, ec.ECDSA(hashes.SHA256())).hex()
sigs["p256-over-sha384"] = ec_private(p256).sign(MESSAGE, ec.ECDSA(hashes.SHA384())).hex()

matrix = {}
for kname, k in variants.items():
    for sname, sig in sigs.items():
        # What in-toto decides: the key (with its own scheme) against the signature. Key ids match by
        # construction here; a mismatch is a separate check (link keyids, below).
        ok = outcome(lambda: sslib_keys.verify_signature(public(k), {"keyid": k["keyid"], "sig": sig}, MESSAGE))
        matrix["%s|%s" % (kname, sname)] = ok[0] and ok[1] is True
answers["verify"] = matrix

# A key whose keytype and scheme disagree (an ecdsa key claiming an RSA or ed25519 scheme).
cross = {}
for scheme in ["rsa-pkcs1v15-sha256", "rsassa-pss-sha256", "ed25519"]:
    k = public(p256)
    k["scheme"] = scheme
    ok = outcome(lambda: sslib_keys.verify_signature(k, {"keyid": k["keyid"], "sig": sigs["p256"]}, MESSAGE))
    cross[scheme] = ok[0] and ok[1] is True
answers["ecdsaKeyClaimingScheme"] = cross
# A P-384 key listed with scheme ecdsa-sha2-nistp256: securesystemslib hashes with SHA-256 and never
# checks the curve.
k = public(p384)
k["scheme"] = "ecdsa-sha2-nistp256"
ok = outcome(lambda: sslib_keys.verify_signature(k, {"keyid": k["keyid"], "sig": sigs["p384-over-sha256"]}, MESSAGE))
answers["p384KeyAsNistp256"] = ok[0] and ok[1] is True

keys_out = {}
for name, k in variants.items():
    pub = public(k)
    keys_out[name] = {"key": pub, "pem": pem_of(k), "sig": sigs[name]}
keys_out["p384-over-sha256"] = {"sig": sigs["p384-over-sha256"]}
keys_out["p256-over-sha384"] = {"sig": sigs["p256-over-sha384"]}
json.dump(keys_out, open(os.path.join(OUT, "keys.json"), "w"), indent=1)

# 2. The artifact-rule grammar, fnmatch, and item rules.
answers["unpackRule"] = [outcome(lambda r=r: rulelib.unpack_rule(r)) for r in SPEC["rules"]]
answers["fnmatch"] = [bool(fnmatch.filter([path], pattern)) for pattern, path in SPEC["fnmatch"]]


def link_of(name, l):
    return Metablock(signed=Link(name=name, materials=l["materials"], products=l["products"]))


items = []
for case in SPEC["items"]:
    links = {name: link_of(name, l) for name, l in case["links"].items()}
    items.append(outcome(lambda c=case, ls=links: verifylib.verify_item_rules(c["item"], c["type"], c["rules"], ls)))
answers["items"] = [[ok, None if ok else msg] for ok, msg in items]

# 3. Layout scenarios: signed layouts and links in <OUT>/chains/<name>/, verified by in_toto_verify.
fkeys = {n: sslib_keys.generate_ed25519_key() for n in ["alice", "bob", "carl", "dan"]}
for n, k in fkeys.items():
    open(os.path.join(OUT, n + ".pem"), "w").write(pem_of(k))
json.dump({n: public(k) for n, k in fkeys.items()}, open(os.path.join(OUT, "functionaries.json"), "w"), indent=1)


def sign(signed, signers, keyid_override=None):
    data = encode_canonical(signed).encode()
    out = []
    for s in signers:
        sig = sslib_keys.create_signature(fkeys[s], data)
        if keyid_override:
            sig["keyid"] = keyid_override
        out.append(sig)
    return {"signed": signed, "signatures": out}


def resolve(value):
    """Spec placeholders: "@bob" is bob's key id, "@bob:key" his public key object."""
    if isinstance(value, str) and value.startswith("@"):
        name, _, what = value[1:].partition(":")
        return public(fkeys[name]) if what == "key" else fkeys[name]["keyid"]
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if isinstance(value, dict):
        return {resolve(k): resolve(v) for k, v in value.items()}
    return value


chains = {}
for name, chain in SPEC["chains"].items():
    d = os.path.join(OUT, "chains", name)
    for f in chain["files"]:
        # File names carry "{bob}": the first 8 hex of bob's key id.
        path = os.path.join(d, f["path"].format(**{n: k["keyid"][:8] for n, k in fkeys.items()}))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        signed = resolve(f["signed"])
        override = resolve(f["keyidOverride"]) if f.get("keyidOverride") else None
        json.dump(sign(signed, f["signers"], override), open(path, "w"), indent=1)
    signers = {fkeys[s]["keyid"]: public(fkeys[s]) for s in chain.get("layoutKeys", ["alice"])}
    # Inspections run in the working directory: a scratch one.
    scratch = os.path.join(OUT, "scratch", name)
    os.makedirs(scratch, exist_ok=True)
    cwd = os.getcwd()
    os.chdir(scratch)
    # Loading validates the layout (in-toto-verify loads it the same way): a refusal there is an answer.
    res = outcome(lambda: verifylib.in_toto_verify(
        Metablock.load(os.path.join(d, "root.layout")), signers, link_dir_path=d, persist_inspection_links=False))
    os.chdir(cwd)
    chains[name] = [res[0], None if res[0] else res[1]]
answers["chains"] = chains

json.dump(answers, open(os.path.join(OUT, "answers.json"), "w"), indent=1)
