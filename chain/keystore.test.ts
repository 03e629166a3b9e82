// Web3 Secret Storage v3: the definition's published test vectors (pbkdf2 and scrypt) decrypt to their
// secret; new keystores round-trip; a wrong password, a tampered file and hostile KDF parameters fail with a
// KeystoreError that never contains the key or the password.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generatePrivateKey } from "viem/accounts";
import { decryptKeystore, encryptKeystore } from "./keystore.ts";
import { KeystoreError } from "./errors.ts";

const SECRET = "0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";
const PBKDF2_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr", cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2", kdfparams: { c: 262144, dklen: 32, prf: "hmac-sha256", salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd" },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6", version: 3,
};
const SCRYPT_VECTOR = {
  crypto: {
    cipher: "aes-128-ctr", cipherparams: { iv: "83dbcc02d8ccb40e466191a123791e0e" },
    ciphertext: "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c",
    kdf: "scrypt", kdfparams: { dklen: 32, n: 262144, r: 1, p: 8, salt: "ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19" },
    mac: "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6", version: 3,
};

const rejects = (f: () => unknown, re: RegExp, secrets: string[] = []) => {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof KeystoreError, String(e));
    assert.match(e.message, re);
    for (const s of secrets) assert.ok(!e.message.toLowerCase().includes(s.replace(/^0x/, "").toLowerCase()), "the error leaks a secret");
    return true;
  });
};

describe("keystore v3", () => {
  it("decrypts the definition's pbkdf2 and scrypt test vectors", () => {
    assert.equal(decryptKeystore(PBKDF2_VECTOR, "testpassword"), SECRET);
    assert.equal(decryptKeystore(JSON.stringify(SCRYPT_VECTOR), "testpassword"), SECRET);
  });

  it("round-trips new keystores (scrypt and pbkdf2) and states the address", () => {
    const key = generatePrivateKey();
    for (const kdf of ["scrypt", "pbkdf2"] as const) {
      const ks = encryptKeystore(key, "correct horse", { kdf, cost: kdf === "scrypt" ? 1 << 12 : 1000 });
      assert.equal(ks.crypto.kdf, kdf);
      assert.match(ks.address!, /^[0-9a-f]{40}$/);
      assert.ok(!JSON.stringify(ks).includes(key.slice(2)), "the key is in the keystore in clear");
      assert.equal(decryptKeystore(ks, "correct horse"), key);
    }
  });

  it("refuses a wrong password, a tampered ciphertext or address, and hostile or unsupported parameters", () => {
    const key = generatePrivateKey();
    const ks = encryptKeystore(key, "pw-1", { kdf: "pbkdf2", cost: 1000 });
    rejects(() => decryptKeystore(ks, "pw-2"), /wrong keystore password/, [key, "pw-1", "pw-2"]);
    const flipped = ks.crypto.ciphertext.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    rejects(() => decryptKeystore({ ...ks, crypto: { ...ks.crypto, ciphertext: flipped } }, "pw-1"), /MAC does not match/, [key]);
    rejects(() => decryptKeystore({ ...ks, address: "00".repeat(20) }, "pw-1"), /not to its stated address/, [key]);
    rejects(() => decryptKeystore({ ...ks, version: 1 }, "pw-1"), /not a version 3 keystore/);
    rejects(() => decryptKeystore({ ...ks, crypto: { ...ks.crypto, cipher: "aes-128-cbc" } }, "pw-1"), /cipher "aes-128-cbc" is not supported/);
    rejects(() => decryptKeystore({ ...ks, crypto: { ...ks.crypto, kdf: "argon2" } }, "pw-1"), /kdf "argon2" is not supported/);
    rejects(() => decryptKeystore({ ...ks, crypto: { ...ks.crypto, kdfparams: { ...ks.crypto.kdfparams, c: 1e9 } } }, "pw-1"), /kdfparams\.c must be an integer/);
    rejects(() => decryptKeystore({ ...SCRYPT_VECTOR, crypto: { ...SCRYPT_VECTOR.crypto, kdfparams: { ...SCRYPT_VECTOR.crypto.kdfparams, n: 1 << 24 } } }, "x"), /kdfparams\.n must be an integer/);
    rejects(() => decryptKeystore({ ...SCRYPT_VECTOR, crypto: { ...SCRYPT_VECTOR.crypto, kdfparams: { ...SCRYPT_VECTOR.crypto.kdfparams, n: 1000 } } }, "x"), /power of two/);
    rejects(() => decryptKeystore({ ...ks, crypto: { ...ks.crypto, cipherparams: { iv: "zz" } } }, "pw-1"), /iv is not hex/);
    rejects(() => decryptKeystore("{not json", "pw-1"), /not JSON/);
    rejects(() => encryptKeystore(key, ""), /must not be empty/);
  });
});
