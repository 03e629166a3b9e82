// Hardhat 3 configuration (ESM).
//
// The Solidity compiler is used fully offline: instead of letting Hardhat
// download solc, we point it at the WASM build shipped by the npm `solc`
// package, and take the version from that package so the two never drift.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { defineConfig } from "hardhat/config";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatNodeTestRunner from "@nomicfoundation/hardhat-node-test-runner";

const require = createRequire(import.meta.url);
const solcJsonPath = require.resolve("solc/package.json");
const solcVersion: string = JSON.parse(readFileSync(solcJsonPath, "utf8")).version;
const soljsonPath = require.resolve("solc/soljson.js");

export default defineConfig({
  plugins: [hardhatViem, hardhatNodeTestRunner],
  solidity: {
    version: solcVersion,
    path: soljsonPath,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // Prague is supported by solc >= 0.8.29 and by EDR (whose default
      // hardfork, Osaka, is a superset for our purposes).
      evmVersion: "prague",
    },
  },
  paths: {
    sources: "./contracts",
    tests: {
      nodejs: "./test/contracts",
    },
  },
});
