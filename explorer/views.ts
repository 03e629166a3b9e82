import type { Address } from "viem";
import { scheduledStep } from "../chain/checkpoints.ts";
import { JOB_STATUS, type JobStatusName } from "../chain/jobs.ts";
import type { JobEvent } from "../client/getJobEvents.ts";
import { type DisputeReport, disputesOf, summaryOf, verdictOf } from "../client/getVerificationReport.ts";
import { Party, Phase } from "../dispute/gameState.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import type { ChainHead, IndexedGame, IndexedJob } from "./chainIndex.ts";
import type { TrainingCurve } from "./curve.ts";
import { type NarrowingLevel, narrowing } from "./narrowing.ts";

/**
 * The explorer's data model: what each page shows, built from the chain index alone (pure functions, no
 * I/O), as JSON-ready objects (amounts in wei as decimal strings).
 */
const w = (x: bigint) => x.toString();
const HELD = new Set<JobStatusName>(["Open", "Assigned", "Committed"]);

export interface JobRow {
  readonly id: string;
  readonly status: JobStatusName;
  readonly client: Address;
  readonly solver?: Address;
  readonly escrow: string;
  readonly price?: string;
  readonly bond?: string;
  readonly steps: string;
  readonly checkpointInterval: string;
  readonly disputes: number;
  readonly disputesOpen: number;
  readonly postedBlock?: string;
}

export interface SolverRow {
  readonly address: Address;
  readonly bids: number;
  readonly jobsWon: number;
  readonly finalized: number;
  readonly failed: number;
  readonly slashed: number;
  /** Wei credited to its pull balance (payments, returned bonds, dispute winnings). */
  readonly credited: string;
}

export interface VerifierRow {
  readonly address: Address;
  readonly attestations: number;
  readonly intervalsAttested: number;
  readonly challenges: number;
  readonly won: number;
  readonly lost: number;
  readonly credited: string;
}

export interface NetworkView {
  readonly market: Address;
  readonly game: Address;
  readonly head?: { readonly block: string; readonly timestamp: string };
  readonly jobsByState: Readonly<Record<string, number>>;
  readonly jobs: readonly JobRow[];
  readonly solvers: readonly SolverRow[];
  readonly verifiers: readonly VerifierRow[];
  /** Escrow of jobs not yet settled (Open, Assigned, Committed). */
  readonly escrowHeld: string;
  /** Solver bonds of assigned and committed jobs, and of open auctions' best bids. */
  readonly solverBondsHeld: string;
  /** Challenger bonds of open games. */
  readonly challengeBondsHeld: string;
  /** Every wei the market's balance holds (escrow, bonds, and pull balances not yet withdrawn). */
  readonly marketBalance: string;
  readonly disputesOpen: number;
  readonly disputesTotal: number;
  /** Agreed prices of assigned jobs, in wei, and per step. */
  readonly prices: { readonly count: number; readonly min?: string; readonly median?: string; readonly max?: string; readonly medianPerStep?: string };
}

function assignedOf(events: readonly JobEvent[]) {
  return events.findLast((e): e is Extract<JobEvent, { kind: "assigned" }> => e.kind === "assigned");
}

function jobRow(j: IndexedJob): JobRow {
  const a = assignedOf(j.events);
  const lastBid = j.events.findLast((e): e is Extract<JobEvent, { kind: "bid" }> => e.kind === "bid");
  const disputes = disputesOf(j.job, j.events);
  const hasSolver = a !== undefined || j.job.hasBid;
  const posted = j.events.find((e) => e.kind === "posted");
  return {
    id: w(j.id), status: j.job.status, client: j.job.client, escrow: w(j.job.escrow), steps: w(j.job.steps), checkpointInterval: w(j.job.checkpointInterval),
    ...(hasSolver ? { solver: j.job.solver, price: w(j.job.price) } : {}),
    ...(a ? { bond: w(a.bond) } : lastBid ? { bond: w(lastBid.bond) } : {}),
    disputes: disputes.length, disputesOpen: disputes.filter((d) => d.outcome === "open").length,
    ...(posted ? { postedBlock: w(posted.blockNumber) } : {}),
  };
}

const median = (xs: bigint[]) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[Math.floor((xs.length - 1) / 2)]!;

export function networkView(o: { market: Address; game: Address; head: ChainHead | undefined; marketBalance: bigint; jobs: readonly IndexedJob[] }): NetworkView {
  const jobsByState: Record<string, number> = Object.fromEntries(JOB_STATUS.filter((s) => s !== "None").map((s) => [s, 0]));
  const solvers = new Map<Address, { bids: number; jobsWon: number; finalized: number; failed: number; slashed: number; credited: bigint }>();
  const verifiers = new Map<Address, { attestations: number; intervals: number; challenges: number; won: number; lost: number; credited: bigint }>();
  const solver = (a: Address) => solvers.get(a) ?? (solvers.set(a, { bids: 0, jobsWon: 0, finalized: 0, failed: 0, slashed: 0, credited: 0n }), solvers.get(a)!);
  const verifier = (a: Address) => verifiers.get(a) ?? (verifiers.set(a, { attestations: 0, intervals: 0, challenges: 0, won: 0, lost: 0, credited: 0n }), verifiers.get(a)!);
  let escrowHeld = 0n, solverBondsHeld = 0n, challengeBondsHeld = 0n, disputesOpen = 0, disputesTotal = 0;
  const prices: bigint[] = [], perStep: bigint[] = [];
  for (const j of o.jobs) {
    jobsByState[j.job.status] = (jobsByState[j.job.status] ?? 0) + 1;
    if (HELD.has(j.job.status)) escrowHeld += j.job.escrow;
    const a = assignedOf(j.events);
    if (a) {
      prices.push(a.price);
      if (j.job.steps > 0n) perStep.push(a.price / j.job.steps);
    }
    if ((j.job.status === "Assigned" || j.job.status === "Committed") && a) solverBondsHeld += a.bond;
    if (j.job.status === "Open") {
      const best = j.events.findLast((e): e is Extract<JobEvent, { kind: "bid" }> => e.kind === "bid");
      if (best && j.job.hasBid) solverBondsHeld += best.bond;
    }
    const disputes = disputesOf(j.job, j.events);
    disputesTotal += disputes.length;
    for (const d of disputes) {
      const v = verifier(d.challenger);
      v.challenges++;
      if (d.outcome === "open") {
        disputesOpen++;
        challengeBondsHeld += d.bond;
      }
      if (d.outcome === "challenger-won") v.won++;
      if (d.outcome === "solver-won") v.lost++;
    }
    const jobSolver = a?.solver;
    for (const e of j.events) {
      if (e.kind === "bid") solver(e.bidder).bids++;
      if (e.kind === "assigned") solver(e.solver).jobsWon++;
      if (e.kind === "finalized") solver(e.solver).finalized++;
      if (e.kind === "slashed") solver(e.solver).slashed++;
      if (e.kind === "failed" && jobSolver) solver(jobSolver).failed++;
      if (e.kind === "attested") {
        const v = verifier(e.verifier);
        v.attestations++;
        v.intervals += e.intervals.length;
      }
    }
    for (const e of j.events) {
      if (e.kind !== "credited") continue;
      if (solvers.has(e.account)) solver(e.account).credited += e.amount;
      if (verifiers.has(e.account)) verifier(e.account).credited += e.amount;
    }
  }
  return {
    market: o.market, game: o.game, ...(o.head ? { head: { block: w(o.head.block), timestamp: w(o.head.timestamp) } } : {}),
    jobsByState, jobs: o.jobs.map(jobRow).reverse(),
    solvers: [...solvers].map(([address, s]) => ({ address, ...s, credited: w(s.credited) })),
    verifiers: [...verifiers].map(([address, v]) => ({ address, attestations: v.attestations, intervalsAttested: v.intervals, challenges: v.challenges, won: v.won, lost: v.lost, credited: w(v.credited) })),
    escrowHeld: w(escrowHeld), solverBondsHeld: w(solverBondsHeld), challengeBondsHeld: w(challengeBondsHeld), marketBalance: w(o.marketBalance), disputesOpen, disputesTotal,
    prices: prices.length === 0 ? { count: 0 } : {
      count: prices.length, min: w(prices.reduce((a, b) => (a < b ? a : b))), max: w(prices.reduce((a, b) => (a > b ? a : b))), median: w(median(prices)), medianPerStep: w(median(perStep)),
    },
  };
}

/** What the explorer knows of a job's spec: fetched from its URI and checked against the committed hash, or why not. */
export type SpecInfo =
  | { readonly checked: true; readonly uri: string; readonly spec: TrainingSpec }
  | { readonly checked: false; readonly uri?: string; readonly error: string };

export interface CheckpointRow {
  readonly index: number;
  readonly step: number;
  readonly root: string;
  /** Verifiers that attested the interval ending at this checkpoint (index - 1 .. index). */
  readonly attestedBy: readonly Address[];
  /** Games opened on the interval ending here. */
  readonly challengedIn: readonly string[];
}

export interface JobView {
  readonly row: JobRow;
  readonly verdict: string;
  /** client/getVerificationReport's honest sentence: what the verdict does and does not mean. */
  readonly summary: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly roots: Readonly<Record<string, string>>;
  readonly spec: { readonly checked: boolean; readonly uri?: string; readonly error?: string; readonly layers?: readonly number[]; readonly batchSize?: number; readonly data?: { root: string; count: number; features: number; classes: number } };
  readonly bids: readonly { readonly bidder: Address; readonly price: string; readonly bond: string; readonly block: string; readonly outbid: boolean }[];
  readonly commit?: { readonly solver: Address; readonly block: string; readonly modelURI: string; readonly challengeDeadline: string; readonly historyRoot: string; readonly finalRoot: string };
  readonly checkpoints: readonly CheckpointRow[];
  readonly attestations: readonly { readonly verifier: Address; readonly intervals: readonly string[]; readonly block: string }[];
  readonly disputes: readonly (Omit<DisputeReport, "gameId" | "bond" | "loIndex" | "loStep" | "hiStep"> & { gameId: string; bond: string; loIndex: string; loStep: string; hiStep: string; phase?: string })[];
  readonly payments: readonly { readonly account: Address; readonly role: string; readonly amount: string; readonly block: string }[];
  readonly events: readonly (Record<string, unknown> & { kind: string; block: string })[];
  readonly curve?: TrainingCurve;
}

const PHASE_NAMES = Object.fromEntries(Object.entries(Phase).map(([k, v]) => [v, k])) as Record<number, string>;

/** A JobEvent as JSON (bigints as decimal strings, position as `block`). */
export function eventJson(e: JobEvent): Record<string, unknown> & { kind: string; block: string } {
  const { blockNumber, logIndex: _l, transactionHash, ...rest } = e;
  return { ...(JSON.parse(JSON.stringify(rest, (_k, v) => (typeof v === "bigint" ? v.toString() : v))) as Record<string, unknown>), kind: e.kind, block: w(blockNumber), tx: transactionHash };
}

export function jobView(j: IndexedJob, o: { spec?: SpecInfo; games: readonly IndexedGame[]; curve?: TrainingCurve; treasury?: Address }): JobView {
  const job = j.job;
  const disputes = disputesOf(job, j.events);
  const attestations = j.events.flatMap((e) => (e.kind === "attested" ? [e] : []));
  const committed = j.events.findLast((e): e is Extract<JobEvent, { kind: "committed" }> => e.kind === "committed");
  const total = committed ? BigInt(committed.roots.length - 1) : 0n;
  const verdict = verdictOf(job.status, disputes);
  const summary = summaryOf(verdict, job.status, disputes, attestations.map((a) => ({ verifier: a.verifier, intervals: a.intervals, blockNumber: a.blockNumber })), total, { checked: false, verified: false });
  const a = assignedOf(j.events);
  const role = (acct: Address) => (acct === job.client ? "client" : acct === (a?.solver ?? job.solver) ? "solver" : disputes.some((d) => d.challenger === acct) ? "challenger" : acct === o.treasury ? "treasury" : "other");
  const steps = Number(job.steps), interval = Number(job.checkpointInterval);
  const spec = o.spec;
  return {
    row: jobRow(j),
    verdict,
    summary,
    params: {
      steps, checkpointInterval: interval, requiredBond: w(job.requiredBond), challengeBond: w(job.challengeBond), firstCome: job.firstCome, bidDuration: Number(job.bidDuration),
      commitDuration: Number(job.commitDuration), challengeWindow: Number(job.challengeWindow), clockDuration: Number(job.clockDuration), sampleBps: job.sampleBps,
      postedAt: Number(job.postedAt), assignedAt: Number(job.assignedAt), committedAt: Number(job.committedAt),
    },
    roots: { specHash: job.specHash, programRoot: job.programRoot, initialRoot: job.initialRoot, datasetRoot: job.datasetRoot, historyRoot: job.historyRoot, finalRoot: job.finalRoot },
    spec: spec === undefined ? { checked: false, error: "not fetched yet" } : spec.checked
      ? { checked: true, uri: spec.uri, ...(spec.spec.version === 1 ? { layers: spec.spec.model.layers } : {}), batchSize: spec.spec.training.batchSize, data: { ...spec.spec.data } }
      : { checked: false, ...(spec.uri ? { uri: spec.uri } : {}), error: spec.error },
    bids: j.events.flatMap((e, k) => (e.kind === "bid"
      ? [{ bidder: e.bidder, price: w(e.price), bond: w(e.bond), block: w(e.blockNumber), outbid: j.events.slice(k + 1).some((x) => x.kind === "outbid" && x.bidder === e.bidder) }]
      : [])),
    ...(committed ? { commit: { solver: committed.solver, block: w(committed.blockNumber), modelURI: committed.modelURI, challengeDeadline: w(committed.challengeDeadline), historyRoot: committed.historyRoot, finalRoot: committed.finalRoot } } : {}),
    checkpoints: (committed?.roots ?? []).map((root, i) => ({
      index: i, step: scheduledStep(i, steps, interval), root,
      attestedBy: i === 0 ? [] : attestations.filter((x) => x.intervals.includes(BigInt(i - 1))).map((x) => x.verifier),
      challengedIn: i === 0 ? [] : disputes.filter((d) => d.loIndex === BigInt(i - 1)).map((d) => w(d.gameId)),
    })),
    attestations: attestations.map((x) => ({ verifier: x.verifier, intervals: x.intervals.map(w), block: w(x.blockNumber) })),
    disputes: disputes.map((d) => {
      const g = o.games.find((x) => x.gameId === d.gameId);
      return { ...d, gameId: w(d.gameId), bond: w(d.bond), loIndex: w(d.loIndex), loStep: w(d.loStep), hiStep: w(d.hiStep), ...(g ? { phase: PHASE_NAMES[g.state.phase] ?? String(g.state.phase) } : {}) };
    }),
    payments: j.events.flatMap((e) => (e.kind === "credited" ? [{ account: e.account, role: role(e.account), amount: w(e.amount), block: w(e.blockNumber) }] : [])),
    events: j.events.map(eventJson),
    ...(o.curve ? { curve: o.curve } : {}),
  };
}

export interface GameViewJson {
  readonly gameId: string;
  readonly jobId: string;
  readonly phase: string;
  readonly over: boolean;
  readonly level: number;
  readonly solver: Address;
  readonly challenger: Address;
  readonly interval?: { readonly loIndex: string; readonly loStep: string; readonly hiStep: string; readonly claimedRoot: string; readonly bond: string };
  /**
   * Both chess clocks at the chain time of the state read: seconds left for each party (the mover's runs),
   * the deadline of the current move, and whose turn it is.
   */
  readonly clocks: {
    readonly duration: number; readonly chainTime: number; readonly readAtBlock: string; readonly turn: "solver" | "challenger" | "none";
    readonly solverLeft: number; readonly challengerLeft: number; readonly deadline: number; readonly settlementLeft?: number;
  };
  readonly levels: readonly NarrowingLevel[];
  readonly moves: readonly { readonly level: number; readonly label: string; readonly by: string; readonly gasUsed: string; readonly tx: string; readonly block: string; readonly calldataBytes: number }[];
  readonly gasPerLevel: Readonly<Record<string, string>>;
  readonly totalGas: string;
  readonly outcome?: { readonly winner: "solver" | "challenger"; readonly winnerAddress: Address; readonly reason: string; readonly chainSeconds?: number };
}

/** Addresses compare case-insensitively (a transaction's sender comes back lowercase, the game's checksummed). */
const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function gameView(g: IndexedGame, dispute: DisputeReport | undefined): GameViewJson {
  const s = g.state, now = Number(g.readAt.timestamp), duration = Number(s.clockDuration);
  const over = s.phase === Phase.Resolved || s.phase === Phase.Aborted;
  const turn = s.turn === Party.Solver ? "solver" : s.turn === Party.Challenger ? "challenger" : "none";
  const running = (used: bigint, mine: boolean) => Math.max(0, duration - Number(used) - (mine && !over ? Math.max(0, now - Number(s.lastMove)) : 0));
  const loStep = dispute ? Number(dispute.loStep) : Number(s.loStep), hiStep = dispute ? Number(dispute.hiStep) : Number(s.hiStep);
  const out = g.summary.outcome;
  return {
    gameId: w(g.gameId), jobId: w(g.jobId), phase: PHASE_NAMES[s.phase] ?? String(s.phase), over, level: s.level, solver: s.solver, challenger: s.challenger,
    ...(dispute ? { interval: { loIndex: w(dispute.loIndex), loStep: w(dispute.loStep), hiStep: w(dispute.hiStep), claimedRoot: dispute.claimedRoot, bond: w(dispute.bond) } } : {}),
    clocks: {
      duration, chainTime: now, readAtBlock: w(g.readAt.block), turn, deadline: Number(s.deadline),
      solverLeft: running(s.solverUsed, turn === "solver"), challengerLeft: running(s.challengerUsed, turn === "challenger"),
      ...(s.phase === Phase.Settlement ? { settlementLeft: Math.max(0, Number(s.deadline) - now) } : {}),
    },
    levels: narrowing(g.summary.moves, loStep, hiStep, s.phase >= Phase.SolverDataRoot && s.phase !== Phase.Aborted && g.summary.moves.some((m) => m.level >= 3) ? s.depth : undefined, s),
    moves: g.summary.moves.map((m) => ({ level: m.level, label: m.label, by: m.by !== "anyone" ? m.by : sameAddress(m.from, s.solver) ? "solver" : sameAddress(m.from, s.challenger) ? "challenger" : "anyone", gasUsed: w(m.gasUsed), tx: m.tx, block: w(m.block), calldataBytes: m.calldataBytes })),
    gasPerLevel: Object.fromEntries(Object.entries(g.summary.gasPerLevel).map(([k, v]) => [k, w(v)])),
    totalGas: w(g.summary.totalGas),
    ...(out ? { outcome: { winner: out.solverWon ? "solver" : "challenger", winnerAddress: out.solverWon ? s.solver : s.challenger, reason: out.reason, ...(g.summary.chainSeconds !== undefined ? { chainSeconds: g.summary.chainSeconds } : {}) } } : {}),
  };
}
