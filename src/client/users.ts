/**
 * Users: `updatePassword`, the one method of the area that shapes its body (both passwords
 * Base64); users, groups, permissions and roles are otherwise `call`s of the client class.
 *
 * @module
 */
import { call, type Core } from "./core.ts";
import { base64Utf8 } from "./encode.ts";
import type { PasswordOptions } from "./types.ts";

/**
 * `updatePassword`: both passwords base64-encoded in the body, as the daemon expects.
 *
 * @example
 * ```ts
 * import { updatePassword } from "./users.ts";
 * console.log(typeof updatePassword); // "function" (the client's updatePassword runs it)
 * ```
 */
export async function updatePassword(
  core: Core,
  oldPassword: string,
  newPassword: string,
  o: PasswordOptions = {},
): Promise<void> {
  await call(core, "updatePassword", {
    params: { name: o.user ?? "self" },
    json: { old_password: base64Utf8(oldPassword), new_password: base64Utf8(newPassword) },
    call: o,
  });
}
