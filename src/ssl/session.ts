/**
 * Python's ssl.SSLSession: a TLS session a client may offer again to resume. hotline also
 * records where it came from (the context and server name), because resuming is only
 * safe there: Node 20 resumes a session saved for one name under another and calls the
 * connection authorised without looking at the certificate again.
 */
import type { X509Certificate } from "node:crypto";
import type { SSLContext } from "./context.js";

/** What only hotline/ssl reads: the serialized session and the peer it was verified with. */
export interface SessionSecrets {
  readonly data: Buffer;
  readonly peer: X509Certificate | null;
  readonly verified: boolean;
}

/** Makes a session (ssl-socket.ts) and reads its secrets. */
export let newSession: (context: SSLContext, serverHostname: string | null, secrets: SessionSecrets) => SSLSession;
export let secretsOf: (session: SSLSession) => SessionSecrets;

export class SSLSession {
  /** The context of the connection it came from; only that context may resume it. */
  readonly context: SSLContext;
  /** The server name it was verified for; only a connection to that name may resume it. */
  readonly serverHostname: string | null;
  /** When it was made, in seconds since the epoch (Python's `time`). */
  readonly time: number;
  readonly #secrets: SessionSecrets;

  private constructor(context: SSLContext, serverHostname: string | null, secrets: SessionSecrets) {
    this.context = context;
    this.serverHostname = serverHostname;
    this.time = Math.floor(Date.now() / 1000);
    this.#secrets = secrets;
  }

  static {
    newSession = (context, serverHostname, secrets) => new SSLSession(context, serverHostname, secrets);
    secretsOf = (session) => session.#secrets;
  }

  toString(): string {
    return `<hotline.ssl.SSLSession for ${this.serverHostname ?? "(no name)"}>`;
  }
}
