/**
 * Loading a workflow: a YAML file or text, or a plain object built in code, parsed and
 * validated at once. Every function throws a {@linkcode WorkflowError} holding every issue.
 *
 * @module
 */

import type { StepSpec, Workflow } from "../language/spec.ts";
import { WorkflowError } from "./errors.ts";
import { parseYaml } from "./yaml.ts";
import { fromPlain } from "./tree.ts";
import { Locator } from "./locator.ts";
import { validateTree } from "./validate.ts";
import type { Inventory } from "../inventory/inventory.ts";

/** Options of {@linkcode parseWorkflow} and {@linkcode validateWorkflowObject}. */
export interface ParseOptions {
  /** The file name shown in errors (and the default workflow name). */
  file?: string;
  /** The step types (default: the registry of `steps/mod.ts`). */
  registry?: Readonly<Record<string, StepSpec>>;
  /** The inventory it will run with: names in `nodes:` and `node.vars.NAME` are checked. */
  inventory?: Inventory;
  /**
   * The largest workflow accepted, in bytes (default {@linkcode MAX_WORKFLOW_BYTES}, 1 MiB):
   * a bigger one is refused before it is parsed.
   */
  maxBytes?: number;
}

/**
 * The default size limit of a workflow file: 1 MiB, a hundred times a large workflow. Parsing
 * costs about a second and 100 MB per MiB of YAML, so a hostile file stays within seconds.
 */
const MAX_WORKFLOW_BYTES: number = 1024 * 1024;

/** Options of {@linkcode loadWorkflow}. */
export interface LoadOptions {
  /**
   * The environment. Validation does not need it (`env.X` is checked when the run resolves
   * it), so it is accepted for symmetry with the runner and not read.
   */
  env?: Record<string, string>;
  /** The step types (default: the registry of `steps/mod.ts`). */
  registry?: Readonly<Record<string, StepSpec>>;
  /** See {@linkcode ParseOptions.maxBytes}. */
  maxBytes?: number;
  /** See {@linkcode ParseOptions.inventory}. */
  inventory?: Inventory;
}

function tooBig(file: string | undefined, size: string, max: number): WorkflowError {
  return new WorkflowError([{
    ...(file === undefined ? {} : { file }),
    line: 0,
    col: 0,
    message: `the workflow is ${size}; at most ${max} bytes are accepted (maxBytes)`,
  }]);
}

/**
 * Parses and validates workflow YAML text.
 *
 * @example
 * ```ts
 * import { parseWorkflow } from "./load.ts";
 * const wf = parseWorkflow("steps:\n  - logout:\n", { file: "bye.yaml" });
 * wf.name; // "bye"
 * wf.steps[0].type; // "logout"
 * ```
 */
export function parseWorkflow(source: string, options: ParseOptions = {}): Workflow {
  const max = options.maxBytes ?? MAX_WORKFLOW_BYTES;
  // UTF-8 takes at least one byte per UTF-16 unit: more units than `max` is too big for sure.
  if (source.length > max) throw tooBig(options.file, `${source.length} characters`, max);
  const { root, issues, locator } = parseYaml(source, { file: options.file });
  if (issues.length && !root) {
    locator.redact(issues);
    throw new WorkflowError(issues);
  }
  const result = validateTree(root, locator, options);
  const all = [...issues, ...result.issues];
  locator.redact(all);
  if (all.length || !result.workflow) throw new WorkflowError(all);
  return result.workflow;
}

/**
 * Reads, parses and validates a workflow file.
 *
 * @example
 * ```ts ignore
 * import { loadWorkflow } from "./load.ts";
 * const wf = await loadWorkflow("workflows/demo.yaml");
 * console.log(wf.steps.length);
 * ```
 */
export async function loadWorkflow(path: string, options: LoadOptions = {}): Promise<Workflow> {
  const max = options.maxBytes ?? MAX_WORKFLOW_BYTES;
  const { fileProblem, readBytesAtMost } = await import("../../runtime/fs.ts");
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readBytesAtMost(path, max);
  } catch (e) {
    const why = fileProblem(e);
    throw new WorkflowError([{
      file: path,
      line: 0,
      col: 0,
      message: `cannot read the workflow: ${why}`,
    }]);
  }
  if (bytes === undefined) throw tooBig(path, `more than ${max} bytes`, max);
  const text = decodeUtf8(bytes, path);
  return parseWorkflow(text, {
    file: path,
    registry: options.registry,
    maxBytes: max,
    inventory: options.inventory,
  });
}

/**
 * UTF-8 text of a workflow file; bytes that are not UTF-8 (a binary file, another encoding)
 * are a located error rather than silently replaced.
 */
function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const bad = Math.min(firstInvalidUtf8(bytes), bytes.length - 1);
    const lineStart = bytes.lastIndexOf(0x0a, bad - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    const before = new TextDecoder().decode(bytes.subarray(lineStart, bad));
    const hex = bytes[bad].toString(16).toUpperCase().padStart(2, "0");
    throw new WorkflowError([{
      file,
      line,
      col: before.length + 1,
      message: `not UTF-8 text: byte 0x${hex} cannot be decoded (a workflow is UTF-8 YAML)`,
    }]);
  }
}

/** Offset of the first byte that does not belong to a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const n = c < 0x80
      ? 0
      : c >= 0xc2 && c <= 0xdf
      ? 1
      : c >= 0xe0 && c <= 0xef
      ? 2
      : c >= 0xf0 && c <= 0xf4
      ? 3
      : -1;
    if (n < 0) return i;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined) return i;
      if (k === 1 ? x < lo || x > hi : x < 0x80 || x > 0xbf) return i;
    }
    i += n + 1;
  }
  return b.length;
}

/**
 * Validates a workflow built as a plain object in code (the same shape as the YAML).
 * Issues carry a path (`steps[1].add_app.comand`) instead of a line.
 *
 * @example
 * ```ts
 * import { validateWorkflowObject } from "./load.ts";
 * const wf = validateWorkflowObject({ name: "bye", steps: [{ logout: null }] });
 * wf.steps.length; // 1
 * ```
 */
export function validateWorkflowObject(obj: unknown, options: ParseOptions = {}): Workflow {
  const locator = new Locator({ file: options.file });
  const result = validateTree(fromPlain(obj), locator, options);
  if (result.issues.length || !result.workflow) throw new WorkflowError(result.issues);
  return result.workflow;
}
