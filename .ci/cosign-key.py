"""cosign-format keys, written and read independently of crabox (Python `cryptography`, hashlib's
scrypt and PyNaCl's secretbox, following sigstore/sigstore's cryptoutils: a PKCS#8 EC private key
encrypted under scrypt(N=32768, r=8, p=1) + NaCl secretbox, JSON inside a PEM block).

  python3 cosign-key.py write PREFIX    PREFIX.key and PREFIX.pub, password from CRABOX_KEY_PASSWORD
  python3 cosign-key.py read KEYFILE PUBFILE   exit 0 when KEYFILE decrypts and matches PUBFILE
"""
import base64
import hashlib
import json
import os
import sys

import nacl.secret
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

password = os.environ["CRABOX_KEY_PASSWORD"].encode()
command = sys.argv[1]

if command == "write":
    prefix = sys.argv[2]
    key = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    salt, nonce = os.urandom(32), os.urandom(24)
    box_key = hashlib.scrypt(password, salt=salt, n=32768, r=8, p=1, maxmem=64 * 1024 * 1024, dklen=32)
    ciphertext = nacl.secret.SecretBox(box_key).encrypt(pkcs8, nonce).ciphertext
    document = {
        "kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }
    body = base64.encodebytes(json.dumps(document).encode()).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    with open(prefix + ".key", "w") as f:
        f.write("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    with open(prefix + ".pub", "wb") as f:
        f.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
elif command == "read":
    text = open(sys.argv[2]).read()
    assert "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----" in text, "not a cosign 2 private key"
    body = "".join(line for line in text.splitlines() if not line.startswith("-----"))
    document = json.loads(base64.b64decode(body))
    params = document["kdf"]["params"]
    box_key = hashlib.scrypt(password, salt=base64.b64decode(document["kdf"]["salt"]), n=params["N"], r=params["r"], p=params["p"], maxmem=64 * 1024 * 1024, dklen=32)
    pkcs8 = nacl.secret.SecretBox(box_key).decrypt(base64.b64decode(document["ciphertext"]), base64.b64decode(document["cipher"]["nonce"]))
    key = serialization.load_der_private_key(pkcs8, password=None)
    public = serialization.load_pem_public_key(open(sys.argv[3], "rb").read())
    same = key.public_key().public_numbers() == public.public_numbers()
    print("the private key decrypts and matches the public key" if same else "the keys do not match")
    sys.exit(0 if same else 1)
