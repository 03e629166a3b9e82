import { IpfsUriError } from "./errors.ts";

/**
 * ipfs://CID[/path] through an HTTP gateway (`<gateway>/ipfs/<CID>[/path]`, the path-style form every public
 * gateway and a local Kubo node serve). The CID is parsed before anything is fetched, so a mistyped URI fails
 * here and not as a gateway's 400: CIDv0 (base58btc "Qm...", a sha2-256 multihash) or CIDv1 in base32
 * ("b...", e.g. bafy...) or base16 ("f..."): version 1, a codec, and a multihash whose digest length is the
 * one it declares. The gateway is trusted for nothing: the caller checks what it serves against the
 * protocol's own hash (content/fetchContent.ts).
 */

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

function base58Decode(s: string): Uint8Array | undefined {
  let n = 0n;
  for (const c of s) {
    const v = BASE58.indexOf(c);
    if (v < 0) return undefined;
    n = n * 58n + BigInt(v);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  for (const c of s) {
    if (c !== "1") break;
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

function base32Decode(s: string): Uint8Array | undefined {
  const out: number[] = [];
  let bits = 0, value = 0;
  for (const c of s) {
    const v = BASE32.indexOf(c);
    if (v < 0) return undefined;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  // Unpadded base32: the leftover bits must be zero padding.
  if (bits >= 5 || (value & ((1 << bits) - 1)) !== 0) return undefined;
  return Uint8Array.from(out);
}

/** An unsigned varint at `at`: [value, next offset], or undefined when truncated or too long. */
function varint(b: Uint8Array, at: number): [number, number] | undefined {
  let v = 0;
  for (let i = 0; i < 9 && at + i < b.length; i++) {
    const byte = b[at + i]!;
    v += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return [v, at + i + 1];
  }
  return undefined;
}

/** Whether `b` is a CIDv1's binary form: 0x01, a codec, a multihash whose length matches its digest. */
function isCidV1(b: Uint8Array): boolean {
  const version = varint(b, 0);
  if (!version || version[0] !== 1) return false;
  const codec = varint(b, version[1]);
  if (!codec) return false;
  const hashCode = varint(b, codec[1]);
  if (!hashCode) return false;
  const len = varint(b, hashCode[1]);
  return len !== undefined && len[0] > 0 && b.length - len[1] === len[0];
}

/** The reason `cid` is not a CID, or undefined when it is one. */
export function cidProblem(cid: string): string | undefined {
  if (cid.startsWith("Qm")) {
    const b = /^Qm[1-9A-HJ-NP-Za-km-z]{44}$/.test(cid) ? base58Decode(cid) : undefined;
    return b && b.length === 34 && b[0] === 0x12 && b[1] === 0x20 ? undefined : "not a CIDv0 (Qm + 44 base58 characters: a sha2-256 multihash)";
  }
  if (cid.startsWith("b")) {
    const b = base32Decode(cid.slice(1));
    return b && isCidV1(b) ? undefined : "not a base32 CIDv1 (b + lowercase base32: version 1, a codec, a multihash)";
  }
  if (cid.startsWith("f")) {
    const hex = cid.slice(1);
    return /^([0-9a-f]{2})+$/.test(hex) && isCidV1(Buffer.from(hex, "hex")) ? undefined : "not a base16 CIDv1";
  }
  return "not a CID (CIDv0 Qm..., or CIDv1 in base32 b... or base16 f...)";
}

/** The gateway URL serving `ipfs://CID[/path]`: `<gateway>/ipfs/<CID>[/path]`. */
export function ipfsGatewayUrl(url: URL, gateway: string | undefined, what = "the content"): URL {
  const cid = url.hostname === "" ? url.pathname.replace(/^\/+/, "").split("/")[0]! : url.host;
  // ipfs://CID lower-cases nothing in Node's URL (a non-special scheme), but be safe about a trailing path.
  const rest = url.hostname === "" ? url.pathname.replace(/^\/+[^/]*/, "") : url.pathname;
  const problem = cidProblem(cid);
  if (problem) throw new IpfsUriError(`${what} URI ipfs://${cid.slice(0, 100)}: the CID is ${problem}`, { uri: url.href.slice(0, 200), reason: "bad-uri" });
  if (!gateway) throw new IpfsUriError(`${what} URI ipfs://${cid} needs an IPFS gateway to be read: set one (--ipfs-gateway URL, or the node config's ipfsGateway, e.g. https://ipfs.io or a local node's http://127.0.0.1:8080)`, { uri: url.href, reason: "unsupported" });
  let base: URL;
  try {
    base = new URL(gateway);
  } catch {
    throw new IpfsUriError(`the IPFS gateway ${JSON.stringify(gateway)} is not a URL`, { reason: "bad-uri" });
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new IpfsUriError(`the IPFS gateway ${gateway} must be an http(s) URL`, { reason: "bad-uri" });
  return new URL(`${base.pathname.replace(/\/+$/, "")}/ipfs/${cid}${rest}${url.search}`, base);
}
