/**
 * Users, groups, permissions and roles.
 *
 * @module
 */
import type { Core } from "./client.ts";
import { base64Utf8, path } from "./encode.ts";
import type { CallOptions, PasswordOptions } from "./types.ts";

type Json = Record<string, unknown>;

/** `addUser`. */
export async function addUser(
  core: Core,
  name: string,
  user: Json,
  o: CallOptions = {},
): Promise<void> {
  await core.text({ method: "PUT", path: path`/appmesh/user/${name}`, json: user, call: o });
}

/** `deleteUser`. */
export async function deleteUser(core: Core, name: string, o: CallOptions = {}): Promise<void> {
  await core.text({ method: "DELETE", path: path`/appmesh/user/${name}`, call: o });
}

/** `lockUser`. */
export async function lockUser(core: Core, name: string, o: CallOptions = {}): Promise<void> {
  await core.text({ method: "POST", path: path`/appmesh/user/${name}/lock`, call: o });
}

/** `unlockUser`. */
export async function unlockUser(core: Core, name: string, o: CallOptions = {}): Promise<void> {
  await core.text({ method: "POST", path: path`/appmesh/user/${name}/unlock`, call: o });
}

/** `updatePassword`: both passwords base64-encoded in the body, as the daemon expects. */
export async function updatePassword(
  core: Core,
  oldPassword: string,
  newPassword: string,
  o: PasswordOptions = {},
): Promise<void> {
  await core.text({
    method: "POST",
    path: path`/appmesh/user/${o.user ?? "self"}/passwd`,
    json: { old_password: base64Utf8(oldPassword), new_password: base64Utf8(newPassword) },
    call: o,
  });
}

/** `listUsers`. */
export async function listUsers(core: Core, o: CallOptions = {}): Promise<Json> {
  return await core.json<Json>({ method: "GET", path: "/appmesh/users", call: o });
}

/** `getCurrentUser`. */
export async function getCurrentUser(core: Core, o: CallOptions = {}): Promise<Json> {
  return await core.json<Json>({ method: "GET", path: "/appmesh/user/self", call: o });
}

/** `listGroups`. */
export async function listGroups(core: Core, o: CallOptions = {}): Promise<string[]> {
  return await core.json<string[]>({
    method: "GET",
    path: "/appmesh/user/groups",
    shape: "string[]",
    call: o,
  });
}

/** `listPermissions`. */
export async function listPermissions(core: Core, o: CallOptions = {}): Promise<string[]> {
  return await core.json<string[]>({
    method: "GET",
    path: "/appmesh/permissions",
    shape: "string[]",
    call: o,
  });
}

/** `getUserPermissions`. */
export async function getUserPermissions(core: Core, o: CallOptions = {}): Promise<string[]> {
  return await core.json<string[]>({
    method: "GET",
    path: "/appmesh/user/permissions",
    shape: "string[]",
    call: o,
  });
}

/** `listRoles`. */
export async function listRoles(
  core: Core,
  o: CallOptions = {},
): Promise<Record<string, string[]>> {
  return await core.json<Record<string, string[]>>({
    method: "GET",
    path: "/appmesh/roles",
    call: o,
  });
}

/** `updateRole`. */
export async function updateRole(
  core: Core,
  name: string,
  permissions: string[],
  o: CallOptions = {},
): Promise<void> {
  await core.text({
    method: "POST",
    path: path`/appmesh/role/${name}`,
    json: permissions,
    call: o,
  });
}

/** `deleteRole`. */
export async function deleteRole(core: Core, name: string, o: CallOptions = {}): Promise<void> {
  await core.text({ method: "DELETE", path: path`/appmesh/role/${name}`, call: o });
}
