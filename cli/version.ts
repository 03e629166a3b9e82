import { readFileSync } from "node:fs";

/** `veritrain --version`: the package's version, and the Node running it (Hardhat needs >= 22.13). */
export function versionLine(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { name: string; version: string };
  return `${pkg.name} ${pkg.version} (node ${process.versions.node})`;
}
