import type { Address, Chain, Client, Transport } from "viem";
import { fetchSpec } from "../content/fetchSpec.ts";
import { SpecFetchError } from "../content/errors.ts";
import { disputesOf } from "../client/getVerificationReport.ts";
import type { Logger } from "../log/logger.ts";
import { sleep } from "../core/sleep.ts";
import { ChainIndex } from "./chainIndex.ts";
import { CurveBuilder, type HeldoutSet } from "./curve.ts";
import { type GameViewJson, gameView, type JobView, jobView, type NetworkView, networkView, type SpecInfo } from "./views.ts";

/**
 * The explorer's read side: the chain index polled on a cursor (a round per `pollMs`, a new round only reads
 * the new blocks), each job's spec fetched once from its URI and checked against its committed hash
 * (content/fetchSpec.ts, as the client does), the verified training curves, and the views the API serves.
 * Listeners hear of every new block that was indexed (the page's server-sent events).
 */
export interface ExplorerOptions {
  readonly client: Client<Transport, Chain | undefined>;
  readonly market: Address;
  readonly game: Address;
  readonly fromBlock?: bigint;
  readonly heldout: readonly HeldoutSet[];
  readonly pollMs?: number;
  /**
   * Whether file:// spec URIs are read (the local flow publishes specs as files). Only for a page served on
   * loopback: a spec URI is anyone's text, and what a file holds (or an error quoting it) must not reach
   * another machine's browser.
   */
  readonly readLocalFiles: boolean;
  readonly log: Logger;
}

/** A failed spec fetch is tried again after this long. */
const SPEC_RETRY_MS = 15_000;

export class Explorer {
  readonly index: ChainIndex;
  readonly curves: CurveBuilder;
  readonly #o: ExplorerOptions;
  readonly #specs = new Map<bigint, SpecInfo & { at: number }>();
  readonly #listeners = new Set<(block: bigint) => void>();
  #lastError: string | undefined;

  constructor(o: ExplorerOptions) {
    this.#o = o;
    this.index = new ChainIndex({ client: o.client, market: o.market, game: o.game, ...(o.fromBlock !== undefined ? { fromBlock: o.fromBlock } : {}) });
    this.curves = new CurveBuilder({ heldout: o.heldout, log: o.log });
  }

  /** The last poll's failure (the page shows it), undefined after a good round. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  onBlock(f: (block: bigint) => void): () => void {
    this.#listeners.add(f);
    return () => this.#listeners.delete(f);
  }

  /** One round: index the new blocks, fetch missing specs, tell the listeners. */
  async poll(): Promise<boolean> {
    const fresh = await this.index.poll();
    if (!fresh) return false;
    await Promise.all(this.index.jobs().map((j) => this.#spec(j.id)));
    for (const f of this.#listeners) f(this.index.head!.block);
    return true;
  }

  /** Polls until the signal aborts; a failed round is logged (once per distinct error) and retried. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.poll();
        if (this.#lastError) this.#o.log.info({}, "chain reads work again");
        this.#lastError = undefined;
      } catch (e) {
        const msg = (e as Error).message.split("\n")[0]!;
        if (msg !== this.#lastError) this.#o.log.warn({ err: msg }, "reading the chain failed; retrying on the next poll");
        this.#lastError = msg;
      }
      await sleep(this.#o.pollMs ?? 1_000, signal).catch(() => {});
    }
  }

  /** Fetches the job's spec unless it is known (or failed less than SPEC_RETRY_MS ago); the jobs' fetches run together. */
  async #spec(id: bigint): Promise<void> {
    const known = this.#specs.get(id);
    if (known && (known.checked || Date.now() - known.at < SPEC_RETRY_MS)) return;
    const j = this.index.job(id)!;
    const posted = j.events.find((e) => e.kind === "posted");
    if (posted?.kind !== "posted") {
      this.#specs.set(id, { checked: false, error: "no JobPosted event in the blocks read (is --from-block after the job was posted?)", at: Date.now() });
      return;
    }
    const uri = posted.params.specURI;
    if (/^file:/i.test(uri) && !this.#o.readLocalFiles) {
      this.#specs.set(id, { checked: false, uri, error: "a file:// spec URI is read only by an explorer served on loopback (--host 127.0.0.1)", at: Date.now() });
      return;
    }
    try {
      const spec = await fetchSpec({ uri, specHash: j.job.specHash, timeoutMs: 10_000 });
      this.#specs.set(id, { checked: true, uri, spec, at: Date.now() });
    } catch (e) {
      if (!(e instanceof SpecFetchError)) throw e;
      this.#specs.set(id, { checked: false, uri, error: e.message, at: Date.now() });
    }
  }

  network(): NetworkView {
    const i = this.index;
    return networkView({ market: i.market, game: i.game, head: i.head, marketBalance: i.marketBalance, jobs: i.jobs() });
  }

  /** Undefined for a job the index has not seen. */
  job(id: bigint): JobView | undefined {
    const j = this.index.job(id);
    if (!j) return undefined;
    const spec = this.#specs.get(id);
    const committed = j.events.findLast((e) => e.kind === "committed");
    const curve = spec?.checked && committed?.kind === "committed"
      ? this.curves.curve({ jobId: id, spec: spec.spec, roots: committed.roots, steps: Number(j.job.steps), checkpointInterval: Number(j.job.checkpointInterval), modelURI: committed.modelURI })
      : undefined;
    return jobView(j, { ...(spec ? { spec } : {}), games: this.index.games().filter((g) => g.jobId === id), ...(curve ? { curve } : {}), ...(this.index.treasury ? { treasury: this.index.treasury } : {}) });
  }

  /** Undefined for a game the index has not seen. */
  game(id: bigint): GameViewJson | undefined {
    const g = this.index.gameById(id);
    if (!g) return undefined;
    const j = this.index.job(g.jobId);
    const d = j ? disputesOf(j.job, j.events).find((x) => x.gameId === id) : undefined;
    return gameView(g, d);
  }
}
