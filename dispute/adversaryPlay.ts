// TEST-ONLY: the game play of a lying node (the adversary switches of solver/adversary.ts and
// verifier/adversary.ts, refused unless VERITRAIN_TEST_ADVERSARY=1). It is playGame with one of these lies:
//   stallAfterMoves   stop moving after that many moves, then wait until the game is over (lost on the clock);
//   replaySettlement  at settlement, submit settle call data that is valid for another op entry of the
//                     disputed step (the settlement of another dispute), then carry on;
//   falseSettle       at settlement, settle with its own (false) claim's operands anyway.
// Every lie is logged. Honest nodes never reach this file.
import { writeContract } from "viem/actions";
import { disputeGameAbi } from "../chain/generated/contracts.ts";
import { shortReason } from "../chain/errors.ts";
import { sleep } from "../core/sleep.ts";
import type { Logger } from "../log/logger.ts";
import { isOver, Phase } from "./gameState.ts";
import { gameOutcome, playGame, readGame } from "./playGame.ts";
import { gameEvents } from "./gameEvents.ts";
import { detectKernel, settleCall } from "./settleCall.ts";
import { solverTraceCopy } from "./solverTrace.ts";
import { trueValueOf } from "./trueValue.ts";

export interface PlayLies {
  readonly stallAfterMoves?: number;
  readonly replaySettlement?: boolean;
  readonly falseSettle?: boolean;
}

export function lyingPlay(lies: PlayLies, log: Logger): typeof playGame {
  if (lies.stallAfterMoves === undefined && !lies.replaySettlement && !lies.falseSettle) return playGame;
  return async (o) => {
    const l = log.child({ adversary: true, gameId: o.gameId.toString(), side: o.side });
    const inner = new AbortController();
    const outer = o.signal;
    outer?.addEventListener("abort", () => inner.abort(), { once: true });
    const send = async (what: string, functionName: "settle", args: readonly unknown[]) => {
      try {
        await writeContract(o.client, { address: o.game, abi: disputeGameAbi, functionName: functionName as never, args: args as never, account: o.client.account!, chain: o.client.chain });
        l.error(`ADVERSARY: ${what} was accepted`);
      } catch (e) {
        l.warn({ err: shortReason(e) }, `ADVERSARY: ${what}; refused`);
      }
    };
    let moves = 0, settleLie = false, stalled = false;
    const stall = (why: string) => {
      if (stalled) return;
      stalled = true;
      l.warn({ moves }, `ADVERSARY: stalling (${why}): no more moves in this game`);
      inner.abort();
    };
    const watch = (async () => {
      while (!inner.signal.aborted) {
        const st = await readGame(o.client, o.game, o.gameId);
        if (isOver(st.phase)) return;
        if (st.phase === Phase.Settlement && !settleLie && (lies.replaySettlement || lies.falseSettle)) {
          settleLie = true;
          const kernel = await detectKernel(o.client, o.game);
          // The challenger opens earlier entries in its copy of the solver's trace, as playGame does.
          const solverTrace = o.side === "challenger"
            ? solverTraceCopy(await o.view.trace(Number(st.hiStep)), st.solverTrace, st.entry, await gameEvents(o.client, o.game, o.gameId, o.fromBlock ?? 0n).solverTraceReveals())
            : undefined;
          if (lies.replaySettlement) {
            // A settlement that is valid in another dispute: one that ended on another op entry of this step.
            const E = o.view.program.header.entries;
            const k = st.entry >= 4 ? st.entry - 1 : st.entry + 1 < E - 1 ? st.entry + 1 : st.entry;
            const code = o.view.program.entries[k]!.code;
            const other = { ...st, entry: k, element: 0n, code, termLo: 0n, termHi: 0n, termCount: 0n, accIn: 0n };
            const value = (await trueValueOf(o.view, other).catch(() => undefined)) ?? st.solverNode;
            const call = await settleCall(o.view, other, kernel, { value, ...(solverTrace ? { solverTrace } : {}) }).catch(() => undefined);
            if (call) await send("replayed another dispute's settlement", "settle", [o.gameId, call.operands, call.proof]);
          }
          if (lies.falseSettle) {
            const call = await settleCall(o.view, st, kernel, { value: st.solverNode }).catch(() => undefined);
            await send("settled a false claim", "settle", [o.gameId, call?.operands ?? "0x", call?.proof ?? "0x"]);
          }
        }
        // A settlement lie must land before the honest side settles: look often.
        await sleep(lies.replaySettlement || lies.falseSettle ? 20 : (o.pollMs ?? 500), inner.signal);
      }
    })();
    try {
      return await playGame({
        ...o, signal: inner.signal,
        onProgress: (e) => {
          o.onProgress?.(e);
          if (e.kind === "move" && lies.stallAfterMoves !== undefined && ++moves >= lies.stallAfterMoves) stall(`after ${moves} moves`);
        },
      });
    } catch (e) {
      if (outer?.aborted || !inner.signal.aborted) throw e;
      // Stalled: wait without moving until the game is over (the other side times us out).
      for (;;) {
        if (outer?.aborted) throw e;
        const st = await readGame(o.client, o.game, o.gameId);
        if (isOver(st.phase)) return gameOutcome(o.client, o.game, o.gameId, st, o.fromBlock ?? 0n);
        await sleep(o.pollMs ?? 500, outer);
      }
    } finally {
      inner.abort();
      await watch.catch(() => {});
    }
  };
}
