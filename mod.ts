/**
 * @appmesh/sdk: drive App Mesh from TypeScript on `fetch` alone.
 *
 * @module
 */
export {};
