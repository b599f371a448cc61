/**
 * A small Chrome DevTools Protocol client for the browser tests that must look inside the page
 * (its DOM, its network requests) rather than wait for a report from it: headless Chromium
 * with `--remote-debugging-port=0`, the port read from the profile's `DevToolsActivePort`, one
 * WebSocket to the browser and one flattened session per tab.
 */
import { type Browser, launchChromium } from "./_chromium.ts";

/** One protocol message as Chromium sends it. */
export interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A browser driven over the DevTools protocol. */
export interface Cdp {
  browser: Browser;
  /** Sends a command (to a tab when `sessionId` is given) and resolves with its result. */
  send(
    method: string,
    params?: Record<string, unknown>,
    sessionId?: string,
  ): Promise<Record<string, unknown>>;
  /** Calls `listener` with every event. */
  on(listener: (m: CdpMessage) => void): void;
  /** Opens a blank tab and attaches to it: its session id. */
  tab(): Promise<string>;
  close(): Promise<void>;
}

/** Starts headless Chromium with remote debugging on a free port and connects to it. */
export async function launchCdp(chromium: string): Promise<Cdp> {
  const browser = await launchChromium(chromium, "about:blank", [], [
    "--remote-debugging-port=0",
    "--remote-debugging-address=127.0.0.1",
  ]);
  try {
    const endpoint = await devToolsEndpoint(browser);
    const ws = new WebSocket(endpoint);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot connect to ${endpoint}`));
    });
    let next = 0;
    const pending = new Map<number, (m: CdpMessage) => void>();
    const listeners: ((m: CdpMessage) => void)[] = [];
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as CdpMessage;
      if (m.id !== undefined) pending.get(m.id)?.(m);
      else for (const l of listeners) l(m);
    };
    const closed = new Promise<void>((r) => ws.onclose = () => r());
    const send: Cdp["send"] = (method, params = {}, sessionId) => {
      const id = ++next;
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
      return new Promise((resolve, reject) => {
        pending.set(id, (m) => {
          pending.delete(id);
          if (m.error) reject(new Error(`${method}: ${m.error.message}`));
          else resolve(m.result ?? {});
        });
      });
    };
    return {
      browser,
      send,
      on: (l) => void listeners.push(l),
      async tab() {
        const { targetId } = await send("Target.createTarget", { url: "about:blank" });
        const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
        return sessionId as string;
      },
      async close() {
        ws.close();
        await closed;
        await browser.close();
      },
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

/** The browser's WebSocket address, from `DevToolsActivePort` once Chromium has written it. */
async function devToolsEndpoint(browser: Browser): Promise<string> {
  const file = `${browser.profile}/DevToolsActivePort`;
  const deadline = Date.now() + 30_000;
  let exited: string | undefined;
  browser.exited.then((why) => exited = why);
  while (Date.now() < deadline && exited === undefined) {
    try {
      const [port, path] = (await Deno.readTextFile(file)).trim().split("\n");
      if (port && path) return `ws://127.0.0.1:${port}${path}`;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(exited ?? "Chromium wrote no DevToolsActivePort in 30 s");
}

/**
 * Evaluates `expression` in the tab (awaiting a promise) and returns its value; an exception
 * in the page fails the call with the page's message.
 */
export async function evaluate<T>(cdp: Cdp, session: string, expression: string): Promise<T> {
  const r = await cdp.send("Runtime.evaluate", {
    expression,
    awaitPromise: true,
    returnByValue: true,
  }, session);
  const thrown = r.exceptionDetails as { exception?: { description?: string } } | undefined;
  if (thrown) throw new Error(`in the page: ${thrown.exception?.description ?? "exception"}`);
  return (r.result as { value: T }).value;
}

/** Waits until `expression` is truthy in the tab (every 50 ms, up to `ms`). */
export async function waitFor(
  cdp: Cdp,
  session: string,
  expression: string,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await evaluate<boolean>(cdp, session, `Boolean(${expression})`))) {
    if (Date.now() > deadline) throw new Error(`not true after ${ms} ms: ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
