import { readFile } from "node:fs/promises";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { accountFromEnv, PRIVATE_KEY_ENV } from "../cli/commands/deploy.ts";
import type { SolverConfig } from "./config.ts";
import { KeystoreError } from "./errors.ts";
import { decryptKeystore } from "./keystore.ts";

/** The keystore password's environment variable (else config `keystorePasswordFile`). */
export const KEYSTORE_PASSWORD_ENV = "VERITRAIN_KEYSTORE_PASSWORD";

/**
 * The solver's account: from config `keystore` (decrypted with the password from VERITRAIN_KEYSTORE_PASSWORD
 * or `keystorePasswordFile`) or else from VERITRAIN_PRIVATE_KEY. Both at once is refused as ambiguous.
 */
export async function loadSolverAccount(cfg: SolverConfig, env: NodeJS.ProcessEnv = process.env): Promise<PrivateKeyAccount> {
  if (!cfg.keystore) return accountFromEnv(env);
  if (env[PRIVATE_KEY_ENV]) throw new KeystoreError(`both ${PRIVATE_KEY_ENV} and a keystore are configured: use one`);
  let text: string;
  try {
    text = await readFile(cfg.keystore, "utf8");
  } catch (e) {
    throw new KeystoreError(`cannot read the keystore ${cfg.keystore}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let password = env[KEYSTORE_PASSWORD_ENV];
  if (password === undefined && cfg.keystorePasswordFile) {
    try {
      // A trailing newline is the editor's, not the password's.
      password = (await readFile(cfg.keystorePasswordFile, "utf8")).replace(/\r?\n$/, "");
    } catch (e) {
      throw new KeystoreError(`cannot read the keystore password file ${cfg.keystorePasswordFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  if (password === undefined) throw new KeystoreError(`the keystore needs a password: set ${KEYSTORE_PASSWORD_ENV} or config keystorePasswordFile`);
  return privateKeyToAccount(decryptKeystore(text, password));
}
