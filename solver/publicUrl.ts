/**
 * Why the base URL a solver commits on chain (serve.publicUrl, else the store server's own address) may be
 * unreachable for the client and the verifiers, or undefined when nothing looks wrong. The URL is public
 * record once committed: a model at an example host or at this machine's loopback can never be fetched by
 * anyone else. A heuristic, so the node warns and carries on (a test network may be all on one machine).
 */
const EXAMPLE = /(^|\.)(example\.(com|org|net)|example|invalid|test)$/i;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?)$/i;
const ANY = /^(0\.0\.0\.0|\[?::\]?)$/;

export function publicUrlProblem(base: string, rpcUrl: string | undefined, configured: boolean): string | undefined {
  let host: string;
  try {
    host = new URL(base).hostname;
  } catch {
    return `${base} is not a URL`;
  }
  const fix = configured ? "set serve.publicUrl to an address the client and the verifiers can reach" : "set serve.publicUrl (and serve.host) to an address the client and the verifiers can reach";
  if (EXAMPLE.test(host)) return `${host} is a reserved example name: nobody can fetch the model from it; ${fix}`;
  if (ANY.test(host)) return `${host} is a listening address, not one others can connect to; ${fix}`;
  if (LOOPBACK.test(host) && rpcUrl !== undefined) {
    let rpcHost: string | undefined;
    try {
      rpcHost = new URL(rpcUrl).hostname;
    } catch {
      rpcHost = undefined;
    }
    if (rpcHost !== undefined && !LOOPBACK.test(rpcHost)) return `${host} is this machine only, but the chain (${rpcHost}) is remote: the client and verifiers elsewhere cannot fetch the model; ${fix}`;
  }
  return undefined;
}
