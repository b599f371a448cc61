/**
 * The one route table of the local server, and its matcher. Literal paths win over patterns
 * (`/appmesh/user/self` before `/appmesh/user/:name`); a `:param` matches one non-empty
 * segment without `*`, as the daemon's `([^/\*]+)`.
 *
 * @module
 */
import { appRoutes } from "./apps.ts";
import { authRoutes } from "./auth_routes.ts";
import { fileRoutes } from "./files.ts";
import type { Route } from "./context.ts";
import { systemRoutes } from "./system.ts";
import { taskRoutes } from "./task_routes.ts";
import { userRoutes } from "./users.ts";

/** Every route of the server. */
export function allRoutes(): Route[] {
  return [
    ...authRoutes,
    ...userRoutes,
    ...systemRoutes,
    ...appRoutes,
    ...fileRoutes,
    ...taskRoutes,
  ];
}

/** A matched route. */
export interface RouteMatch {
  /** The route. */
  route: Route;
  /** URL-decoded path parameters. */
  params: Record<string, string>;
  /** The route's path with every parameter as `:param` (the daemon's metric label). */
  label: string;
}

interface Compiled {
  route: Route;
  re: RegExp;
  names: string[];
  literal: boolean;
  label: string;
}

/** Matches method + path against a route table. */
export class Router {
  readonly #byMethod = new Map<string, Compiled[]>();

  /** @param routes the table */
  constructor(routes: Route[]) {
    for (const route of routes) {
      const names: string[] = [];
      const source = route.path.split("/").map((seg) => {
        if (seg.startsWith(":")) {
          names.push(seg.slice(1));
          return "([^/*]+)";
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      }).join("/");
      const list = this.#byMethod.get(route.method) ?? [];
      list.push({
        route,
        re: new RegExp(`^${source}$`),
        names,
        literal: names.length === 0,
        label: route.path.replace(/:[A-Za-z_]\w*/g, ":param"),
      });
      this.#byMethod.set(route.method, list);
    }
    for (const list of this.#byMethod.values()) {
      list.sort((a, b) => Number(b.literal) - Number(a.literal));
    }
  }

  /** The route for a method and (raw, still URL-encoded) path, or undefined. */
  match(method: string, path: string): RouteMatch | undefined {
    for (const c of this.#byMethod.get(method) ?? []) {
      const m = c.re.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => {
        try {
          params[n] = decodeURIComponent(m[i + 1]);
        } catch {
          params[n] = m[i + 1];
        }
      });
      return { route: c.route, params, label: c.label };
    }
    return undefined;
  }
}
