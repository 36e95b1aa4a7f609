/**
 * Command line to options, with no I/O. Two grammars share one table of options
 * (table.ts):
 *
 *   hotline listen [HOST] [PORT]      the seed's way (defaults 127.0.0.1 8990)
 *   hotline connect [HOST] [PORT]
 *   hotline probe HOST PORTS...       connect_ex over a list of ports
 *   hotline lookup NAME               getaddrinfo and getfqdn
 *   hotline send FILE... HOST [PORT]  files over the file protocol (docs/protocol.md)
 *   hotline receive [DIR]             answers one sender (defaults 127.0.0.1 8990)
 *   hotline help [COMMAND], hotline version
 *   hotline [options] [HOST] [PORT]   ncat's way (port 31337; -l listens on every address)
 *
 * The first word decides: a known subcommand, or else ncat's grammar. Everything is
 * checked here, before Node sees it: a mistake, or an option that does not apply to the
 * command or mode chosen, is a UsageError (exit 2).
 */
import { isIP } from "node:net";
import { UNIX_PATH_MAX } from "../../index.js";
import { defaults, type HelpTopic, type Options, TOPICS, VERBS, type Verb } from "./options.js";
import { proxyDefaults } from "./proxy-rows.js";
import { BY_LONG, BY_SHORT, NOT_OFFERED_LONG, NOT_OFFERED_SHORT, type OptionRow } from "./table.js";
import { host, path, port, portList, UsageError } from "./values.js";

export { BACKLOG, type Command, NCAT_PORT, type Options, SEED_HOST, SEED_PORT } from "./options.js";
export { portList, time, UsageError } from "./values.js";

/** Parses the arguments after the program name. */
export function parseArgs(argv: readonly string[]): Options {
  const o = defaults();
  let args = [...argv];
  const first = args[0];
  if (first === "help" || first === "version") return helpOrVersion(o, first, args.slice(1));
  if (first !== undefined && (VERBS as readonly string[]).includes(first)) {
    o.command = first as Verb;
    o.grammar = "seed";
    args = args.slice(1);
  }
  const given: [OptionRow, string][] = [];
  const positional: string[] = [];
  const take = (row: OptionRow, value: string, name: string): void => {
    row.set(o, value, name);
    given.push([row, name]);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const next = (name: string): string => {
      const v = args[i + 1];
      if (v === undefined) throw new UsageError(`option ${name} needs a value`);
      i += 1;
      return v;
    };
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const key = arg.slice(2, eq < 0 ? undefined : eq);
      const row = BY_LONG.get(key);
      if (!row) {
        if (NOT_OFFERED_LONG.has(key)) throw new UsageError(`--${key} is not offered by hotline yet`);
        throw new UsageError(`unknown option '${arg}'`);
      }
      if (row.value === undefined) {
        if (eq >= 0) throw new UsageError(`option --${key} takes no value`);
        take(row, "", `--${key}`);
      } else {
        take(row, eq >= 0 ? arg.slice(eq + 1) : next(`--${key}`), `--${key}`);
      }
      continue;
    }
    if (/^-[0-9]+$/.test(arg) && arg !== "-4" && arg !== "-6" && arg !== "-46" && arg !== "-64") {
      throw new UsageError(`invalid PORT '${arg}': a port is a decimal number from 1 to 65535`);
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // A cluster of short options: -lkv, -lvnp 8990, -w3.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j] ?? "";
        const row = BY_SHORT.get(letter);
        if (!row) {
          const named = NOT_OFFERED_SHORT[letter];
          if (named)
            throw new UsageError(
              `-${letter}${named.startsWith("-") ? "" : ` (--${named})`} is not offered by hotline yet`,
            );
          throw new UsageError(`unknown option '-${letter}'`);
        }
        if (row.value === undefined) {
          take(row, "", `-${letter}`);
          continue;
        }
        const rest = arg.slice(j + 1);
        take(row, rest !== "" ? rest : next(`-${letter}`), `-${letter}`);
        break;
      }
      continue;
    }
    positional.push(arg);
  }
  if (o.command === "help" || o.command === "version") return o;
  placePositionals(o, positional);
  checkFit(o, given);
  proxyDefaults(o);
  return o;
}

/** `hotline help [COMMAND]` and `hotline version`. */
function helpOrVersion(o: Options, word: "help" | "version", rest: string[]): Options {
  o.command = word;
  if (word === "help" && rest[0] !== undefined) {
    const topic = rest[0];
    if (!(VERBS as readonly string[]).includes(topic) && !Object.hasOwn(TOPICS, topic)) {
      throw new UsageError(`no help for '${topic}': no such command or topic (${Object.keys(TOPICS).join(", ")})`);
    }
    o.helpFor = topic as Verb | HelpTopic;
  }
  const extra = word === "help" ? rest[1] : rest[0];
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
  return o;
}

/** Host, port, path, name or ports from the words that are not options. */
function placePositionals(o: Options, words: string[]): void {
  const tooMany = (max: number): void => {
    if (words.length > max) throw new UsageError(`unexpected argument '${words[max]}'`);
  };
  if (o.command === "lookup") {
    tooMany(1);
    if (words[0] === undefined) throw new UsageError("lookup needs a NAME");
    o.name = host(words[0], "NAME");
    return;
  }
  if (o.command === "probe") {
    const [h, ...specs] = words;
    if (h === undefined || specs.length === 0)
      throw new UsageError(`${o.grammar === "seed" ? "probe" : "-z"} needs HOST and PORTS`);
    o.host = host(h, "HOST");
    // nc's habit: several port words (-z host 22 80 443) are one list.
    o.ports = [...new Set(specs.flatMap((spec) => portList(spec)))];
    return;
  }
  if (o.command === "receive") {
    tooMany(1);
    if (words[0] !== undefined) o.dir = path(words[0], "DIR");
    if (o.sourcePort !== null) {
      if (o.port !== null && o.port !== o.sourcePort) throw new UsageError("give the port once: with -p or --port");
      o.port = o.sourcePort;
      o.sourcePort = null;
    }
    return;
  }
  if (o.command === "send") {
    const rest = [...words];
    // FILE... HOST [PORT]: a last word of digits after at least two others is the port.
    if (o.port === null && rest.length >= 3 && /^[0-9]+$/.test(rest[rest.length - 1] as string)) {
      o.port = port(rest.pop() as string, "PORT", false);
    }
    if (rest.length < 2) throw new UsageError("send needs FILE... and HOST (hotline send FILE... HOST [PORT])");
    o.host = host(rest.pop() as string, "HOST");
    o.files = rest.map((f) => path(f, "FILE"));
    if (o.raw && o.files.length !== 1)
      throw new UsageError("--raw sends one FILE (netcat has no names to tell files apart)");
    return;
  }
  if (o.unix !== null) {
    tooMany(1);
    if (words[0] === undefined) throw new UsageError("-U needs a socket PATH");
    if (words[0] === "") throw new UsageError("the socket path is empty");
    const bytes = Buffer.byteLength(words[0]);
    if (bytes > UNIX_PATH_MAX) {
      throw new UsageError(`socket path too long: ${bytes} bytes, at most ${UNIX_PATH_MAX} (Node would cut it short)`);
    }
    o.unix = path(words[0], "the socket path");
    return;
  }
  tooMany(2);
  const listening = o.command === "listen";
  if (words.length === 2) {
    o.host = host(words[0] as string, "HOST");
    o.port = port(words[1] as string, "PORT", listening);
  } else if (words.length === 1) {
    const only = words[0] as string;
    // One word: a port if it looks like one (hotline -l 8990), else a host.
    if (/^[0-9]+$/.test(only) && (listening || o.grammar === "seed")) o.port = port(only, "PORT", listening);
    else o.host = host(only, "HOST");
  }
  if (o.grammar === "ncat" && o.host !== null && isIP(o.host) === 0) o.didYouMean = closeCommand(o.host);
  if (listening && o.sourcePort !== null) {
    // ncat: -p gives the port to listen on.
    if (o.port !== null && o.port !== o.sourcePort) throw new UsageError("give the port once: with -p or as PORT");
    o.port = o.sourcePort;
    o.sourcePort = null;
  }
  if (!listening && o.grammar === "ncat" && o.host === null) {
    throw new UsageError("no host to connect to (use -l to listen)");
  }
}

/**
 * Every option given must apply to the command chosen and fit the mode the rest of the
 * line chose; an option that would be ignored is an error, never silence.
 */
function checkFit(o: Options, given: readonly [OptionRow, string][]): void {
  const command = o.command as Verb;
  for (const [row, name] of given) {
    if (!row.verbs.includes(command)) {
      throw new UsageError(`${name} does not apply to ${describeCommand(o)}`);
    }
    const misfit = row.misfit?.(o);
    if (misfit) throw new UsageError(misfit);
  }
  if (o.nodns) {
    // Through a proxy the target's name is the proxy's to look up (--proxy-dns decides).
    for (const h of [o.proxy === null ? o.host : o.proxy.host, o.source]) {
      if (h !== null && isIP(h) === 0) throw new UsageError(`-n forbids name lookups, and '${h}' is not an address`);
    }
  }
  if (o.family !== 0 && o.host !== null && isIP(o.host) !== 0 && isIP(o.host) !== o.family) {
    throw new UsageError(`${o.host} is not an IPv${o.family} address (-${o.family})`);
  }
}

function describeCommand(o: Options): string {
  if (o.grammar === "seed") return `'hotline ${o.command}'`;
  return {
    listen: "listening (-l)",
    connect: "dialling",
    probe: "probing (-z)",
    lookup: "lookup",
    send: "'hotline send'",
    receive: "'hotline receive'",
  }[o.command as Verb];
}

/** The command a mistyped first word most likely meant: at most two edits away. */
function closeCommand(word: string): Verb | null {
  const lower = word.toLowerCase();
  for (const verb of VERBS) if (editDistance(lower, verb) <= (verb.length > 5 ? 2 : 1)) return verb;
  return null;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost);
    }
    row = next;
  }
  return row[b.length] ?? 0;
}
