// Placeholder so that server.ts can import it; the apps helper replaces this file.
import type { Route } from "./http.ts";

/** Routes of the tasks area. */
export const taskRoutes: Route[] = [];
