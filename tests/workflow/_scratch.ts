import { loadWorkflow } from "/work/main/src/workflow/load.ts";
import { WorkflowError } from "/work/main/src/workflow/errors.ts";
try { console.log(JSON.stringify(await loadWorkflow(Deno.args[0]), null, 1)); } catch (e) { if (e instanceof WorkflowError) console.log(e.format()); else throw e; }
