// The client's endpoint table against the local server's router and the workflow steps: every row is routed with the same method and pattern, named after a client method, and every step's plan line names a row (with that row's own parameters).
// @bun
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { type EndpointName, endpointPath, ENDPOINTS } from "../../src/client/endpoints.ts";
import { AppMeshClient } from "../../src/client/client.ts";
import { allRoutes, Router } from "../../src/devserver/routes.ts";
import { STEPS } from "../../src/workflow/language/steps/mod.ts";
import { planWorkflow } from "../../src/workflow/report/plan.ts";

const rows = Object.entries(ENDPOINTS) as [EndpointName, (typeof ENDPOINTS)[EndpointName]][];
const label = (pattern: string) => pattern.replace(/:[A-Za-z_]\w*/g, ":param");
const paramsOf = (pattern: string) => [...pattern.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => m[1]);

test("endpoints: every row of the table is routed by the local server, same method and pattern", () => {
  const routes = allRoutes();
  const router = new Router(routes);
  for (const [name, e] of rows) {
    const same = routes.filter((r) => r.method === e.method && label(r.path) === label(e.path));
    assert.equal(same.length, 1, `${name}: ${e.method} ${e.path} is not routed by the devserver`);
    // A path the client sends reaches that very route (a literal route does not shadow it).
    const params = Object.fromEntries(paramsOf(e.path).map((p) => [p, "x-1"]));
    const match = router.match(e.method, endpointPath(name, params));
    assert.equal(match && label(match.route.path), label(e.path), name);
  }
});

test("endpoints: every row is named after a method of AppMeshClient", () => {
  for (const [name] of rows) {
    assert.equal(typeof AppMeshClient.prototype[name], "function", name);
  }
});

test("endpoints: every step maps onto a client method, and its plan lines name rows", () => {
  const args = { name: "a", app: "a", value: "v", remote: "/r", local: "l", run: "r" };
  for (const [type, spec] of Object.entries(STEPS)) {
    assert.ok(
      spec.method === "none" ||
        typeof (AppMeshClient.prototype as unknown as Record<string, unknown>)[spec.method] ===
          "function",
      `${type}: method ${spec.method}`,
    );
    for (const line of spec.requests?.(args) ?? []) {
      assert.ok(Object.hasOwn(ENDPOINTS, line.endpoint), `${type}: endpoint ${line.endpoint}`);
      const row = ENDPOINTS[line.endpoint as EndpointName] as { path: string; query?: string[] };
      for (const p of paramsOf(row.path)) {
        assert.ok(line.params?.[p] !== undefined, `${type}: ${line.endpoint} needs :${p}`);
      }
      for (const q of Object.keys(line.query ?? {})) {
        assert.ok(row.query?.includes(q), `${type}: ${line.endpoint} has no query ${q}`);
      }
    }
  }
});

test("endpoints: the plan shows the table's method and path, templates and placeholders as written", () => {
  const step = (type: string, w: Record<string, unknown>, index: number) => ({
    type,
    with: w,
    continue_on_error: false,
    pos: { line: index + 1, col: 1 },
    index,
  });
  const plan = planWorkflow({
    name: "p",
    connection: {},
    fail_fast: false,
    inputs: {},
    env: {},
    finally: [],
    steps: [
      step("delete_app", { name: "my app" }, 0),
      step("add_label", { name: "zone", value: "a b" }, 1),
      step("run_task", { app: "${{ inputs.x }}", data: "d" }, 2),
      step("wait", { run: "r" }, 3),
      step("set_config", { config: {} }, 4),
      step("assert", { that: "true" }, 5),
    ],
  }, { env: {}, nodes: ["n"] });
  assert.deepEqual(plan.steps.map((s) => s.requests), [
    [{ method: "DELETE", path: "/appmesh/app/my%20app" }],
    [{ method: "PUT", path: "/appmesh/label/zone?value=a%20b" }],
    [{ method: "POST", path: "/appmesh/app/${{ inputs.x }}/task?timeout=<timeout>" }],
    [
      {
        method: "GET",
        path: "/appmesh/app/<run app>/output?stdout_position=<n>&timeout=<s>",
        note: "long poll, repeated",
      },
      { method: "DELETE", path: "/appmesh/app/<run app>", note: "after the exit" },
    ],
    [{ method: "POST", path: "/appmesh/config" }],
    [],
  ]);
});
