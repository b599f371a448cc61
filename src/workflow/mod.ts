/**
 * The workflow runner as a library (package export `./workflow`): load and validate a
 * workflow file (or build one in code), run it across nodes through one session, watch its
 * events, and write its report as JSON, JUnit XML or an HTML page.
 *
 * @example Build a workflow in code, look at its plan, run it, write JUnit
 * ```ts
 * import { formatPlan, planWorkflow, runWorkflow, toJUnit, validateWorkflowObject } from "./mod.ts";
 * import { startDevServer } from "../devserver/mod.ts";
 *
 * await using server = await startDevServer();
 * const wf = validateWorkflowObject({
 *   name: "disk-check",
 *   steps: [
 *     { login: { user: "admin", password: "${{ secrets.PASSWORD }}" } },
 *     { id: "df", run_sync: { command: "df -h /", shell: true } },
 *     { assert: { that: "${{ steps.df.exit_code == 0 }}", message: "df failed" } },
 *   ],
 * });
 * const options = {
 *   connection: { url: server.urls[0], ca: server.caFile },
 *   secrets: { PASSWORD: "admin123" },
 *   env: {}, // not the process's: no APPMESH_*, and no ~/.appmesh/cookies.txt session
 * };
 * console.log(formatPlan(planWorkflow(wf, options))); // no request sent
 * const report = await runWorkflow(wf, options);
 * console.log(report.status, toJUnit(report).length > 0); // success true
 * ```
 *
 * @module
 */

export { runWorkflow } from "./run/engine.ts";
export type { RunOptions } from "./run/options.ts";
export { nodesToRerun, parseRunReport, readRunReport, rerunInputs } from "./run/rerun.ts";
export {
  formatPlan,
  type Plan,
  type PlannedStep,
  type PlanOptions,
  planWorkflow,
} from "./report/plan.ts";
export {
  type Leftover,
  type NodeReport,
  type Report,
  type StepReport,
  summaryLine,
  toJUnit,
} from "./report/report.ts";
export { HTML_CSP, htmlReport } from "./report/html.ts";
export { type LockOptions, type LockOwner, WorkflowLock } from "./run/lock.ts";
export {
  loadSecretsFile,
  MASK,
  Masker,
  parseDotenv,
  parseSecrets,
  SecretsFileError,
} from "./run/secrets.ts";
export { STEPS } from "./language/steps/mod.ts";
export {
  type Inventory,
  type InventoryNode,
  loadInventory,
  parseInventory,
  type ParseInventoryOptions,
} from "./inventory/inventory.ts";
export {
  type LoadOptions,
  loadWorkflow,
  type ParseOptions,
  parseWorkflow,
  validateWorkflowObject,
} from "./load/load.ts";
export { type FormatOptions, WorkflowError, type WorkflowIssue } from "./load/errors.ts";
export { generateSchema, type JsonSchema, schemaText } from "./language/schema.ts";
export type {
  FieldSpec,
  FieldType,
  InputSpec,
  NodeInfo,
  PlannedRequest,
  RequestLine,
  RetryPolicy,
  SessionControl,
  SourcePos,
  StepContext,
  StepSpec,
  Workflow,
  WorkflowEvent,
  WorkflowStep,
} from "./language/spec.ts";
