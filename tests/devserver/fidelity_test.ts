// Measured fidelity: the requests of the recorded daemon probes
// (../shared/reference/daemon-probes/real-2.2.1.json, App Mesh 2.2.1) sent again to the local
// server, and every recorded field compared: status, key headers, body kind, JSON shape, error
// message, output text and values. A difference fails the test unless it is in DELIBERATE below
// (each one listed in the README's "Where it differs from the daemon, on purpose").
// @bun
// @node
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as OTPAuth from "otpauth";
import { test } from "../harness.ts";
import { type Harness, harness, until } from "./_util.ts";

const PROBES = fileURLToPath(
  new URL("../../../shared/reference/daemon-probes/real-2.2.1.json", import.meta.url),
);

/**
 * Differences from the daemon that are deliberate, as `probe :: field` (`*` for any probe), with
 * the reason. Everything else must be equal.
 */
const DELIBERATE: Record<string, string> = {
  "syncrun malformed JSON :: status": "malformed JSON is a 400 with a reason; the daemon says 500",
  "syncrun malformed JSON :: message":
    "same: 'Invalid JSON body' instead of 'Internal server error'",
  "addApp malformed JSON :: status": "malformed JSON is a 400 with a reason; the daemon says 500",
  "addApp malformed JSON :: message":
    "same: 'Invalid JSON body' instead of 'Internal server error'",
  "use renewed-away token :: status": "a revoked token is refused on every route (daemon bug: " +
    "/appmesh/user/self skips its revocation list)",
  "use renewed-away token :: shape": "same (401 with a message)",
  "use logged-off token :: status": "same as 'use renewed-away token'",
  "use logged-off token :: shape": "same",
  "* :: header cache-control": "token answers carry the App Mesh agent's Cache-Control: " +
    "no-store (the daemon alone sends none; in production the agent adds it)",
};

/**
 * Differences that come from the timing of the recording, not from either server, as
 * `probe :: field`, with what happened.
 */
const RACES: Record<string, string> = {
  "addApp env :: shape": "the daemon answered while `echo` was exiting: pid still there, its " +
    "process details (cpu, memory, fd, pstree) already gone; the local server's process was " +
    "still running",
};

/** Recorded probes that exercised only the client of the time (its own tests cover it). */
const CLIENT_ONLY = new Set([
  "runAppAsync+wait client timeout", // a client-side timeout, nothing on the wire to compare
  "setLogLevel", // the client's wrapper around setConfig (compared raw below)
  "setLogLevel back INFO",
  "cancelTask pending / runTask cancelled (client)", // compared raw as the two probes before it
]);

const HEADERS = [
  "content-type",
  "x-exit-code",
  "x-output-position",
  "set-cookie",
  "www-authenticate",
  "cache-control",
];

type Obs = Record<string, unknown>;

/** The recorder's shape of a JSON value: types for values, arrays by their first element. */
function shapeOf(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shapeOf(v[0])] : "[]";
  if (v === null) return "null";
  if (typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      out[k] = shapeOf((v as Record<string, unknown>)[k]);
    }
    return out;
  }
  return typeof v;
}

/** A response recorded as the probes were: status, key headers, kind, shape, message, text. */
async function record(res: Response): Promise<Obs> {
  const headers: Record<string, string> = {};
  for (const h of HEADERS) {
    const v = res.headers.get(h);
    if (v === null) continue;
    // Max-Age is the token's remaining life: a probe that runs a second or two late (a loaded
    // machine) sees 3598 where the daemon was recorded with 3600. Compared to the minute.
    headers[h] = v.replace(/appmesh_auth_token=[^;]+/, "appmesh_auth_token=<JWT>")
      .replace(/Max-Age=(\d+)/, (_, n: string) => `Max-Age=${Math.round(Number(n) / 60) * 60}`);
  }
  const raw = await res.text();
  const o: Obs = { status: res.status, headers };
  if (raw === "") return { ...o, kind: "empty" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ...o, kind: "text", text: raw };
  }
  o.kind = "json";
  if (Array.isArray(parsed) && parsed.length && typeof parsed[0] === "object") {
    o.shape = "(list)";
    o.elemShape = shapeOf(parsed[0]);
    o.list = parsed;
  } else {
    o.shape = shapeOf(parsed);
  }
  o.value = parsed;
  if (parsed && typeof parsed === "object" && "message" in parsed) {
    o.message = (parsed as { message: unknown }).message;
  }
  if (typeof parsed !== "object" || parsed === null) o.text = raw;
  return o;
}

/** Generated names and ids (`<8yRL7zJRRpR>`) are not comparable. */
const norm = (v: unknown) =>
  typeof v === "string" ? v.replace(/<[0-9A-Za-z]{9,13}>/g, "<ID>") : JSON.stringify(v);

/** Empty arrays match any array (the recorder wrote "[]" for an empty one). */
function sameShape(a: unknown, b: unknown): boolean {
  if (a === "[]" && (Array.isArray(b) || b === "[]")) return true;
  if (b === "[]" && Array.isArray(a)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return sameShape(a[0], b[0]);
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return false;
    return ka.every((k) =>
      sameShape((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    );
  }
  return a === b;
}

/** The fields of `recorded` that `observed` does not match, with both values. */
function differences(recorded: Obs, observed: Obs): [string, string][] {
  const out: [string, string][] = [];
  const add = (field: string, want: unknown, got: unknown) =>
    out.push([field, `daemon ${JSON.stringify(want)}, local ${JSON.stringify(got)}`]);
  if ("status" in recorded && recorded.status !== observed.status) {
    add("status", recorded.status, observed.status);
  }
  if ("headers" in recorded) {
    const want = recorded.headers as Record<string, string>;
    const got = (observed.headers ?? {}) as Record<string, string>;
    for (const h of HEADERS) {
      if (want[h] !== got[h]) add(`header ${h}`, want[h], got[h]);
    }
  }
  if ("kind" in recorded && recorded.kind !== observed.kind) {
    add("kind", recorded.kind, observed.kind);
  }
  for (const k of ["shape", "elemShape"]) {
    if (k in recorded && !sameShape(recorded[k], observed[k])) add(k, recorded[k], observed[k]);
  }
  for (const k of ["message", "text"]) {
    if (k in recorded && norm(recorded[k]) !== norm(observed[k])) {
      add(k, recorded[k], observed[k]);
    }
  }
  // Everything else a probe recorded (values, derived facts) is compared as is.
  const known = new Set(["status", "headers", "kind", "shape", "elemShape", "message", "text"]);
  for (const k of Object.keys(recorded)) {
    if (known.has(k) || k === "ms" || k === "n") continue;
    if (JSON.stringify(recorded[k]) !== JSON.stringify(observed[k])) {
      add(k, recorded[k], observed[k]);
    }
  }
  return out;
}

const basic = (user: string, password: string) => ({
  Authorization: `Basic ${btoa(`${user}:${password}`)}`,
});
const b64 = (s: string) => btoa(s);

/** Sends the probes' requests in the probes' order; returns what was observed, by probe name. */
async function runProbes(h: Harness): Promise<Map<string, Obs>> {
  const seen = new Map<string, Obs>();
  const put = (name: string, o: Obs) => seen.set(name, o);
  const f = (path: string, init: RequestInit = {}) => h.fetch(`${h.url}${path}`, init);
  const auth = (token: string, extra: Record<string, string> = {}) => ({
    Authorization: `Bearer ${token}`,
    ...extra,
  });
  const call = async (token: string, path: string, init: RequestInit = {}) =>
    await record(
      await f(path, {
        ...init,
        headers: { ...auth(token), ...(init.headers as Record<string, string> ?? {}) },
      }),
    );
  const jsonBody = (v: unknown): RequestInit => ({
    body: JSON.stringify(v),
    headers: { "Content-Type": "application/json" },
  });
  const getJson = async (token: string, path: string) =>
    await (await f(path, { headers: auth(token) })).json();

  // ---- authentication ----
  const loginRes = await f("/appmesh/login", {
    method: "POST",
    headers: { ...basic("admin", "admin123"), "X-Set-Cookie": "true", "X-Expire-Seconds": "3600" },
  });
  const loginText = await loginRes.clone().text();
  put("login", await record(loginRes));
  const token = JSON.parse(loginText).access_token as string;
  put(
    "login bad password",
    await record(await f("/appmesh/login", { method: "POST", headers: basic("admin", "nope") })),
  );
  put(
    "login refresh-token request (mesh)",
    await record(
      await f("/appmesh/login", {
        method: "POST",
        headers: { ...basic("mesh", "mesh123"), "X-Refresh-Token-Request": "true" },
      }),
    ),
  );
  const meshToken = await h.login("mesh", "mesh123");
  put(
    "login unknown user",
    await record(await f("/appmesh/login", { method: "POST", headers: basic("nobody", "x") })),
  );
  put("no token", await record(await f("/appmesh/applications")));
  put("garbage token", await call("garbage", "/appmesh/applications"));
  put("getCurrentUser", await call(token, "/appmesh/user/self"));
  put("listUsers", await call(token, "/appmesh/users"));
  const authWith = async (t: string, extra: Record<string, string>) =>
    await record(await f("/appmesh/auth", { method: "POST", headers: auth(t, extra) }));
  put(
    "authenticate ok (permission app-view)",
    await authWith(token, { "X-Permission": "app-view" }),
  );
  put(
    "authenticate unknown permission",
    await authWith(token, { "X-Permission": "no-such-perm" }),
  );
  put("authenticate garbage token", await authWith("garbage", {}));
  put("authenticate with X-Set-Cookie", await authWith(token, { "X-Set-Cookie": "true" }));

  // ---- apps: registration as the daemon checks and echoes it ----
  const addApp = async (key: string, def: Record<string, unknown>) => {
    const name = `fid-raw-${key}`;
    put(
      `addApp ${key}`,
      await call(token, `/appmesh/app/${name}`, { method: "PUT", ...jsonBody({ name, ...def }) }),
    );
  };
  await addApp("shell", { command: "echo hello-out; echo hello-err >&2; echo done", shell: true });
  await addApp("env", { command: "echo FOO=$FOO", env: { FOO: "bar baz" }, shell: true });
  await addApp("wdir", { command: "pwd", working_dir: "/tmp", shell: true });
  await addApp("meta", {
    command: "true",
    shell: true,
    metadata: { k: 1, s: "x" },
    description: "a description",
  });
  await addApp("metastr", { command: "true", shell: true, metadata: "plain text" });
  await addApp("behavior", {
    command: "echo behaving",
    behavior: { exit: "restart", control: { "0": "standby" } },
  });
  await addApp("daily", {
    command: "sleep 60",
    daily_limitation: { daily_start: "09:00:00", daily_end: "17:00:00" },
  });
  await addApp("status0", { command: "sleep 60", status: 0 });
  // A cron app must not fire between its registration and its view (it fires at :00 and :30).
  await until(
    () => Promise.resolve(Math.floor(Date.now() / 1000) % 30 < 20),
    "a cron-quiet moment",
    20_000,
  );
  await addApp("cron", {
    command: "echo tick",
    shell: true,
    cron: true,
    start_interval_seconds: "*/30 * * * * *",
  });
  await addApp("periodic", { command: "echo periodic", shell: true, start_interval_seconds: 30 });
  await addApp("periodiciso", {
    command: "echo iso",
    shell: true,
    start_interval_seconds: "PT30S",
  });
  await addApp("retention", { command: "echo kept", shell: true, retention: "PT1M" });
  await addApp("misc", {
    command: "sleep 60",
    health_check_cmd: "true",
    permission: 11,
    stdout_cache_num: 2,
    sec_env: { SECRET: "s" },
  });
  // As the probes did: let the short apps run (the periodic ones start a second after registration).
  for (
    const key of [
      "shell",
      "env",
      "wdir",
      "meta",
      "metastr",
      "behavior",
      "periodic",
      "periodiciso",
      "retention",
    ]
  ) {
    await until(
      async () => (await getJson(token, `/appmesh/app/fid-raw-${key}`)).last_exit_time,
      `fid-raw-${key} to run and exit`,
    );
  }
  const getApp = async (key: string) => {
    put(`getApp ${key}`, await call(token, `/appmesh/app/fid-raw-${key}`));
  };
  const outputValue = async (key: string) => {
    const res = await f(`/appmesh/app/fid-raw-${key}/output`, { headers: auth(token) });
    const hdr: Record<string, string> = {};
    for (const k of ["content-type", "x-exit-code", "x-output-position"]) {
      const v = res.headers.get(k);
      if (v !== null) hdr[k] = v;
    }
    put(`getAppOutput ${key} (value)`, { status: res.status, text: await res.text(), hdr });
  };
  await getApp("shell");
  await outputValue("shell");
  await getApp("env");
  await outputValue("env");
  await getApp("wdir");
  await outputValue("wdir");
  for (const key of ["meta", "metastr", "behavior", "daily", "status0", "cron", "periodic"]) {
    await getApp(key);
  }
  await getApp("periodiciso");
  await getApp("retention");
  await getApp("misc");
  const periodic = await getJson(token, "/appmesh/app/fid-raw-periodic");
  const cron = await getJson(token, "/appmesh/app/fid-raw-cron");
  const behavior = await getJson(token, "/appmesh/app/fid-raw-behavior");
  const meta = await getJson(token, "/appmesh/app/fid-raw-meta");
  const retention = await getJson(token, "/appmesh/app/fid-raw-retention");
  const misc = await getJson(token, "/appmesh/app/fid-raw-misc");
  put("app field values", {
    periodic_start_interval_seconds: periodic.start_interval_seconds,
    periodic_next_start_time: typeof periodic.next_start_time,
    cron_start_interval_seconds: cron.start_interval_seconds,
    cron_cron: cron.cron,
    retention: retention.retention,
    behavior: behavior.behavior,
    behavior_starts: behavior.starts,
    metadata: meta.metadata,
    meta_description: meta.description,
    misc_sec_env: typeof misc.sec_env,
  });
  const list = await call(token, "/appmesh/applications");
  // The recorder kept the first element's shape: compare the same app's.
  const first = (list.list as Obs[]).find((a) => a.name === "fid-raw-shell");
  put("listApps", { ...list, elemShape: shapeOf(first) });
  put("getApp missing", await call(token, "/appmesh/app/no-such-app"));

  // ---- output ----
  const out = (q: string, app = "fid-raw-shell") => call(token, `/appmesh/app/${app}/output${q}`);
  put("getAppOutput pos0", await out("?stdout_position=0"));
  put("getAppOutput pos4", await out("?stdout_position=4"));
  put("getAppOutput pos-beyond", await out("?stdout_position=999"));
  put("getAppOutput maxsize5", await out("?stdout_maxsize=5"));
  put("getAppOutput index1", await out("?stdout_index=1"));
  put("getAppOutput index5", await out("?stdout_index=5"));
  put("getAppOutput missing app", await out("", "no-such-app"));
  put("getAppOutput never-run app", await out("", "fid-raw-status0"));

  // ---- health, enable, disable ----
  put("checkAppHealth running+check", await call(token, "/appmesh/app/fid-raw-misc/health"));
  put("checkAppHealth disabled", await call(token, "/appmesh/app/fid-raw-status0/health"));
  put("checkAppHealth missing", await call(token, "/appmesh/app/no-such-app/health"));
  const control = (app: string, op: string) =>
    call(token, `/appmesh/app/${app}/${op}`, { method: "POST" });
  put("enableApp", await control("fid-raw-status0", "enable"));
  const enabled = await until(async () => {
    const a = await getJson(token, "/appmesh/app/fid-raw-status0");
    return a.pid ? a : undefined;
  }, "the enabled app to run");
  put("after enable", { status: enabled.status, pid: typeof enabled.pid, health: enabled.health });
  put("disableApp", await control("fid-raw-status0", "disable"));
  const disabled = await until(async () => {
    const a = await getJson(token, "/appmesh/app/fid-raw-status0");
    return a.return_code !== undefined ? a : undefined;
  }, "the disabled app to stop");
  put("after disable", {
    status: disabled.status,
    pid: typeof disabled.pid,
    return_code: disabled.return_code,
    health: disabled.health,
  });
  put("enableApp missing", await control("no-such-app", "enable"));
  put("disableApp twice", await control("fid-raw-status0", "disable"));

  // ---- syncrun ----
  const syncrun = (body: unknown, q = "?timeout=30") =>
    call(token, `/appmesh/app/syncrun${q}`, { method: "POST", ...jsonBody(body) });
  put("runAppSync exit0", await syncrun({ command: "echo ok", shell: true }));
  put(
    "runAppSync exit3",
    await syncrun({ command: "echo out; echo err >&2; exit 3", shell: true }),
  );
  put("runAppSync signal-kill9", await syncrun({ command: "kill -9 $$", shell: true }));
  put("runAppSync signal-term", await syncrun({ command: "echo pre; kill -TERM $$", shell: true }));
  put(
    "runAppSync timeout",
    await syncrun({ command: "echo started; sleep 30", shell: true }, "?timeout=1"),
  );
  put("runAppSync noshell", await syncrun({ command: "echo noshell $HOME" }));
  put("runAppSync unknown-cmd", await syncrun({ command: "/no/such/binary" }));
  put("runAppSync env", await syncrun({ command: "echo $V", env: { V: "sync-env" }, shell: true }));
  put(
    "syncrun malformed JSON",
    await call(token, "/appmesh/app/syncrun", { method: "POST", body: "{not json" }),
  );
  put("syncrun no command", await syncrun({ shell: true }));

  // ---- async runs and the long-poll ----
  const runAsync = async (body: unknown, q = "?timeout=30&lifecycle=60") =>
    await f(`/appmesh/app/run${q}`, {
      method: "POST",
      ...jsonBody(body),
      headers: { ...auth(token), "Content-Type": "application/json" },
    });
  const started = await runAsync({
    command: "echo a; echo b; echo c; sleep 2; exit 2",
    shell: true,
  });
  const startedText = await started.clone().text();
  put("runAppAsync (raw response)", await record(started));
  const run = JSON.parse(startedText) as { name: string; process_uuid: string };
  const t0 = Date.now();
  const polls: Obs[] = [];
  for (let pos = 0, exit: string | null = null; exit === null;) {
    const r = await f(
      `/appmesh/app/${run.name}/output?process_uuid=${run.process_uuid}&stdout_position=${pos}&timeout=10`,
      { headers: auth(token) },
    );
    exit = r.headers.get("x-exit-code");
    const p = r.headers.get("x-output-position");
    polls.push({ st: r.status, text: await r.text(), pos: p, exit });
    pos = Number(p ?? pos);
  }
  // Held until the exit (about 2 s), answered once: the timing is what the daemon showed.
  assert.ok(Date.now() - t0 >= 1500, `the long-poll answered after ${Date.now() - t0} ms`);
  put("async long-poll sequence (raw)", { polls });
  put(
    "output wrong uuid",
    await call(token, `/appmesh/app/${run.name}/output?process_uuid=wrong-uuid`),
  );
  put("run app after exit getApp", await call(token, `/appmesh/app/${run.name}`));
  const names = ((await getJson(token, "/appmesh/applications")) as Obs[]).map((a) => a.name);
  put("run app listed after exit", { listed: names.includes(run.name) });
  put("delete run app", await call(token, `/appmesh/app/${run.name}`, { method: "DELETE" }));

  /** Runs asynchronously and long-polls to the exit, as `runAppAsync(...).wait()` does. */
  const runAndWait = async (body: unknown, q?: string) => {
    const r = await (await runAsync(body, q)).json();
    let pos = 0;
    let text = "";
    for (;;) {
      const o = await f(
        `/appmesh/app/${r.name}/output?process_uuid=${r.process_uuid}&stdout_position=${pos}&timeout=5`,
        { headers: auth(token) },
      );
      text += await o.text();
      pos = Number(o.headers.get("x-output-position") ?? pos);
      const code = o.headers.get("x-exit-code");
      if (code !== null) return { code: Number(code), out: text, name: r.name as string };
    }
  };
  const exit2 = await runAndWait({ command: "echo a; echo b; echo c; exit 2", shell: true });
  put("runAppAsync+wait exit2", {
    client: { ok: { code: exit2.code, out: exit2.out, appNameType: typeof exit2.name } },
  });
  const killed = await runAndWait({ command: "echo x; kill -9 $$", shell: true });
  put("runAppAsync+wait killed", { client: { ok: { code: killed.code, out: killed.out } } });
  const maxTime = await runAndWait({ command: "sleep 30", shell: true }, "?timeout=2&lifecycle=60");
  put("runAppAsync+wait maxTime 2", { client: { ok: { code: maxTime.code } } });
  await f("/appmesh/app/fid-cli-env", {
    method: "PUT",
    headers: { ...auth(token), "Content-Type": "application/json" },
    body: JSON.stringify({
      name: "fid-cli-env",
      command: "echo FOO=$FOO",
      env: { FOO: "bar baz" },
      shell: true,
      status: 0,
    }),
  });
  const byName = await runAndWait({ name: "fid-cli-env" });
  put("runAppAsync registered app by name", {
    client: { ok: { code: byName.code, out: byName.out, appName: byName.name } },
  });

  // ---- tasks: a worker in shell (curl) answering "echo:<payload>" ----
  const task = `$URL/appmesh/app/$APP_MESH_APPLICATION_NAME/task?process_key=$APP_MESH_PROCESS_KEY`;
  const worker = `task="${task}"
while true; do
  payload=$(curl -sf --cacert "$CA" "$task") || { sleep 0.1; continue; }
  case "$payload" in hang*) sleep 3600;; esac
  code=$(printf 'echo:%s' "$payload" | curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -X PUT --data-binary @- "$task")
  echo "put $code"
done`;
  const command = `URL='${h.url}'; CA='${h.server.caFile}'\n${worker}`;
  await f("/appmesh/app/fid-worker", {
    method: "PUT",
    headers: { ...auth(token), "Content-Type": "application/json" },
    body: JSON.stringify({ name: "fid-worker", command, shell: true }),
  });
  const idle = await until(async () => {
    const a = await getJson(token, "/appmesh/app/fid-worker");
    return a.task_status === "idle" ? a : undefined;
  }, "the worker to wait for a task");
  put("task app state", {
    task_id: idle.task_id,
    task_status: idle.task_status,
    pid: typeof idle.pid,
    shape: shapeOf(idle),
  });
  const runTask = (app: string, payload: string, q = "?timeout=20") =>
    call(token, `/appmesh/app/${app}/task${q}`, { method: "POST", body: payload });
  put("runTask", await runTask("fid-worker", "hello"));
  await runTask("fid-worker", "hello2");
  put(
    "cancelTask nothing pending",
    await call(token, "/appmesh/app/fid-worker/task", { method: "DELETE" }),
  );
  // A second worker takes the task and never answers it.
  await f("/appmesh/app/fid-hang", {
    method: "PUT",
    headers: { ...auth(token), "Content-Type": "application/json" },
    body: JSON.stringify({ name: "fid-hang", command, shell: true }),
  });
  await until(
    async () => (await getJson(token, "/appmesh/app/fid-hang")).task_status === "idle",
    "the hanging worker to wait for a task",
  );
  const pending = runTask("fid-hang", "hang-1", "?timeout=60");
  await until(
    async () => (await getJson(token, "/appmesh/app/fid-hang")).task_status === "busy",
    "the task to be taken",
  );
  put(
    "cancelTask pending (raw)",
    await call(token, "/appmesh/app/fid-hang/task", { method: "DELETE" }),
  );
  put("runTask cancelled (raw)", await pending);
  put("runTask timeout", await runTask("fid-hang", "hang-2", "?timeout=1"));
  put("runTask missing app", await runTask("no-such-app", "x"));
  put("runTask app not running", await runTask("fid-raw-status0", "x"));
  put(
    "cancelTask missing app",
    await call(token, "/appmesh/app/no-such-app/task", { method: "DELETE" }),
  );
  const workerOut = await (await f("/appmesh/app/fid-worker/output", { headers: auth(token) }))
    .text();
  put("task worker output", { text: workerOut });

  // ---- labels, config, host ----
  const label = (name: string, q: string, method = "PUT") =>
    call(token, `/appmesh/label/${name}${q}`, { method });
  put("addLabel", await label("fidlab", "?value=v1"));
  await label("fidlab2", "?value=v2"); // the probes' client call
  const labels = await call(token, "/appmesh/labels");
  const lv = labels.value as Record<string, string>;
  // The preset labels are the host's: the recorded host's values stand in for ours.
  put("listLabels", {
    ...labels,
    value: { ...lv, HOST_NAME: "vm", arch: "x86_64", os_version: "Debian GNU/Linux 12 (bookworm)" },
  });
  put("deleteLabel", await label("fidlab", "", "DELETE"));
  await label("fidlab2", "", "DELETE"); // the probes' client call
  put("deleteLabel missing", await label("no-such-label", "", "DELETE"));
  put("addLabel no value", await label("fidlab4", ""));
  put("getConfig", await call(token, "/appmesh/config"));
  const setConfig = (level: string) =>
    call(token, "/appmesh/config", {
      method: "POST",
      ...jsonBody({ BaseConfig: { LogLevel: level } }),
    });
  put("setConfig LogLevel DEBUG", await setConfig("DEBUG"));
  const bad = await setConfig("NOPE");
  put("setConfig bad LogLevel", bad);
  assert.equal(
    ((bad.value as Obs).BaseConfig as Obs).LogLevel,
    "NOPE",
    "the level really becomes NOPE, as on the daemon",
  );
  await setConfig("INFO");
  put("getHostResources", await call(token, "/appmesh/resources"));
  const metrics = await f("/appmesh/metrics");
  const metricsText = await metrics.text();
  const recordedNames = probes()["getMetrics"].raw.metricNames as string[];
  put("getMetrics", {
    status: metrics.status,
    headers: { "content-type": metrics.headers.get("content-type") },
    metricNames: recordedNames.filter((n) => metricsText.includes(`# TYPE ${n} `)),
  });

  // ---- users, roles, permissions ----
  put("listPermissions", await call(token, "/appmesh/permissions"));
  put("getUserPermissions", await call(token, "/appmesh/user/permissions"));
  const roles = await call(token, "/appmesh/roles");
  put("listRoles", { ...roles, keys: Object.keys(roles.value as object).sort() });
  put("listGroups", await call(token, "/appmesh/user/groups"));
  const role = (perms: string[]) =>
    call(token, "/appmesh/role/fidrole", { method: "POST", ...jsonBody(perms) });
  put("updateRole", await role(["app-view", "label-view"]));
  put("updateRole unknown permission", await role(["app-view", "label-view", "no-such-perm"]));
  const addUser = (name: string, roles: string[]) =>
    call(token, `/appmesh/user/${name}`, {
      method: "PUT",
      ...jsonBody({ key: "fidpass1", roles, group: "", email: "" }),
    });
  put("addUser", await addUser("fidu1", ["fidrole"]));
  put("addUser unknown role", await addUser("fidu3", ["no-such-role"]));
  put("addUser existing", await addUser("fidu1", ["fidrole"]));
  const users = await getJson(token, "/appmesh/users");
  put("new user record", {
    shape: shapeOf(users.fidu1),
    fidu1: { ...users.fidu1, exec_user: "root" },
  });
  put(
    "new user login",
    await record(
      await f("/appmesh/login", { method: "POST", headers: basic("fidu1", "fidpass1") }),
    ),
  );
  const u1 = await h.login("fidu1", "fidpass1");
  put("lockUser", await call(token, "/appmesh/user/fidu1/lock", { method: "POST" }));
  put(
    "locked user login",
    await record(
      await f("/appmesh/login", { method: "POST", headers: basic("fidu1", "fidpass1") }),
    ),
  );
  put("unlockUser", await call(token, "/appmesh/user/fidu1/unlock", { method: "POST" }));
  const passwd = (t: string, user: string, old: string, next: string) =>
    call(t, `/appmesh/user/${user}/passwd`, {
      method: "POST",
      ...jsonBody({ old_password: b64(old), new_password: b64(next) }),
    });
  put(
    "updatePassword other user (raw admin)",
    await passwd(token, "fidu1", "fidpass1", "fidpass2"),
  );
  const u1b = await h.login("fidu1", "fidpass2");
  put("updatePassword self wrong old (raw)", await passwd(u1b, "self", "wrong", "fidpass3"));
  put("updatePassword self (raw) / client self", await passwd(u1b, "self", "fidpass2", "fidpass3"));
  // The token fidu1 had before its (refused) own change: still valid, so the permission check
  // answers (a token from before the admin's change is revoked, as on the daemon).
  put("old token after password change", await passwd(u1b, "self", "fidpass2", "fidpass3"));
  assert.equal((await call(u1, "/appmesh/user/self")).status, 401);
  put(
    "permission denied (mesh addLabel)",
    await call(meshToken, "/appmesh/label/x?value=y", { method: "PUT" }),
  );
  put(
    "mesh delete missing app",
    await call(meshToken, "/appmesh/app/no-such-app", { method: "DELETE" }),
  );
  put(
    "mesh syncrun",
    await call(meshToken, "/appmesh/app/syncrun", {
      method: "POST",
      ...jsonBody({ command: "true" }),
    }),
  );

  // ---- TOTP ----
  await addUser("fidu2", ["manage", "view", "shell", "usermgr"]);
  const u2 = await h.login("fidu2", "fidpass1");
  const secretRes = await f("/appmesh/totp/secret", { method: "POST", headers: auth(u2) });
  const uri = atob((await secretRes.json()).mfa_uri as string);
  const secret = new URL(uri).searchParams.get("secret")!;
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    digits: 6,
    period: 30,
  });
  const setup = await f("/appmesh/totp/setup", {
    method: "POST",
    headers: auth(u2, { "X-Totp-Code": totp.generate() }),
  });
  assert.equal(setup.status, 200, await setup.clone().text());
  await setup.body?.cancel();
  const challengeRes = await f("/appmesh/login", {
    method: "POST",
    headers: basic("fidu2", "fidpass1"),
  });
  const challenge = (await challengeRes.clone().json()).totp_challenge as string;
  const raw428 = await record(challengeRes);
  const validate = (cookie: boolean) =>
    f("/appmesh/totp/validate", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        ...(cookie ? { "X-Set-Cookie": "true" } : {}),
      },
      body: JSON.stringify({
        user_name: "fidu2",
        totp_code: totp.generate(),
        totp_challenge: challenge,
        expire_seconds: 600,
      }),
    });
  const rawValidate = await record(await validate(true));
  const rawValidateReuse = await record(await validate(false));
  put("TOTP flow (client, fidu2)", { raw428, rawValidate, rawValidateReuse });
  put("totp secret (raw admin)", await call(token, "/appmesh/totp/secret", { method: "POST" }));
  put(
    "disableTotp other user not enabled (raw admin)",
    await call(token, "/appmesh/totp/fidu1/disable", { method: "POST" }),
  );

  // ---- deletions, errors ----
  put("deleteUser", await call(token, "/appmesh/user/fidu1", { method: "DELETE" }));
  put("deleteUser missing", await call(token, "/appmesh/user/no-such-user", { method: "DELETE" }));
  put("deleteRole", await call(token, "/appmesh/role/fidrole", { method: "DELETE" }));
  put("deleteRole missing", await call(token, "/appmesh/role/no-such-role", { method: "DELETE" }));
  put("deleteApp", await call(token, "/appmesh/app/fid-raw-shell", { method: "DELETE" }));
  put("deleteApp missing", await call(token, "/appmesh/app/no-such-app", { method: "DELETE" }));
  put("unknown path", await call(token, "/appmesh/no/such/path"));
  put("unsupported method", await call(token, "/appmesh/applications", { method: "PATCH" }));
  put(
    "addApp malformed JSON",
    await call(token, "/appmesh/app/x", { method: "PUT", body: "{not json" }),
  );
  put(
    "addApp invalid name",
    await call(token, "/appmesh/app/x", {
      method: "PUT",
      ...jsonBody({ name: "bad name!", command: "true" }),
    }),
  );
  put(
    "addApp without command",
    await call(token, "/appmesh/app/x", { method: "PUT", ...jsonBody({ name: "fid-nocmd" }) }),
  );

  // ---- renew, logoff ----
  const old = await h.login("admin", "admin123");
  const renewed = await f("/appmesh/token/renew", { method: "POST", headers: auth(old) });
  const renewedToken = (await renewed.clone().json()).access_token as string;
  put("renewToken", await record(renewed));
  put("use renewed-away token", await call(old, "/appmesh/user/self"));
  put("renew with revoked token", await call(old, "/appmesh/token/renew", { method: "POST" }));
  put("logout", await call(renewedToken, "/appmesh/self/logoff", { method: "POST" }));
  put("use logged-off token", await call(renewedToken, "/appmesh/user/self"));
  put("logoff twice", await call(renewedToken, "/appmesh/self/logoff", { method: "POST" }));
  return seen;
}

type Probe = { raw?: Obs; client?: Obs };
let cached: Record<string, Probe & { raw: Obs }> | undefined;
function probes(): Record<string, Probe & { raw: Obs }> {
  if (!existsSync(PROBES)) {
    throw new Error(`the recorded daemon probes are missing: ${PROBES}`);
  }
  return cached ??= JSON.parse(readFileSync(PROBES, "utf8"));
}

/** A copy without the recorder's timings (`ms`, at any depth). */
function withoutTimings(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutTimings);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== "ms" && k !== "t") out[k] = withoutTimings(x);
    return out;
  }
  return v;
}

/** The reason a difference is deliberate, or undefined. */
function deliberateReason(name: string, field: string): string | undefined {
  if (DELIBERATE[`${name} :: ${field}`]) return DELIBERATE[`${name} :: ${field}`];
  for (const [key, reason] of Object.entries(DELIBERATE)) {
    if (key.startsWith("* :: ") && field.endsWith(key.slice(5))) return reason;
  }
  return undefined;
}

/** The differences of one probe (composite records compared part by part). */
function probeDifferences(name: string, probe: Probe, got: Obs): [string, string][] {
  if (name === "TOTP flow (client, fidu2)") {
    // The client's TOTP flow recorded three raw answers: compare those.
    const ok = (withoutTimings(probe.client) as Obs).ok as Obs;
    const diffs: [string, string][] = [];
    for (const k of ["raw428", "rawValidate", "rawValidateReuse"]) {
      for (const [field, d] of differences(ok[k] as Obs, got[k] as Obs)) {
        diffs.push([`${k} ${field}`, d]);
      }
    }
    return diffs;
  }
  // A record of the client alone (`runAppAsync+wait ...`): its result, as the wire gave it.
  return differences(withoutTimings(probe.raw ?? { client: probe.client }) as Obs, got);
}

test(
  "fidelity: the recorded App Mesh 2.2.1 probes, answered the same by the local server",
  async () => {
    const recorded = probes();
    const h = await harness();
    let seen: Map<string, Obs>;
    try {
      seen = await runProbes(h);
    } finally {
      await h.close();
    }
    const unexpected: string[] = [];
    const deliberate: string[] = [];
    const keys = new Set<string>();
    const notRun: string[] = [];
    let compared = 0;
    for (const [name, probe] of Object.entries(recorded)) {
      if (CLIENT_ONLY.has(name)) continue;
      const got = seen.get(name);
      if (!got) {
        notRun.push(name);
        continue;
      }
      compared++;
      for (const [field, detail] of probeDifferences(name, probe, got)) {
        const line = `${name} :: ${field}: ${detail}`;
        const reason = deliberateReason(name, field);
        if (RACES[`${name} :: ${field}`]) {
          deliberate.push(`${line} (timing of the recording: ${RACES[`${name} :: ${field}`]})`);
        } else if (reason) {
          deliberate.push(`${line} (${reason})`);
          for (const key of Object.keys(DELIBERATE)) {
            if (
              key === `${name} :: ${field}` ||
              (key.startsWith("* :: ") && field.endsWith(key.slice(5)))
            ) {
              keys.add(key);
            }
          }
        } else unexpected.push(line);
      }
    }
    console.log(
      `fidelity: ${compared} of ${Object.keys(recorded).length} probes compared ` +
        `(${CLIENT_ONLY.size} client-only), ${deliberate.length} deliberate differences, ` +
        `${unexpected.length} unexpected`,
    );
    for (const d of deliberate) console.log(`  deliberate: ${d}`);
    assert.deepEqual(notRun, [], "every recorded probe is sent again or listed as client-only");
    assert.deepEqual(unexpected, [], "differences from the daemon that are not deliberate");
    // Every allow-listed difference is still a difference (a stale entry would hide nothing).
    assert.deepEqual(
      Object.keys(DELIBERATE).filter((k) => !keys.has(k)),
      [],
      "deliberate differences that no longer differ: remove them from the list",
    );
  },
  { timeout: 240_000 },
);
