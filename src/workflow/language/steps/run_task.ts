/**
 * `run_task`: send a task to a running app and wait for its result.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import { optDuration, str } from "../step_util.ts";

const runTask: StepSpec = {
  type: "run_task",
  description: "Send a task (a payload) to a running app that serves tasks, and wait for its " +
    "result. A mapping or list payload is sent as JSON; the result stays text.",
  method: "runTask",
  // Posting a task twice is not harmless: retried only when nothing reached the server.
  idempotent: false,
  fields: {
    app: { type: "string", description: "The app serving the task.", required: true },
    data: {
      type: ["string", "object", "array", "number", "boolean"],
      description: "The payload (text, or a structure sent as JSON).",
      required: true,
    },
    timeout: {
      type: "duration",
      description: "How long the server waits for the result.",
      default: 300,
    },
  },
  outputs: { result: "The app's answer (text)." },
  requests: (a) => [
    { endpoint: "runTask", params: { name: a.app }, query: { timeout: "<timeout>" } },
  ],
  async run(ctx, args) {
    const data = typeof args.data === "string" ? args.data : JSON.stringify(args.data);
    const result = await ctx.client.runTask(str(args, "app"), data, {
      timeout: optDuration(args, "timeout"),
      signal: ctx.signal,
    });
    return { result };
  },
};

export default runTask;
