/**
 * Proxy authentication for the HTTP CONNECT client, with no I/O: reading the schemes a
 * proxy offers (Proxy-Authenticate, RFC 9110 11.6.1: several challenges in one value or
 * several values, comma-separated auth-params), choosing one (Digest before Basic, as
 * ncat does; SHA-256 before MD5), and answering it: Basic (RFC 7617) or Digest (RFC 7616,
 * and RFC 2069's form when no qop is offered) with MD5, SHA-256 and their -sess forms.
 */
import { createHash } from "node:crypto";

export interface Challenge {
  /** The scheme in lower case: "basic", "digest", or another a proxy may name. */
  scheme: string;
  /** auth-params, names in lower case, values unquoted. */
  params: Map<string, string>;
  /** A token68 in place of params (Negotiate and friends), or null. */
  token68: string | null;
}

export class ChallengeError extends Error {
  override name = "ChallengeError";
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const PARAM = new RegExp(`^(${TOKEN})\\s*=\\s*(${TOKEN}|"(?:[^"\\\\]|\\\\.)*")$`, "s");
const SCHEME_PARAM = new RegExp(`^(${TOKEN})\\s+(${TOKEN})\\s*=\\s*(${TOKEN}|"(?:[^"\\\\]|\\\\.)*")$`, "s");
const SCHEME_ALONE = new RegExp(`^(${TOKEN})(?:\\s+([A-Za-z0-9._~+/-]+=*))?$`);

/** Splits at commas outside quoted strings. */
function elements(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (quoted) throw new ChallengeError("an unterminated quoted string");
  out.push(value.slice(start).trim());
  return out;
}

function unquote(v: string): string {
  return v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/gs, "$1") : v;
}

/** Every challenge in the values of the Proxy-Authenticate headers, in order. */
export function parseChallenges(values: readonly string[]): Challenge[] {
  const found: Challenge[] = [];
  for (const value of values) {
    let current: Challenge | null = null;
    for (const el of elements(value)) {
      if (el === "") continue;
      let m = SCHEME_PARAM.exec(el);
      if (m) {
        current = { scheme: (m[1] as string).toLowerCase(), params: new Map(), token68: null };
        current.params.set((m[2] as string).toLowerCase(), unquote(m[3] as string));
        found.push(current);
        continue;
      }
      m = PARAM.exec(el);
      if (m && current !== null && current.token68 === null) {
        current.params.set((m[1] as string).toLowerCase(), unquote(m[2] as string));
        continue;
      }
      m = SCHEME_ALONE.exec(el);
      if (m) {
        current = { scheme: (m[1] as string).toLowerCase(), params: new Map(), token68: m[2] ?? null };
        found.push(current);
        continue;
      }
      throw new ChallengeError(`cannot read "${el.length > 60 ? `${el.slice(0, 60)}...` : el}"`);
    }
  }
  return found;
}

/** Digest's hash algorithms hotline answers, best first. */
const DIGEST_ALGORITHMS = ["sha-256", "sha-256-sess", "md5", "md5-sess"] as const;

function digestRank(c: Challenge): number {
  if (c.scheme !== "digest" || !c.params.has("nonce") || !c.params.has("realm")) return -1;
  const algorithm = (c.params.get("algorithm") ?? "md5").toLowerCase();
  const rank = (DIGEST_ALGORITHMS as readonly string[]).indexOf(algorithm);
  if (rank < 0) return -1;
  const qop = c.params.get("qop");
  // qop offered without "auth" (auth-int only) needs the body's hash: not for CONNECT.
  if (qop !== undefined && !qopList(qop).includes("auth")) return -1;
  return DIGEST_ALGORITHMS.length - rank;
}

function qopList(qop: string): string[] {
  return qop.split(",").map((q) => q.trim().toLowerCase());
}

/** The challenge to answer: Digest (the strongest algorithm) before Basic; null if none fits. */
export function chooseChallenge(challenges: readonly Challenge[]): Challenge | null {
  let best: Challenge | null = null;
  let bestRank = 0;
  for (const c of challenges) {
    const rank = c.scheme === "basic" ? 0.5 : digestRank(c);
    if (rank > bestRank) {
      best = c;
      bestRank = rank;
    }
  }
  return best;
}

/** "Basic dXNlcjpwYXNz" for USER:PASS, as UTF-8 (RFC 7617's charset). */
export function basicAuthorization(userPass: string): string {
  return `Basic ${Buffer.from(userPass, "utf8").toString("base64")}`;
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * The Proxy-Authorization value answering a Digest challenge for one request. The
 * client nonce is given (random in use, fixed in tests); the nonce count is always 1, as
 * each CONNECT is a new connection's one request.
 */
export function digestAuthorization(
  c: Challenge,
  user: string,
  pass: string,
  method: string,
  uri: string,
  cnonce: string,
): string {
  const realm = c.params.get("realm") ?? "";
  const nonce = c.params.get("nonce") ?? "";
  const named = c.params.get("algorithm");
  const algorithm = (named ?? "md5").toLowerCase();
  const hashName = algorithm.startsWith("sha-256") ? "sha256" : "md5";
  const h = (s: string): string => createHash(hashName).update(s, "utf8").digest("hex");
  let ha1 = h(`${user}:${realm}:${pass}`);
  if (algorithm.endsWith("-sess")) ha1 = h(`${ha1}:${nonce}:${cnonce}`);
  const ha2 = h(`${method}:${uri}`);
  const qop = c.params.has("qop") ? "auth" : null;
  const nc = "00000001";
  const response = qop ? h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${nonce}:${ha2}`);
  const parts = [`username=${quote(user)}`, `realm=${quote(realm)}`, `nonce=${quote(nonce)}`, `uri=${quote(uri)}`];
  if (named !== undefined) parts.push(`algorithm=${named}`);
  parts.push(`response=${quote(response)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  else if (algorithm.endsWith("-sess")) parts.push(`cnonce=${quote(cnonce)}`);
  const opaque = c.params.get("opaque");
  if (opaque !== undefined) parts.push(`opaque=${quote(opaque)}`);
  return `Digest ${parts.join(", ")}`;
}
