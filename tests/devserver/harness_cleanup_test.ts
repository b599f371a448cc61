/**
 * The test harness stops what a failing test started: `afterTest` clean-ups run when the test
 * ends however it ends, and `harness()` registers its server's close there.
 */
// @bun
// @node
import assert from "node:assert/strict";
import { afterTest, test, withCleanups } from "../harness.ts";
import { boundFetch, harness } from "./_util.ts";

test("harness: a test that fails still stops the server it started, clean-ups last first", async () => {
  const order: string[] = [];
  let url = "";
  let ca = "";
  const failing = withCleanups(async () => {
    afterTest(() => order.push("first registered"));
    const h = await harness();
    url = h.url;
    ca = h.server.caPem ?? "";
    afterTest(() => order.push("last registered"));
    const res = await h.fetch(`${url}/appmesh/labels`);
    await res.body?.cancel();
    throw new Error("an assertion failed here");
  });
  await assert.rejects(failing(), /an assertion failed here/);
  assert.deepEqual(order, ["last registered", "first registered"]);
  // The server is gone: a new connection is refused.
  const f = boundFetch(ca);
  try {
    await assert.rejects(f(`${url}/appmesh/labels`));
  } finally {
    f.close();
  }
  // Outside a test's own run, afterTest does nothing (and does not throw).
  afterTest(() => {
    throw new Error("never run");
  });
});
