/**
 * `appmesh apps`: the applications of a node, as a table (or JSON).
 *
 * @module
 */

import type { Command } from "../command.ts";
import { connect, style, useColor } from "../context.ts";
import { EXIT } from "../errors.ts";

/** Renders rows as left-aligned columns. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join("  ");
  return [line(header), ...rows.map(line)].join("\n");
}

const str = (v: unknown) => v === undefined || v === null ? "" : String(v);

/** `appmesh apps`. */
export const apps: Command = {
  spec: {
    name: "apps",
    summary: "list the applications of a node",
    flags: {
      node: { type: "string", value: "HOST", description: "ask this node (X-Target-Host)" },
      json: { type: "boolean", description: "print the apps as JSON" },
    },
    positionals: [],
    connects: true,
    examples: ["appmesh apps", "appmesh apps --node 127.0.0.1:6061 --json"],
  },
  async run(args, globals) {
    const { client: base } = await connect(globals, { session: true });
    try {
      const node = args.flags.node as string | undefined;
      const client = node ? base.forNode(node) : base;
      const list = await client.listApps();
      if (args.flags.json === true) {
        console.log(JSON.stringify(list, null, 2));
        return EXIT.ok;
      }
      if (!list.length) {
        console.log("no applications");
        return EXIT.ok;
      }
      const st = style(useColor("stdout"));
      const rows = list.map((a) => [
        str(a.name),
        a.status === 1 ? "enabled" : a.status === 0 ? "disabled" : str(a.status),
        a.health === 0 ? "healthy" : a.health === 1 ? "unhealthy" : str(a.health),
        str(a.pid),
        str(a.return_code ?? a.return),
        str(a.owner),
        str(a.command),
      ]);
      const table = formatTable(
        ["NAME", "STATUS", "HEALTH", "PID", "EXIT", "OWNER", "COMMAND"],
        rows,
      );
      const [head, ...rest] = table.split("\n");
      console.log([st.bold(head), ...rest].join("\n"));
      return EXIT.ok;
    } finally {
      await base.close();
    }
  },
};
