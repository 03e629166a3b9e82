import { readFile } from "node:fs/promises";
import type { Hex } from "viem";
import { nonceManager } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { InvalidPrivateKeyError, KeystoreError, MissingPrivateKeyError } from "./errors.ts";

/**
 * Where every role's signing key comes from: the environment (never a flag: it would land in shell histories
 * and `ps`), or an encrypted keystore (chain/keystore.ts) with its password in the environment or a file.
 * No error ever contains the key or the password.
 */

/** The environment variable holding the account's private key. */
export const PRIVATE_KEY_ENV = "VERITRAIN_PRIVATE_KEY";
/** The keystore password's environment variable (else the node's `keystorePasswordFile`). */
export const KEYSTORE_PASSWORD_ENV = "VERITRAIN_KEYSTORE_PASSWORD";

/** Whose key is asked for, named in the error when it is missing: "deployer", "client", "solver"... */
export interface KeyUse {
  readonly role?: string;
  /** A node may have a keystore instead: the error says so. */
  readonly keystoreAlternative?: boolean;
}

/** The private key in PRIVATE_KEY_ENV, checked (32 bytes of hex, optional 0x) and normalized to lowercase 0x hex. */
export function privateKeyFromEnv(env: NodeJS.ProcessEnv = process.env, use: KeyUse = {}): Hex {
  const raw = env[PRIVATE_KEY_ENV]?.trim();
  if (raw === undefined || raw === "") throw new MissingPrivateKeyError(PRIVATE_KEY_ENV, use.role, use.keystoreAlternative);
  const hex = raw.startsWith("0x") || raw.startsWith("0X") ? raw.slice(2) : raw;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new InvalidPrivateKeyError(PRIVATE_KEY_ENV, `expected 32 bytes of hex (64 hex characters, optional 0x prefix), got ${hex.length} characters${/^[0-9a-fA-F]*$/.test(hex) ? "" : " with non-hex ones"}`);
  }
  return `0x${hex.toLowerCase()}`;
}

/**
 * The account whose key is in PRIVATE_KEY_ENV. Every account of a node carries viem's nonce manager: a node
 * sends from several tasks at once (games, challenges, withdrawals), and each send must take its own nonce.
 */
export function accountFromEnv(env: NodeJS.ProcessEnv = process.env, use: KeyUse = {}): PrivateKeyAccount {
  const key = privateKeyFromEnv(env, use);
  try {
    return privateKeyToAccount(key, { nonceManager });
  } catch {
    throw new InvalidPrivateKeyError(PRIVATE_KEY_ENV, "the value is not a valid secp256k1 private key (zero or not below the curve order)");
  }
}

/** Where a node's key comes from (its config): a keystore file and, optionally, a file holding its password. */
export interface KeySource {
  readonly keystore?: string | undefined;
  readonly keystorePasswordFile?: string | undefined;
}

/**
 * A node's account: from `keystore` (decrypted with the password from VERITRAIN_KEYSTORE_PASSWORD or
 * `keystorePasswordFile`) or else from VERITRAIN_PRIVATE_KEY. Both at once is refused as ambiguous.
 */
export async function loadAccount(src: KeySource, env: NodeJS.ProcessEnv = process.env, role?: string): Promise<PrivateKeyAccount> {
  if (!src.keystore) return accountFromEnv(env, { ...(role === undefined ? {} : { role }), keystoreAlternative: true });
  if (env[PRIVATE_KEY_ENV]) throw new KeystoreError(`both ${PRIVATE_KEY_ENV} and a keystore are configured: use one`);
  let text: string;
  try {
    text = await readFile(src.keystore, "utf8");
  } catch (e) {
    throw new KeystoreError(`cannot read the keystore ${src.keystore}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let password = env[KEYSTORE_PASSWORD_ENV];
  if (password === undefined && src.keystorePasswordFile) {
    try {
      // A trailing newline is the editor's, not the password's.
      password = (await readFile(src.keystorePasswordFile, "utf8")).replace(/\r?\n$/, "");
    } catch (e) {
      throw new KeystoreError(`cannot read the keystore password file ${src.keystorePasswordFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (password === undefined) throw new KeystoreError(`the keystore needs a password: set ${KEYSTORE_PASSWORD_ENV} or config keystorePasswordFile`);
  // Loaded on use: the CLI's other commands need no KDF.
  const { decryptKeystore } = await import("./keystore.ts");
  return privateKeyToAccount(decryptKeystore(text, password), { nonceManager });
}
