/** The help texts, made from the flag table so that each flag shows its environment variable. */
import { type CommandName, envName, optionsOf, SERVERS_ENV } from "./cli-options.js";

const SUMMARY: Record<CommandName, { usage: string; what: string }> = {
  proxy: {
    usage: "proxy [SERVER[?port=N&listen-port=N&listen-address=A&unix-socket=PATH&database=DB] ...] [options]",
    what: "local auth proxy: clients connect to 127.0.0.1 without TLS and without a password, the proxy logs them in to the server over verified TLS with an Entra token",
  },
  exec: {
    usage: "exec [SERVER | --host HOST] [options] -- COMMAND [ARGS...]",
    what: "runs COMMAND with a proxy on a free loopback port and PGHOST, PGPORT, PGUSER, PGSSLMODE=disable, PGDATABASE and DATABASE_URL set; exits with its exit code",
  },
  token: { usage: "token [options]", what: "print an access token for the server's cloud (for PGPASSWORD)" },
  whoami: {
    usage: "whoami [options]",
    what: "who the credential is, the role name our rules pick, and the SQL that creates the role",
  },
  check: {
    usage: "check [options]",
    what: "connect step by step and explain what fails (exit 0 only when a query ran)",
  },
  wait: {
    usage: "wait --http-port PORT [--http-address ADDR] [--max S]",
    what: "exit 0 once a running proxy's /startup says started, 1 after --max seconds",
  },
  shutdown: {
    usage: "shutdown --http-port PORT [--http-address ADDR]",
    what: "ask a running proxy (started with --quitquitquit) to drain as on SIGTERM and exit",
  },
};

const EXIT_CODES = `Exit codes: 0 ok; 1 failed (wait: gave up; shutdown: not accepted); 2 usage; 3 no token (credential);
4 cannot listen; 5 stopped and closed connections still open after --max-sigterm-delay;
10 DNS, 11 TCP, 12 TLS, 13 token, 14 login refused, 15 query (check, --run-connection-test);
exec: the command's exit code.`;

/** The overview: commands, how configuration works, exit codes. */
export function overviewHelp(): string {
  const commands = (Object.keys(SUMMARY) as CommandName[])
    .map((c) => `  ${c.padEnd(9)}${wrap(SUMMARY[c].what, 11)}`)
    .join("\n");
  return `azure-postgresql-auth <command> [options]

Log any PostgreSQL client in to Azure Database for PostgreSQL with Microsoft Entra ID.

Commands:
${commands}

Run azure-postgresql-auth <command> --help for its options.

Every flag can also come from the environment, AZURE_POSTGRESQL_AUTH_<FLAG> (upper case, - as _;
e.g. AZURE_POSTGRESQL_AUTH_MAX_CONNECTIONS=100, AZURE_POSTGRESQL_AUTH_QUITQUITQUIT=true), or from
--config-file FILE (JSON, YAML or TOML; keys are flag names, "servers" a list of servers).
A flag wins over the environment, the environment over the file.

${EXIT_CODES}
`;
}

/** One command's help: usage, what it does, each flag with its environment variable. */
export function commandHelp(command: CommandName): string {
  const lines = [`azure-postgresql-auth ${SUMMARY[command].usage}`, "", wrap(SUMMARY[command].what, 0), "", "Options:"];
  for (const o of optionsOf(command)) {
    const own = o.commands[command];
    const text = typeof own === "string" ? own : o.help;
    const flag = `${o.short ? `-${o.short}, ` : ""}--${o.name}${o.arg ? ` ${o.arg}` : ""}`;
    lines.push(`  ${flag.padEnd(28)}${wrap(text, 30)}`);
    lines.push(`  ${"".padEnd(28)}env ${envName(o.name)}`);
  }
  lines.push("  -h, --help");
  if (command === "proxy" || command === "exec") {
    lines.push(
      "",
      `Servers: SERVER arguments, or env ${SERVERS_ENV} (space-separated), or "servers" in the config file.`,
      "Each gets its own listener and its cloud from its host; servers of one cloud share one token.",
    );
  }
  if (command === "proxy") {
    lines.push(
      "",
      "Clients connect with sslmode=disable (the hop to the proxy is local; the proxy always uses verified",
      'TLS to the server), e.g. psql "host=127.0.0.1 port=5432 dbname=postgres user=<role> sslmode=disable"',
    );
  }
  lines.push("", EXIT_CODES, "");
  return lines.join("\n");
}

function wrap(text: string, indent: number, width = 100): string {
  const words = text.split(" ");
  const out: string[] = [];
  let line = "";
  for (const word of words) {
    if (line && indent + line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  out.push(line);
  return out.join(`\n${" ".repeat(indent)}`);
}
