import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes, randomUUID, scryptSync, timingSafeEqual } from "node:crypto";
import { scrypt as nobleScrypt } from "@noble/hashes/scrypt.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { KeystoreError } from "./errors.ts";

/**
 * Web3 Secret Storage v3 keystores (the JSON that geth, MetaMask exports and ethers write): the key is
 * encrypted with aes-128-ctr under the first 16 bytes of a KDF output (scrypt or pbkdf2-hmac-sha256), and
 * keccak256(derived[16..32] ++ ciphertext) authenticates the password. Decryption refuses KDF parameters that
 * would exhaust memory or time, and no error ever contains the key or the password.
 */
export interface KeystoreV3 {
  readonly version: 3;
  readonly id: string;
  readonly address?: string;
  readonly crypto: {
    readonly cipher: "aes-128-ctr";
    readonly cipherparams: { readonly iv: string };
    readonly ciphertext: string;
    readonly kdf: "scrypt" | "pbkdf2";
    readonly kdfparams: Record<string, unknown>;
    readonly mac: string;
  };
}

export interface EncryptOptions {
  readonly kdf?: "scrypt" | "pbkdf2";
  /** scrypt cost (power of two, default 2^18 as geth's standard) or pbkdf2 iterations (default 262,144). */
  readonly cost?: number;
}

const MAX_SCRYPT_N = 1 << 20;
const MAX_PBKDF2_C = 10_000_000;
const hexOf = (s: unknown, what: string, bytes?: number): Buffer => {
  if (typeof s !== "string" || !/^(0x)?([0-9a-fA-F]{2})*$/.test(s)) throw new KeystoreError(`keystore ${what} is not hex`);
  const b = Buffer.from(s.replace(/^0x/, ""), "hex");
  if (bytes !== undefined && b.length !== bytes) throw new KeystoreError(`keystore ${what} must be ${bytes} bytes, got ${b.length}`);
  return b;
};
const posInt = (v: unknown, what: string, max: number): number => {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1 || v > max) throw new KeystoreError(`keystore kdfparams.${what} must be an integer in [1, ${max}], got ${JSON.stringify(v)}`);
  return v;
};

function deriveKey(password: string, kdf: string, p: Record<string, unknown>): Buffer {
  const dklen = posInt(p.dklen, "dklen", 64);
  if (dklen < 32) throw new KeystoreError(`keystore kdfparams.dklen must be at least 32, got ${dklen}`);
  const salt = hexOf(p.salt, "kdfparams.salt");
  const pw = Buffer.from(password.normalize("NFKC"), "utf8");
  if (kdf === "scrypt") {
    const n = posInt(p.n, "n", MAX_SCRYPT_N), r = posInt(p.r, "r", 64), par = posInt(p.p, "p", 64);
    if ((n & (n - 1)) !== 0 || n < 2) throw new KeystoreError(`keystore kdfparams.n must be a power of two, got ${n}`);
    try {
      return scryptSync(pw, salt, dklen, { N: n, r, p: par, maxmem: 256 * n * r + (64 << 20) });
    } catch {
      // OpenSSL refuses N >= 2^(16 r) (e.g. the definition's own r = 1, N = 2^18 vector): @noble/hashes does not.
      return Buffer.from(nobleScrypt(pw, salt, { N: n, r, p: par, dkLen: dklen, maxmem: 256 * n * r + (64 << 20) }));
    }
  }
  if (kdf === "pbkdf2") {
    if (p.prf !== "hmac-sha256") throw new KeystoreError(`keystore pbkdf2 prf ${JSON.stringify(p.prf)} is not supported (hmac-sha256)`);
    return pbkdf2Sync(pw, salt, posInt(p.c, "c", MAX_PBKDF2_C), dklen, "sha256");
  }
  throw new KeystoreError(`keystore kdf ${JSON.stringify(kdf)} is not supported (scrypt, pbkdf2)`);
}

const macOf = (derived: Buffer, ciphertext: Buffer) => Buffer.from(keccak_256(Buffer.concat([derived.subarray(16, 32), ciphertext])));

/** Decrypts a keystore (object or JSON text) to its private key. */
export function decryptKeystore(input: unknown, password: string): Hex {
  let ks: unknown = input;
  if (typeof input === "string") {
    try {
      ks = JSON.parse(input);
    } catch {
      throw new KeystoreError("the keystore is not JSON");
    }
  }
  const k = ks as Partial<KeystoreV3> & { Crypto?: KeystoreV3["crypto"] };
  if (typeof k !== "object" || k === null || k.version !== 3) throw new KeystoreError(`the keystore is not a version 3 keystore (version ${JSON.stringify((k as { version?: unknown })?.version)})`);
  const c = k.crypto ?? k.Crypto;
  if (typeof c !== "object" || c === null) throw new KeystoreError("the keystore has no crypto section");
  if (c.cipher !== "aes-128-ctr") throw new KeystoreError(`keystore cipher ${JSON.stringify(c.cipher)} is not supported (aes-128-ctr)`);
  if (typeof c.kdfparams !== "object" || c.kdfparams === null) throw new KeystoreError("the keystore has no kdfparams");
  const iv = hexOf(c.cipherparams?.iv, "cipherparams.iv", 16);
  const ciphertext = hexOf(c.ciphertext, "ciphertext", 32);
  const mac = hexOf(c.mac, "mac", 32);
  const derived = deriveKey(password, c.kdf, c.kdfparams);
  if (!timingSafeEqual(macOf(derived, ciphertext), mac)) throw new KeystoreError("wrong keystore password (the MAC does not match)");
  const d = createDecipheriv("aes-128-ctr", derived.subarray(0, 16), iv);
  const key = Buffer.concat([d.update(ciphertext), d.final()]);
  const hex = `0x${key.toString("hex")}` as Hex;
  let address: string;
  try {
    address = privateKeyToAccount(hex).address;
  } catch {
    throw new KeystoreError("the keystore decrypts to an invalid private key");
  }
  if (typeof k.address === "string" && k.address.replace(/^0x/, "").toLowerCase() !== address.slice(2).toLowerCase()) {
    throw new KeystoreError(`the keystore's key belongs to ${address}, not to its stated address 0x${k.address.replace(/^0x/, "")}`);
  }
  return hex;
}

/** Encrypts a private key into a new keystore (fresh salt, iv and id). */
export function encryptKeystore(privateKey: Hex, password: string, o: EncryptOptions = {}): KeystoreV3 {
  const account = privateKeyToAccount(privateKey);
  if (password.length === 0) throw new KeystoreError("the keystore password must not be empty");
  const kdf = o.kdf ?? "scrypt";
  const salt = randomBytes(32);
  const kdfparams: Record<string, unknown> = kdf === "scrypt"
    ? { dklen: 32, n: o.cost ?? 1 << 18, r: 8, p: 1, salt: salt.toString("hex") }
    : { dklen: 32, c: o.cost ?? 262_144, prf: "hmac-sha256", salt: salt.toString("hex") };
  const derived = deriveKey(password, kdf, kdfparams);
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-128-ctr", derived.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(privateKey.slice(2), "hex")), cipher.final()]);
  return {
    version: 3, id: randomUUID(), address: account.address.slice(2).toLowerCase(),
    crypto: { cipher: "aes-128-ctr", cipherparams: { iv: iv.toString("hex") }, ciphertext: ciphertext.toString("hex"), kdf, kdfparams, mac: macOf(derived, ciphertext).toString("hex") },
  };
}
