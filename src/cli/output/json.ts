/**
 * `--json`: every event as one JSON object on its own line, exactly the objects
 * `runWorkflow`'s `onEvent` receives (already masked by the engine).
 *
 * @module
 */

import type { Renderer } from "./format.ts";

/** A renderer that writes one JSON line per event. */
export function jsonRenderer(
  write: (line: string) => void = (l) => console.log(l),
): Renderer {
  return {
    event: (e) => write(JSON.stringify(e)),
    close() {},
  };
}
