/**
 * The clean-up of one node: deleting the temporary apps it started (run apps after their
 * `wait`, and every one when the node fails or is interrupted), repeating what can pass on a
 * second try, and recording what is left behind, which is always printed and reported.
 *
 * @module
 */

import type { AppMeshClient } from "../../client/client.ts";
import { errorText } from "../load/errors.ts";
import type { Leftover } from "../report/report.ts";
import { CLEANUP_RETRY, formatMs, retryTransient } from "./retry.ts";
import { sleep } from "../../runtime/timers.ts";
import type { Masker } from "./secrets.ts";
import type { NodeInfo, WorkflowEvent } from "../language/spec.ts";

/** How long one deletion may take. */
const CLEANUP_TIMEOUT = 15_000;

/** How long the clean-up waits for a step that an interrupt left starting an app. */
const SETTLE_TIMEOUT = 5_000;

/** What the clean-up of a node works on (a part of the node's state). */
export interface CleanupCtx {
  /** The run: its events, its masker, and the signal that abandons the clean-up. */
  rs: {
    emit(e: Omit<WorkflowEvent, "time">): void;
    masker: Masker;
    abandon: AbortSignal;
  };
  node: NodeInfo;
  client: AppMeshClient;
  /** Temporary apps to delete if the node fails or is interrupted. */
  tracked: Set<string>;
  /** Temporary apps to delete whatever happens (a deletion that failed once). */
  doomed: Set<string>;
  /** What could not be deleted. */
  leftovers: Leftover[];
  /** Steps an interrupt stopped waiting for, which may still be starting an app. */
  abandoned: Promise<unknown>[];
}

/**
 * Deletes a temporary app now, repeating what can pass on a second try. Rejects with the last
 * error when it cannot, and keeps the app in `doomed` for the node's final clean-up.
 */
async function deleteTemporary(cc: CleanupCtx, name: string): Promise<void> {
  const { rs, node } = cc;
  try {
    await retryTransient(
      () =>
        cc.client.deleteApp(name, {
          signal: AbortSignal.any([rs.abandon, AbortSignal.timeout(CLEANUP_TIMEOUT)]),
        }),
      {
        signal: rs.abandon,
        onRetry: (e, next, delay) =>
          rs.emit({
            type: "log",
            node: node.name,
            status: "running",
            message: `deleting temporary app ${name} failed: ${errorText(e)}; ` +
              `attempt ${next}/${CLEANUP_RETRY.attempts} in ${formatMs(delay)}`,
          }),
      },
    );
  } catch (e) {
    cc.tracked.delete(name);
    cc.doomed.add(name);
    throw e;
  }
  cc.tracked.delete(name);
  cc.doomed.delete(name);
  rs.emit({ type: "log", node: node.name, message: `deleted temporary app ${name}` });
}

/** `StepContext.release`: {@linkcode deleteTemporary}, a failure printed, never thrown. */
export async function releaseApp(cc: CleanupCtx, name: string): Promise<boolean> {
  try {
    await deleteTemporary(cc, name);
    return true;
  } catch (e) {
    cc.rs.emit({
      type: "log",
      node: cc.node.name,
      status: "failure",
      message: `could not delete temporary app ${name} (tried again when the node ends): ${
        errorText(e)
      }`,
    });
    return false;
  }
}

/** Records an app left behind, and prints it. */
export function leave(cc: CleanupCtx, app: string, why: string): void {
  const { rs } = cc;
  rs.emit({
    type: "log",
    node: cc.node.name,
    status: "failure",
    message: `left behind: app ${app} (${why})`,
  });
  cc.leftovers.push({ node: cc.node.name, app: rs.masker.mask(app), error: rs.masker.mask(why) });
}

/**
 * The node's final clean-up: deletes its temporary apps when it failed or was interrupted
 * (`due`), and those whose deletion failed earlier; what still fails is left behind.
 */
export async function cleanupNode(cc: CleanupCtx, due: boolean): Promise<void> {
  const { rs } = cc;
  if (!(cc.doomed.size > 0 || (due && (cc.tracked.size > 0 || cc.abandoned.length > 0)))) return;
  // A step abandoned by an interrupt may still be starting an app: give it a moment.
  if (due && cc.abandoned.length && !rs.abandon.aborted) {
    await Promise.race([
      Promise.all(cc.abandoned),
      sleep(SETTLE_TIMEOUT, rs.abandon).catch(() => {}),
    ]);
  }
  for (const name of new Set([...cc.doomed, ...(due ? cc.tracked : [])])) {
    if (rs.abandon.aborted) {
      leave(cc, name, "temporary app not deleted: clean-up abandoned");
      continue;
    }
    try {
      await deleteTemporary(cc, name);
    } catch (e) {
      leave(cc, name, `could not delete temporary app: ${errorText(e)}`);
    }
  }
}
