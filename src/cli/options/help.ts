/** The help texts: short, complete, and in the words of ncat where ncat has the option. */
import type { Command } from "./parse.js";

const OPTIONS = `Options (ncat's names; times take ms, s, m or h, seconds by default):
  -l, --listen            answer instead of dial (hotline -l 8990)
  -k, --keep-open         with -l: many callers at once
  -m, --max-conns N       with -k: refuse the N+1th caller (reset) until one leaves
  -u, --udp               UDP instead of TCP
  -U, --unixsock          the address is a Unix socket PATH
  -4, -6                  IPv4 or IPv6 only
  -p, --source-port PORT  dial from PORT (with -l: the port to listen on)
  -s, --source ADDR       dial from ADDR
  -w, --wait TIME         give up connecting after TIME (name lookup included)
  -i, --idle-timeout TIME close the call after TIME with nothing sent or received
  -q SECS                 quit SECS after the end of input (nc; for UDP replies)
  -N                      send FIN at the end of input (nc; hotline always does)
      --no-shutdown       keep sending open at the end of input
      --send-only         only send; ignore what arrives; quit at the end of input
      --recv-only         only receive; never read stdin
  -C, --crlf              send line ends as CRLF
  -z                      only report which ports accept a connection
  -n, --nodns             never look names up: addresses only
  -o, --output FILE       copy the session's data to FILE
  -x, --hex-dump FILE     hex dump of the session to FILE (> sent, < received)
      --append-output     append to -o/-x files instead of replacing them
      --talk, --pipe      force the interactive talk mode, or the raw pipe mode
  -v, --verbose           say more on stderr (-vv: more still)
      --debug             stack traces for unexpected errors
  -h, --help              this help;  hotline COMMAND --help for one command
      --version           print the version`;

const MAIN = `hotline: the phone line for sockets.

Usage:
  hotline listen [HOST] [PORT]     answer a call (default 127.0.0.1 8990)
  hotline connect [HOST] [PORT]    make a call (default 127.0.0.1 8990)
  hotline probe HOST PORTS         which ports answer (PORTS like 20-25,80,8000-8100)
  hotline lookup NAME              what a name resolves to
  hotline [options] [HOST] [PORT]  any ncat command line (port 31337 by default;
                                   -l with no HOST listens on every address)

With a terminal on stdin and stdout you talk: type a line and press Enter; what the
other side says appears above, with who said it and when. Otherwise bytes pass through
unchanged, for scripts and files.

${OPTIONS}

Exit status: 0 done, 1 network or runtime failure, 2 usage error, 130 interrupted.
See docs/cli.md for everything, including where hotline differs from ncat.
`;

const COMMANDS: Partial<Record<Command, string>> = {
  listen: `Usage: hotline listen [HOST] [PORT] [options]
       hotline listen -U PATH [options]

Answers one call on HOST (default 127.0.0.1) and PORT (default 8990; 0 picks a free
one), then exits; with -k, many calls at once. Prints "hotline: listening on ADDRESS" on
stderr once ready. In talk mode with -k: text goes to everyone, '@2 text' to caller #2
only, /help lists the rest.

${OPTIONS}
`,
  connect: `Usage: hotline connect [HOST] [PORT] [options]
       hotline connect -U PATH [options]

Calls HOST (default 127.0.0.1) on PORT (default 8990), trying each address the name
resolves to in turn. Ctrl-D hangs up politely, Ctrl-C at once.

${OPTIONS}
`,
  probe: `Usage: hotline probe HOST PORTS [-w TIME] [-4|-6] [-v]

Reports which TCP ports of HOST accept a connection: one "HOST PORT open" line each on
stdout. PORTS is a list of ports and ranges: 22,80,8000-8100. Each port gets -w (default
2s); 64 are tried at once. Exit 0 if any port is open, 1 if none.
`,
  lookup: `Usage: hotline lookup NAME [-4|-6]

Prints what getaddrinfo() returns for NAME (address and family, one per line), the
address gethostbyname() picks, and the fully qualified name getfqdn() gives.
`,
};

export function helpText(command: Command | null): string {
  return (command && COMMANDS[command]) || MAIN;
}

export const USAGE_HINT = "Try 'hotline --help' for more.";
