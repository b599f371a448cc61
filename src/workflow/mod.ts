/**
 * The workflow runner as a library (package export `./workflow`): load and validate a
 * workflow file (or build one in code), run it across nodes through one session, watch its
 * events, and write its report as JSON or JUnit XML.
 *
 * @example
 * ```ts ignore
 * import { loadWorkflow, runWorkflow, toJUnit } from "@appmesh/sdk/workflow";
 *
 * const wf = await loadWorkflow("workflows/nightly-backup.yaml"); // throws with every located error
 * const report = await runWorkflow(wf, {
 *   inputs: { keep_days: 14 },
 *   nodes: ["db-1", "db-2"],
 *   onEvent: (e) => console.log(e.node, e.step, e.status), // the same events as --json
 *   signal: AbortSignal.timeout(3_600_000),
 * });
 * await Deno.writeTextFile("report.xml", toJUnit(report));
 * console.log(report.summary);
 * ```
 *
 * @module
 */

export { type RunOptions, runWorkflow } from "./engine.ts";
export { formatPlan, type Plan, type PlannedStep, planWorkflow } from "./plan.ts";
export { type NodeReport, type Report, type StepReport, summaryLine, toJUnit } from "./report.ts";
export { type LockOptions, type LockOwner, WorkflowLock } from "./lock.ts";
export {
  loadSecretsFile,
  MASK,
  Masker,
  parseDotenv,
  parseSecrets,
  SecretsFileError,
} from "./secrets.ts";
export { STEPS } from "./steps/mod.ts";
export { loadWorkflow, parseWorkflow, validateWorkflowObject } from "./load.ts";
export { type FormatOptions, WorkflowError, type WorkflowIssue } from "./errors.ts";
export { generateSchema, type JsonSchema, schemaText } from "./schema.ts";
export type {
  FieldSpec,
  FieldType,
  InputSpec,
  NodeInfo,
  PlannedRequest,
  RetryPolicy,
  SessionControl,
  SourcePos,
  StepContext,
  StepSpec,
  Workflow,
  WorkflowEvent,
  WorkflowStep,
} from "./spec.ts";
