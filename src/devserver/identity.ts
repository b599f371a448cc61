/**
 * Users, groups, roles and permissions of the local server, in the daemon's `security.yaml`
 * shape, with the daemon's defaults; password hashing (PBKDF2-SHA256, the daemon's
 * `$pbkdf2$<iterations>$<salt hex>$<key hex>` format) via WebCrypto; TOTP secrets and
 * challenges. Tokens are `jwt.ts`'s, over these users.
 *
 * One `Identity` is shared by every node of a server, as the nodes of a cluster share the
 * JWT key and the security store.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import * as OTPAuth from "otpauth";
import { parse as parseYaml } from "yaml";
import { type AuthUser, HttpError } from "./http.ts";
import { TokenAuthority, type TokenSubject } from "./jwt.ts";

/** One user of a `security.yaml`-shaped document. */
export interface UserConfig {
  /** Password: a `$pbkdf2$...` hash, or plain text (hashed on load). */
  key?: string;
  /** E-mail. */
  email?: string;
  /** Group name. */
  group?: string;
  /** OS user for this user's processes. */
  exec_user?: string;
  /** Locked users cannot log in. */
  locked?: boolean;
  /** TOTP enabled. */
  mfa_enabled?: boolean;
  /** TOTP secret (base32). */
  mfa_key?: string;
  /** Role names. */
  roles?: string[];
  /** Free text. */
  metadata?: string;
}

/** The daemon's `security.yaml` document. */
export interface SecurityConfig {
  /** Passwords are stored hashed (always true here: plain keys are hashed on load). */
  EncryptKey?: boolean;
  /** Users by name. */
  Users: Record<string, UserConfig>;
  /** Role name → permission names. */
  Roles: Record<string, string[]>;
}

/** The daemon's default `security.yaml` (src/daemon/security/security.yaml). */
export const DEFAULT_SECURITY: SecurityConfig = {
  EncryptKey: true,
  Users: {
    admin: {
      email: "admin@appmesh.com",
      exec_user: "",
      group: "admin",
      key:
        "$pbkdf2$100000$104d24c65e1095a363e2ba82885825c7$e070fe2ece1aceebf8d5ef66d03ba58483925113a07558b226bb604fb9d50616",
      locked: false,
      mfa_enabled: false,
      mfa_key: "",
      roles: ["manage", "view", "shell", "usermgr"],
    },
    mesh: {
      email: "mesh@appmesh.com",
      exec_user: "",
      group: "user",
      key:
        "$pbkdf2$100000$805b5735085f625281e076d773a08610$f56efc9d5e244cc8b32cbbbb3956ef3271d3866eb02469c51c6daa5d10207e04",
      locked: false,
      roles: ["view"],
    },
    test: {
      email: "test@appmesh.com",
      exec_user: "appmesh",
      group: "user",
      key:
        "$pbkdf2$100000$5349b9a29bfabf7c0aebba6ae8d4d533$998197cb44b68777ac128c5b81229b5e5d18dee3306ef7ae2a82c492aab65a42",
      locked: false,
      roles: [],
    },
  },
  Roles: {
    manage: [
      "app-control",
      "app-delete",
      "app-reg",
      "app-subscribe",
      "config-set",
      "file-download",
      "file-upload",
      "label-delete",
      "label-set",
    ],
    shell: ["app-run-async", "app-run-sync", "app-run-task"],
    usermgr: [
      "user-add",
      "passwd-change-user",
      "user-delete",
      "user-lock",
      "role-delete",
      "role-set",
      "user-totp-disable",
      "user-unlock",
    ],
    view: [
      "config-view",
      "label-view",
      "role-view",
      "user-list",
      "permission-list",
      "passwd-change-self",
      "app-view-all",
      "app-view",
      "app-output-view",
      "user-totp-active",
      "user-token-renew",
      "host-resource-view",
    ],
  },
};

const ITERATIONS = 100_000;
const enc = new TextEncoder();
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

async function pbkdf2(
  password: string,
  salt: Uint8Array<ArrayBuffer>,
  iterations: number,
): Promise<string> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    key,
    256,
  );
  return hex(new Uint8Array(bits));
}

/** Hashes a password in the daemon's `$pbkdf2$100000$salt$key` format. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return `$pbkdf2$${ITERATIONS}$${hex(salt)}$${await pbkdf2(password, salt, ITERATIONS)}`;
}

const HASH_RE = /^\$pbkdf2\$(\d{6,7})\$([0-9a-fA-F]{32})\$([0-9a-fA-F]{64})$/;

async function sha256Hex(s: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(s))));
}

/** A user as stored (name, roles, locked, tokenEpoch: see `TokenSubject`). */
export interface UserRecord extends TokenSubject {
  /** `$pbkdf2$...` password hash. */
  key: string;
  /** E-mail. */
  email: string;
  /** Group. */
  group: string;
  /** OS user for processes ("" → the server's user). */
  exec_user: string;
  /** TOTP required at login. */
  mfa_enabled: boolean;
  /** TOTP secret (base32), "" when none. */
  mfa_key: string;
  /** Free text. */
  metadata: string;
  /** Pending TOTP challenge from a password login. */
  challenge?: { id: string; token: string; expires: number; used?: boolean };
}

/** Options of `Identity`. */
export interface IdentityOptions {
  /** Where users come from: a `security.yaml`-shaped file path, or the object. */
  security?: string | SecurityConfig;
  /** HS256 key shared by all nodes. */
  jwtKey: Uint8Array;
  /** Caps every issued token's lifetime (the `tokenLifetimeSeconds` fault), if set. */
  lifetimeCap?: () => number | undefined;
}

/** The security store shared by the nodes of one server. */
export class Identity {
  /** Users by name. */
  readonly users: Map<string, UserRecord> = new Map();
  /** Role name → permissions. */
  readonly roles: Map<string, Set<string>> = new Map();
  /** Issues, verifies and revokes these users' tokens. */
  readonly tokens: TokenAuthority<UserRecord>;
  readonly #verified = new Set<string>(); // sha256(hash + password) of checked passwords

  /** Use `Identity.create`. */
  private constructor(options: IdentityOptions) {
    this.tokens = new TokenAuthority({
      key: options.jwtKey,
      lookup: (name) => this.user(name),
      lifetimeCap: options.lifetimeCap,
    });
  }

  /** Loads the users (default: the daemon's) and hashes plain-text keys. */
  static async create(options: IdentityOptions): Promise<Identity> {
    const id = new Identity(options);
    let doc: SecurityConfig;
    if (typeof options.security === "string") {
      doc = parseYaml(readFileSync(options.security, "utf8")) as SecurityConfig;
    } else {
      doc = options.security ?? DEFAULT_SECURITY;
    }
    if (!doc || typeof doc !== "object") throw new Error("security: not a mapping");
    for (const [name, perms] of Object.entries(doc.Roles ?? {})) {
      id.roles.set(name, new Set((perms ?? []).map(String).filter((p) => p)));
    }
    for (const [name, u] of Object.entries(doc.Users ?? {})) {
      id.users.set(name, await id.#record(name, u ?? {}));
    }
    return id;
  }

  async #record(name: string, u: UserConfig): Promise<UserRecord> {
    const key = String(u.key ?? "");
    return {
      name,
      key: HASH_RE.test(key) ? key : await hashPassword(key),
      email: String(u.email ?? ""),
      group: String(u.group ?? ""),
      exec_user: String(u.exec_user ?? ""),
      locked: Boolean(u.locked),
      mfa_enabled: Boolean(u.mfa_enabled),
      mfa_key: String(u.mfa_key ?? ""),
      roles: Array.isArray(u.roles) ? u.roles.map(String) : [],
      metadata: String(u.metadata ?? ""),
      tokenEpoch: 0,
    };
  }

  /** The user, or 404 `user not found` (the daemon's NotFoundException). */
  user(name: string): UserRecord {
    const u = this.users.get(name);
    if (!u) throw new HttpError(404, "user not found");
    return u;
  }

  /** Adds or updates a user from a `PUT /appmesh/user/:name` body. */
  async putUser(name: string, body: UserConfig): Promise<void> {
    const fresh = await this.#record(name, { ...body, key: body.key ?? "" });
    const old = this.users.get(name);
    if (!old) {
      if (!body.key) throw new HttpError(400, "no password provided");
      this.users.set(name, fresh);
      return;
    }
    // As the daemon's User::updateUser: keys and the revocation point are daemon-owned.
    Object.assign(old, {
      roles: fresh.roles,
      exec_user: fresh.exec_user,
      group: fresh.group,
      metadata: fresh.metadata,
      locked: fresh.locked,
      mfa_enabled: fresh.mfa_enabled,
      email: fresh.email,
    });
  }

  /** Checks a password (constant work per new password; verified pairs are remembered). */
  async verifyPassword(name: string, password: string): Promise<boolean> {
    const u = this.users.get(name);
    if (!u || u.locked) return false;
    const m = HASH_RE.exec(u.key);
    if (!m) return false;
    const memo = await sha256Hex(`${u.key}\u0000${password}`);
    if (this.#verified.has(memo)) return true;
    const ok = (await pbkdf2(password, unhex(m[2]), Number(m[1]))) === m[3].toLowerCase();
    if (ok) this.#verified.add(memo);
    return ok;
  }

  /** Sets a new password (hashed). */
  async setPassword(name: string, password: string): Promise<void> {
    this.user(name).key = await hashPassword(password);
  }

  /** Every permission of the user's roles. */
  permissionsOf(name: string): Set<string> {
    const out = new Set<string>();
    for (const r of this.users.get(name)?.roles ?? []) {
      for (const p of this.roles.get(r) ?? []) out.add(p);
    }
    return out;
  }

  /** Every permission of every role, sorted. */
  allPermissions(): string[] {
    const out = new Set<string>();
    for (const perms of this.roles.values()) for (const p of perms) out.add(p);
    return [...out].sort();
  }

  /** Every non-empty group, sorted. */
  groups(): string[] {
    return [...new Set([...this.users.values()].map((u) => u.group).filter((g) => g))].sort();
  }

  /** The user as the daemon shows it (no key, no mfa_key), keys sorted as nlohmann::json does. */
  userJson(u: UserRecord, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const out: Record<string, unknown> = {
      ...extra,
      email: u.email,
      exec_user: u.exec_user || osUser(),
      group: u.group,
      locked: u.locked,
      mfa_enabled: u.mfa_enabled,
      name: u.name,
      roles: [...u.roles],
    };
    if (u.metadata) out.metadata = u.metadata;
    if (u.tokenEpoch) out.token_epoch = u.tokenEpoch;
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** The authenticated caller as handlers see it. */
  authUser(user: UserRecord, token: string): AuthUser {
    return {
      name: user.name,
      group: user.group,
      roles: [...user.roles],
      permissions: this.permissionsOf(user.name),
      exec_user: user.exec_user || undefined,
      token,
    };
  }

  /** Starts TOTP setup: a new secret (base32, 32 characters); MFA off until `setup`. */
  newTotpSecret(user: UserRecord): string {
    const secret = new OTPAuth.Secret({ size: 20 }).base32;
    user.mfa_key = secret;
    user.mfa_enabled = false;
    return secret;
  }

  /** Checks a TOTP code (RFC 6238 defaults, ±1 step); 401 `Invalid TOTP token` if wrong. */
  checkTotp(user: UserRecord, code: string): void {
    let ok = false;
    try {
      const totp = new OTPAuth.TOTP({
        secret: OTPAuth.Secret.fromBase32(user.mfa_key),
        algorithm: "SHA1",
        digits: 6,
        period: 30,
      });
      ok = /^\d{6}$/.test(code) && totp.validate({ token: code, window: 1 }) !== null;
    } catch {
      throw new HttpError(401, "Failed to base32 decode TOTP key");
    }
    if (!ok) throw new HttpError(401, "Invalid TOTP token");
  }

  /** Stores the token a TOTP login will hand out and returns the challenge naming it. */
  async newChallenge(user: UserRecord, token: string, seconds: number): Promise<string> {
    const id = (await sha256Hex(token)).slice(0, 32);
    user.challenge = { id, token, expires: Date.now() + seconds * 1000 };
    return id;
  }

  /** The token behind a valid challenge; 412 as the daemon's jwt-cpp exceptions otherwise. */
  takeChallenge(user: UserRecord, challenge: string): string {
    const c = user.challenge;
    if (!c || !challenge || c.id !== challenge) throw new HttpError(412, "invalid signature");
    if (Date.now() >= c.expires) throw new HttpError(412, "token expired");
    return c.token;
  }
}

let cachedOsUser: string | undefined;
function osUser(): string {
  if (cachedOsUser === undefined) {
    try {
      cachedOsUser = userInfo().username;
      if (cachedOsUser === "unknown") {
        cachedOsUser = (globalThis as { process?: { env: Record<string, string | undefined> } })
          .process?.env.USER ?? "";
      }
    } catch {
      cachedOsUser = "";
    }
    cachedOsUser ||= "root";
  }
  return cachedOsUser;
}
