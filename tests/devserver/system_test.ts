// Labels, config, resources and metrics routes.
// @bun
// @node
import assert from "node:assert/strict";
import { test } from "../harness.ts";
import { body, harness } from "./_util.ts";

test("system: labels set/list/delete with the daemon's answers and defaults", async () => {
  const h = await harness();
  try {
    const admin = await h.login();
    const set = await h.call(admin, "/appmesh/label/facts?value=yes", { method: "PUT" });
    assert.equal(set.status, 200);
    assert.deepEqual(await set.json(), { message: "Add label success" });
    const spaced = await h.call(admin, "/appmesh/label/with%20space?value=a%26b", {
      method: "PUT",
    });
    assert.equal(spaced.status, 200);
    await spaced.body?.cancel();
    const noValue = await h.call(admin, "/appmesh/label/x", { method: "PUT" });
    assert.equal(noValue.status, 400);
    assert.deepEqual(await noValue.json(), { message: "query value required" });
    const list = await (await h.call(admin, "/appmesh/labels")).json();
    assert.equal(list.facts, "yes");
    assert.equal(list["with space"], "a&b");
    for (const k of ["HOST_NAME", "arch", "os_version"]) assert.equal(typeof list[k], "string", k);
    assert.deepEqual(Object.keys(list), Object.keys(list).sort());
    const del = await h.call(admin, "/appmesh/label/facts", { method: "DELETE" });
    assert.deepEqual(await body(del), { message: "Label delete success" });
    assert.equal((await (await h.call(admin, "/appmesh/labels")).json()).facts, undefined);

    const mesh = await h.login("mesh", "mesh123");
    const view = await h.call(mesh, "/appmesh/labels");
    assert.equal(view.status, 200);
    await view.body?.cancel();
    const denied = await h.call(mesh, "/appmesh/label/x", { method: "DELETE" });
    assert.equal(denied.status, 400);
    assert.deepEqual(await denied.json(), {
      message: "Permission denied: user 'mesh' lacks required permission 'label-delete'",
    });
    const none = await h.call("", "/appmesh/labels");
    assert.equal(none.status, 401);
    await none.body?.cancel();
  } finally {
    await h.close();
  }
});

test("system: config view and deep-merge set answer the whole config", async () => {
  const h = await harness();
  try {
    const admin = await h.login();
    const before = await (await h.call(admin, "/appmesh/config")).json();
    assert.equal(before.REST.RestListenPort, h.server.nodes[0].port);
    assert.equal(before.REST.JWT.Algorithm, "HS256");
    assert.equal(typeof before.Version, "string");
    assert.equal(typeof before.Labels.HOST_NAME, "string");
    const set = await h.call(admin, "/appmesh/config", {
      method: "POST",
      body: JSON.stringify({
        BaseConfig: { LogLevel: "INFO" },
        REST: { CsrfAllowedOrigins: ["https://ui.example"] },
      }),
    });
    assert.equal(set.status, 200);
    const after = await set.json();
    assert.equal(after.BaseConfig.LogLevel, "INFO");
    assert.equal(after.BaseConfig.ScheduleIntervalSeconds, 1); // merged, not replaced
    assert.deepEqual(after.REST.CsrfAllowedOrigins, ["https://ui.example"]);
    assert.equal(after.REST.JWT.Algorithm, "HS256");
    assert.deepEqual(await (await h.call(admin, "/appmesh/config")).json(), after);
    // The allow-listed origin now passes the CSRF check.
    const cookie = `appmesh_auth_token=${admin}`;
    const ok = await h.fetch(`${h.url}/appmesh/label/ui?value=1`, {
      method: "PUT",
      headers: { Cookie: cookie, Origin: "https://ui.example" },
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const badLevel = await h.call(admin, "/appmesh/config", {
      method: "POST",
      body: JSON.stringify({ BaseConfig: { LogLevel: 7 } }),
    });
    assert.equal(badLevel.status, 400);
    await badLevel.body?.cancel();
    const notObject = await h.call(admin, "/appmesh/config", { method: "POST", body: "[1]" });
    assert.equal(notObject.status, 400);
    await notObject.body?.cancel();
    const mesh = await h.login("mesh", "mesh123");
    const view = await h.call(mesh, "/appmesh/config");
    assert.equal(view.status, 200);
    await view.body?.cancel();
    const denied = await h.call(mesh, "/appmesh/config", { method: "POST", body: "{}" });
    assert.equal(denied.status, 400);
    assert.deepEqual(await denied.json(), {
      message: "Permission denied: user 'mesh' lacks required permission 'config-set'",
    });
  } finally {
    await h.close();
  }
});

test("system: labels and config are per node", async () => {
  const h = await harness({ nodes: 2 });
  try {
    const admin = await h.login();
    await (await h.call(admin, "/appmesh/label/only1?value=1", { method: "PUT" })).body?.cancel();
    const l2 = await (await h.call(admin, "/appmesh/labels", { node: 1 })).json();
    assert.equal(l2.only1, undefined);
    const c2 = await (await h.call(admin, "/appmesh/config", { node: 1 })).json();
    assert.equal(c2.REST.RestListenPort, h.server.nodes[1].port);
  } finally {
    await h.close();
  }
});

test("system: resources have real numbers in the HostResources shape", async () => {
  const h = await harness();
  try {
    const admin = await h.login();
    const r = await (await h.call(admin, "/appmesh/resources")).json();
    for (
      const k of [
        "schema_version",
        "collected_at_unix_seconds",
        "cpu_effective_processors",
        "cpu_source",
        "memory_source",
        "swap_source",
        "cgroup_version",
        "mem_total_bytes",
        "mem_available_bytes",
        "collector_errors",
      ]
    ) assert.ok(k in r, k);
    assert.equal(r.schema_version, 3);
    assert.ok(r.cpu_cores >= 1);
    assert.ok(r.mem_total_bytes > 0 && r.mem_available_bytes > 0);
    assert.ok(r.mem_available_bytes <= r.mem_total_bytes);
    assert.ok(Array.isArray(r.net) && Array.isArray(r.fs));
    const t = await h.login("test", "test123");
    const denied = await h.call(t, "/appmesh/resources");
    assert.equal(denied.status, 400);
    assert.deepEqual(await denied.json(), {
      message: "Permission denied: user 'test' lacks required permission 'host-resource-view'",
    });
  } finally {
    await h.close();
  }
});

test("system: metrics in Prometheus text format with real request counters", async () => {
  const h = await harness();
  try {
    const admin = await h.login();
    for (let i = 0; i < 3; i++) await (await h.call(admin, "/appmesh/labels")).body?.cancel();
    await (await h.call(admin, "/appmesh/label/a?value=1", { method: "PUT" })).body?.cancel();
    await (await h.call(admin, "/appmesh/nothing/here")).body?.cancel();
    const res = await h.fetch(`${h.url}/appmesh/metrics`); // no token needed, as the daemon
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    assert.match(text, /^# HELP appmesh_metrics_scrapes_total /m);
    assert.match(text, /^# TYPE appmesh_http_requests_total counter$/m);
    assert.match(
      text,
      /^appmesh_http_requests_total\{host="[^"]*",method="GET",route="\/appmesh\/labels",status_class="2xx",status_code="200"\} 3$/m,
    );
    assert.match(
      text,
      /^appmesh_http_requests_total\{host="[^"]*",method="PUT",route="\/appmesh\/label\/:param",status_class="2xx",status_code="200"\} 1$/m,
    );
    assert.match(
      text,
      /^appmesh_http_requests_total\{host="[^"]*",method="GET",route="unmatched",status_class="4xx",status_code="404"\} 1$/m,
    );
    assert.match(
      text,
      /^appmesh_http_requests_total\{host="[^"]*",method="POST",route="\/appmesh\/login",status_class="2xx",status_code="200"\} 1$/m,
    );
    assert.match(
      text,
      /^appmesh_http_request_duration_seconds_count\{.*route="\/appmesh\/labels"\} 3$/m,
    );
    assert.ok(!text.includes('route="/appmesh/metrics"'));
  } finally {
    await h.close();
  }
});
