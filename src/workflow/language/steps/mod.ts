/**
 * The registry of step types: what the validator, the JSON Schema, the dry-run plan and the
 * engine read.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";
import login from "./login.ts";
import logout from "./logout.ts";
import addApp from "./add_app.ts";
import deleteApp from "./delete_app.ts";
import enableApp from "./enable_app.ts";
import disableApp from "./disable_app.ts";
import runAsync from "./run_async.ts";
import wait from "./wait.ts";
import runSync from "./run_sync.ts";
import runTask from "./run_task.ts";
import cancelTask from "./cancel_task.ts";
import downloadFile from "./download_file.ts";
import uploadFile from "./upload_file.ts";
import getApp from "./get_app.ts";
import checkAppHealth from "./check_app_health.ts";
import addLabel from "./add_label.ts";
import deleteLabel from "./delete_label.ts";
import setConfig from "./set_config.ts";
import assert from "./assert.ts";

/**
 * Every step type by its YAML key.
 *
 * @example
 * ```ts
 * import { STEPS } from "./mod.ts";
 * console.log(Object.keys(STEPS.wait.fields)); // ["run", "timeout", "output", "check", "exit_codes", "delete_app"]
 * ```
 */
export const STEPS: Readonly<Record<string, StepSpec>> = Object.freeze(
  Object.fromEntries(
    [
      login,
      logout,
      addApp,
      deleteApp,
      enableApp,
      disableApp,
      runAsync,
      wait,
      runSync,
      runTask,
      cancelTask,
      downloadFile,
      uploadFile,
      getApp,
      checkAppHealth,
      addLabel,
      deleteLabel,
      setConfig,
      assert,
    ].map((s) => [s.type, s]),
  ),
);
