// Placeholder so that server.ts can import it; the apps helper replaces this file.
import type { Route } from "./http.ts";

/** Routes of the files area. */
export const fileRoutes: Route[] = [];
