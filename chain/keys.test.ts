// chain/keys.ts: the key from VERITRAIN_PRIVATE_KEY (checked, normalized) or from a keystore with its password
// from the environment or a file; every error names the variable or file and never contains the key.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { InvalidPrivateKeyError, KeystoreError, MissingPrivateKeyError } from "./errors.ts";
import { accountFromEnv, KEYSTORE_PASSWORD_ENV, loadAccount, PRIVATE_KEY_ENV, privateKeyFromEnv } from "./keys.ts";
import { encryptKeystore } from "./keystore.ts";

const KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;

describe("keys", () => {
  it("reads the key from the environment, with or without 0x, in either case", () => {
    for (const v of [KEY, KEY.slice(2), ` ${KEY.toUpperCase().replace("0X", "0x")} `, KEY.slice(2).toUpperCase()]) {
      assert.equal(privateKeyFromEnv({ [PRIVATE_KEY_ENV]: v }), KEY);
    }
    assert.equal(accountFromEnv({ [PRIVATE_KEY_ENV]: KEY }).address, privateKeyToAccount(KEY).address);
  });

  it("names what is wrong with the variable, never its value", () => {
    assert.throws(() => accountFromEnv({}), MissingPrivateKeyError);
    assert.throws(() => accountFromEnv({ [PRIVATE_KEY_ENV]: "  " }), MissingPrivateKeyError);
    // Each role is told whose key to export (not "the deployer's" to a client); a node also hears of its keystore.
    for (const role of ["deployer", "client"]) {
      assert.throws(() => accountFromEnv({}, { role }), (e: unknown) => e instanceof MissingPrivateKeyError
        && e.message === `${PRIVATE_KEY_ENV} is not set: export the ${role}'s private key (32 bytes of hex) in it (it is never taken as a flag)`);
    }
    const bad = (v: string, re: RegExp) => assert.throws(() => accountFromEnv({ [PRIVATE_KEY_ENV]: v }), (e: unknown) =>
      e instanceof InvalidPrivateKeyError && re.test(e.message) && !e.message.includes(v.replace(/^0x/, "").slice(0, 16)));
    bad(KEY.slice(0, 40), /got 38 characters/);
    bad(`${KEY.slice(0, 65)}z`, /with non-hex ones/);
    bad(`0x${"00".repeat(32)}`, /not a valid secp256k1 private key/);
  });

  it("loads a node's account from its keystore (password from the environment or a file), or refuses both sources at once", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-keys-"));
    try {
      const keystore = path.join(dir, "key.json"), passwordFile = path.join(dir, "password");
      await writeFile(keystore, JSON.stringify(encryptKeystore(KEY, "pw", { kdf: "pbkdf2", cost: 1_000 })));
      await writeFile(passwordFile, "pw\n");
      const want = privateKeyToAccount(KEY).address;
      assert.equal((await loadAccount({ keystore }, { [KEYSTORE_PASSWORD_ENV]: "pw" })).address, want);
      assert.equal((await loadAccount({ keystore, keystorePasswordFile: passwordFile }, {})).address, want);
      assert.equal((await loadAccount({}, { [PRIVATE_KEY_ENV]: KEY })).address, want);
      await assert.rejects(loadAccount({ keystore }, { [PRIVATE_KEY_ENV]: KEY, [KEYSTORE_PASSWORD_ENV]: "pw" }), (e: unknown) => e instanceof KeystoreError && /both VERITRAIN_PRIVATE_KEY and a keystore/.test(e.message));
      await assert.rejects(loadAccount({ keystore }, {}), (e: unknown) => e instanceof KeystoreError && /needs a password/.test(e.message));
      for (const role of ["solver", "verifier"]) {
        await assert.rejects(loadAccount({}, {}, role), (e: unknown) => e instanceof MissingPrivateKeyError
          && e.message === `${PRIVATE_KEY_ENV} is not set: export the ${role}'s private key (32 bytes of hex) in it, or set "keystore" in the node's config (it is never taken as a flag)`);
      }
      await assert.rejects(loadAccount({ keystore: path.join(dir, "none.json") }, {}), (e: unknown) => e instanceof KeystoreError && /ENOENT/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
