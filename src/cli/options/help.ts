/**
 * The help texts. The option lines are generated from the option table, so help never
 * lists an option the command refuses or misses one it takes; the prose around them is
 * written here.
 */
import { type HelpTopic, TOPICS, VERBS, type Verb } from "./options.js";
import { names, OPTIONS, type OptionRow } from "./table.js";

/** One line per option of `rows`, long names lined up. */
function optionLines(rows: readonly OptionRow[]): string {
  // Long names line up: an option with no short letter is indented by "-x, ".
  const left = rows.map((row) => `${row.short ? "" : "    "}${names(row)}${row.value ? ` ${row.value}` : ""}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return rows.map((row, i) => `  ${(left[i] ?? "").padEnd(width)}${row.help}`).join("\n");
}

const TIMES = "Times take ms, s, m or h (500ms, 2s, 1m); a bare number is seconds.";

const MAIN = `hotline: the phone line for sockets.

Usage:
  hotline listen [HOST] [PORT]     answer a call (default 127.0.0.1 8990)
  hotline connect [HOST] [PORT]    make a call (default 127.0.0.1 8990)
  hotline probe HOST PORTS...      which ports answer (PORTS like 20-25,80,8000-8100)
  hotline lookup NAME              what a name resolves to
  hotline send FILE... HOST [PORT] files, checked end to end, to 'hotline receive [DIR]'
  hotline help [COMMAND]           this help, or one command's
  hotline version                  the version
  hotline [options] [HOST] [PORT]  any ncat command line (port 31337; -l: every address)

With terminals on stdin and stdout you talk: each line you type goes across, what the
other side says appears above, with who and when. Otherwise bytes pass unchanged.

Options (ncat's names). ${TIMES}
${optionLines(OPTIONS.filter((row) => row.group === undefined))}

More options, by topic (hotline help TOPIC):
${Object.entries(TOPICS)
  .map(([topic, what]) => `  ${topic.padEnd(12)}${what}`)
  .join("\n")}

Exit status: 0 done, 1 network or runtime failure, 2 usage error, 130 interrupted
(143 on SIGTERM). See docs/cli.md for everything, including where hotline differs from ncat.
`;

const INTROS: Record<Verb, string> = {
  listen: `Usage: hotline listen [HOST] [PORT] [options]
       hotline listen -U PATH [options]

Answers one call on HOST (default 127.0.0.1) and PORT (default 8990; 0 picks a free
one), then exits; with --serial, one call after another; with -k, many at once. Prints
"hotline: listening on ADDRESS" on stderr once ready. In talk mode with -k: text goes
to everyone, '@2 text' to caller #2 only, /help lists the rest.`,
  connect: `Usage: hotline connect [HOST] [PORT] [options]
       hotline connect -U PATH [options]

Calls HOST (default 127.0.0.1) on PORT (default 8990), trying each address the name
resolves to in turn. Ctrl-D hangs up politely, Ctrl-C at once.`,
  probe: `Usage: hotline probe HOST PORTS... [options]

Reports which TCP ports of HOST accept a connection: one "HOST PORT open" line each on
stdout. PORTS is a list of ports and ranges (22,80,8000-8100), or several such words.
Each port gets -w (default 2s); up to 64 are tried at once. Exit 0 if any port is open,
1 if none.`,
  send: `Usage: hotline send FILE... HOST [PORT] [options]

Sends files, and folders with all their files, to 'hotline receive' on HOST (port
8990 by default). Each file is checked end to end with SHA-256 and counts as sent only
when the receiver says it is saved. A transfer that was cut resumes where it stopped:
send the same again. With --raw, FILE goes as plain bytes to any 'nc -l'.`,
  receive: `Usage: hotline receive [DIR] [options]

Answers one sender (with -k, one after another) on 127.0.0.1 port 8990 (--bind,
--port) and saves what it sends into DIR (default: the current folder). Prints
"hotline: listening on ADDRESS" on stderr once ready. Files are written as
NAME.hotline-partial and named only when whole and checked; an existing file is never
replaced without --overwrite. With --raw, one call's bytes go to stdout, as 'hotline -l'.`,
  lookup: `Usage: hotline lookup NAME [options]

Prints what getaddrinfo() returns for NAME (address and family, one per line), the
address gethostbyname() picks, and the fully qualified name getfqdn() gives.`,
};

const TOPIC_INTROS: Record<HelpTopic, string> = {
  tls: `TLS: hotline --ssl HOST PORT verifies the server (system CAs, or --ssl-trustfile)
and its name; --ssl-pin trusts one certificate. hotline -l --ssl PORT makes a throwaway
certificate and prints the pin for it. docs/cli.md has the details.`,
  proxy: `Proxies: hotline --proxy HOST[:PORT] [--proxy-type http|socks4|socks5] TARGET PORT
dials through a proxy; hotline -l PORT --proxy-type http is an HTTP proxy server.
docs/cli.md has the details, and the open-relay risk of a proxy server.`,
  conference: `Conferences: hotline --broker PORT relays what each caller sends to every other;
hotline --chat PORT is a chat room on lines (/nick, /who, /msg), the listener a member.
Each caller has a bounded queue: one slow reader is cut, never stalls the others.`,
  exec: `Exec: hotline -l PORT -e "PROG ARGS" (no shell) or -c "COMMAND" (/bin/sh -c) makes a
program the end of each call: the caller talks to its stdin and stdout; it gets NCAT_*
variables, and is ended with the call. Works dialling too.`,
  access: `Access lists: only callers that --allow names get in, and none that --deny names
(deny wins). HOSTS: addresses, CIDR (10.0.0.0/8), ranges (192.168.0-3.*), names, comma
separated; the files hold one or more per line, # comments.`,
  files: `Files: hotline receive [DIR] answers (127.0.0.1 8990 unless --bind, --port) and saves
what hotline send FILE... HOST [PORT] sends; each file checked with SHA-256, a cut
transfer resumed when sent again. --raw: plain bytes to or from any netcat.`,
};

export function helpText(topic: Verb | HelpTopic | null): string {
  if (topic === null) return MAIN;
  if ((VERBS as readonly string[]).includes(topic)) {
    const verb = topic as Verb;
    return `${INTROS[verb]}\n\nOptions. ${TIMES}\n${optionLines(OPTIONS.filter((row) => row.verbs.includes(verb)))}\n`;
  }
  const group = topic as HelpTopic;
  return `${TOPIC_INTROS[group]}\n\nOptions:\n${optionLines(OPTIONS.filter((row) => row.group === group))}\n`;
}

export const USAGE_HINT = "Try 'hotline --help' for more.";
