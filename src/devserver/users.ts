/**
 * User, role, group and permission routes of the local server, answering as the daemon's
 * RestHandler (messages, permission names, 404 `user not found`).
 *
 * @module
 */
import { decodeJwt } from "jose";
import type { RequestContext, Route } from "./context.ts";
import { base64Text, HttpError, json, readJson } from "./http.ts";
import type { UserConfig } from "./identity.ts";

function identity(ctx: RequestContext) {
  return ctx.node.shared.identity;
}

function base64Field(value: unknown, field: string): string {
  if (typeof value !== "string") throw new HttpError(400, `can not find ${field} from body`);
  try {
    return base64Text(value);
  } catch {
    throw new HttpError(400, `${field} is not valid base64`);
  }
}

async function changePassword(ctx: RequestContext): Promise<Response> {
  const id = identity(ctx);
  const caller = ctx.user!.name;
  const target = ctx.params.name === "self" ? caller : ctx.params.name;
  ctx.require(target === caller ? "passwd-change-self" : "passwd-change-user");
  const body = await readJson(ctx.req) as Record<string, unknown> | null;
  if (!body || typeof body !== "object") throw new HttpError(400, "Invalid JSON body");
  const oldPassword = base64Field(body.old_password, "old password");
  const newPassword = base64Field(body.new_password, "new password");
  id.user(target);
  if (!await id.verifyPassword(target, oldPassword)) {
    throw new HttpError(400, `old password for user <${target}> is incorrect`);
  }
  await id.setPassword(target, newPassword);
  // As the daemon: a password change invalidates every token issued so far.
  id.user(target).tokenEpoch = Math.floor(Date.now() / 1000);
  return json(200, { message: "password changed success" });
}

function lock(ctx: RequestContext): Response {
  if (ctx.params.name === "admin") throw new HttpError(400, "User admin can not be locked");
  identity(ctx).user(ctx.params.name).locked = true;
  return json(200, { message: "Lock user success" });
}

function unlock(ctx: RequestContext): Response {
  identity(ctx).user(ctx.params.name).locked = false;
  return json(200, { message: "Unlock user success" });
}

async function addUser(ctx: RequestContext): Promise<Response> {
  const body = await readJson(ctx.req);
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new HttpError(400, "incorrect user json section");
  }
  const b = body as Record<string, unknown>;
  if (b.roles !== undefined && !Array.isArray(b.roles)) {
    throw new HttpError(400, "roles must be an array");
  }
  await identity(ctx).putUser(ctx.params.name, b as UserConfig);
  return json(200, { message: "User add success" });
}

function deleteUser(ctx: RequestContext): Response {
  const id = identity(ctx);
  id.user(ctx.params.name);
  id.users.delete(ctx.params.name);
  return json(200, { message: "User delete success" });
}

function self(ctx: RequestContext): Response {
  const id = identity(ctx);
  const user = id.user(ctx.user!.name);
  let audience: string[] = [];
  try {
    const aud = decodeJwt(ctx.user!.token).aud;
    audience = Array.isArray(aud) ? aud : aud ? [aud] : [];
  } catch {
    // verified before; unreachable
  }
  return json(200, id.userJson(user, { audience }));
}

function listUsers(ctx: RequestContext): Response {
  const id = identity(ctx);
  const out: Record<string, unknown> = {};
  for (const name of [...id.users.keys()].sort()) out[name] = id.userJson(id.users.get(name)!);
  return json(200, out);
}

function listRoles(ctx: RequestContext): Response {
  const out: Record<string, string[]> = {};
  const roles = identity(ctx).roles;
  for (const name of [...roles.keys()].sort()) out[name] = [...roles.get(name)!].sort();
  return json(200, out);
}

async function setRole(ctx: RequestContext): Promise<Response> {
  const body = await readJson(ctx.req);
  if (!Array.isArray(body) || body.some((p) => typeof p !== "string")) {
    throw new HttpError(400, "role permissions must be an array of strings");
  }
  const perms = new Set((body as string[]).filter((p) => p));
  const roles = identity(ctx).roles;
  // As the daemon: a role without permissions is removed.
  if (perms.size === 0) roles.delete(ctx.params.name);
  else roles.set(ctx.params.name, perms);
  return json(200, { message: "Role update success" });
}

function deleteRole(ctx: RequestContext): Response {
  identity(ctx).roles.delete(ctx.params.name);
  return json(200, { message: "Role delete success" });
}

function userPermissions(ctx: RequestContext): Response {
  return json(200, [...identity(ctx).permissionsOf(ctx.user!.name)].sort());
}

function permissions(ctx: RequestContext): Response {
  return json(200, identity(ctx).allPermissions());
}

function groups(ctx: RequestContext): Response {
  return json(200, identity(ctx).groups());
}

/** Routes of the users area. */
export const userRoutes: Route[] = [
  { method: "POST", path: "/appmesh/user/:name/passwd", auth: true, handler: changePassword },
  {
    method: "POST",
    path: "/appmesh/user/:name/lock",
    auth: true,
    permission: "user-lock",
    handler: lock,
  },
  {
    method: "POST",
    path: "/appmesh/user/:name/unlock",
    auth: true,
    permission: "user-unlock",
    handler: unlock,
  },
  {
    method: "PUT",
    path: "/appmesh/user/:name",
    auth: true,
    permission: "user-add",
    handler: addUser,
  },
  {
    method: "DELETE",
    path: "/appmesh/user/:name",
    auth: true,
    permission: "user-delete",
    handler: deleteUser,
  },
  { method: "GET", path: "/appmesh/user/self", auth: true, handler: self },
  {
    method: "GET",
    path: "/appmesh/users",
    auth: true,
    permission: "user-list",
    handler: listUsers,
  },
  {
    method: "GET",
    path: "/appmesh/roles",
    auth: true,
    permission: "role-view",
    handler: listRoles,
  },
  {
    method: "POST",
    path: "/appmesh/role/:name",
    auth: true,
    permission: "role-set",
    handler: setRole,
  },
  {
    method: "DELETE",
    path: "/appmesh/role/:name",
    auth: true,
    permission: "role-delete",
    handler: deleteRole,
  },
  { method: "GET", path: "/appmesh/user/permissions", auth: true, handler: userPermissions },
  {
    method: "GET",
    path: "/appmesh/permissions",
    auth: true,
    permission: "permission-list",
    handler: permissions,
  },
  // The daemon checks nothing here, not even a token.
  { method: "GET", path: "/appmesh/user/groups", auth: false, handler: groups },
];
