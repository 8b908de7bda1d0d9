// Where a command's values come from: the flag, else AZURE_POSTGRESQL_AUTH_<FLAG>, else the
// config file (JSON, YAML, TOML), and the mistakes each source can make.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { commandHelp } from "../src/cli-help.js";
import { CLI_OPTIONS, type CommandName, envName, optionsOf, resolveOptions } from "../src/cli-options.js";
import { UsageError } from "../src/usage-error.js";

const dir = mkdtempSync(join(tmpdir(), "azpg-config-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const formats: Array<[string, string]> = [
  [
    "proxy.json",
    JSON.stringify({
      host: "file.postgres.database.azure.com",
      "max-connections": 10,
      "listen-port": 6000,
      "json-logs": true,
      "http-port": "9090",
    }),
  ],
  [
    "proxy.yaml",
    "host: file.postgres.database.azure.com\nmax-connections: 10\nlisten-port: 6000\njson-logs: true\nhttp-port: '9090'\n",
  ],
  [
    "proxy.toml",
    'host = "file.postgres.database.azure.com"\nmax-connections = 10\nlisten-port = 6000\njson-logs = true\nhttp-port = "9090"\n',
  ],
];

describe("config file, environment and flags", () => {
  for (const [name, text] of formats) {
    it(`${name}: values from the file; the environment wins over it, a flag over both`, () => {
      const path = file(name, text);
      const resolved = resolveOptions("proxy", ["--config-file", path, "--listen-port", "7000"], {
        AZURE_POSTGRESQL_AUTH_MAX_CONNECTIONS: "20",
        AZURE_POSTGRESQL_AUTH_LISTEN_PORT: "6500",
      });
      expect(resolved.values).toMatchObject({
        host: "file.postgres.database.azure.com",
        "max-connections": "20",
        "listen-port": "7000",
        "json-logs": true,
        "http-port": "9090",
      });
      expect(resolved.sources).toMatchObject({
        host: "file",
        "max-connections": "env",
        "listen-port": "flag",
        "json-logs": "file",
      });
    });
  }

  it("the config file itself can come from AZURE_POSTGRESQL_AUTH_CONFIG_FILE", () => {
    const path = file("env.yaml", "port: 6432\n");
    expect(resolveOptions("proxy", [], { AZURE_POSTGRESQL_AUTH_CONFIG_FILE: path }).values.port).toBe("6432");
  });

  it("booleans from the environment: true/1/yes/on and false/0/no/off; anything else is a usage error", () => {
    expect(resolveOptions("proxy", [], { AZURE_POSTGRESQL_AUTH_QUITQUITQUIT: "yes" }).values.quitquitquit).toBe(true);
    expect(resolveOptions("proxy", [], { AZURE_POSTGRESQL_AUTH_JSON_LOGS: "0" }).values["json-logs"]).toBe(false);
    expect(() => resolveOptions("proxy", [], { AZURE_POSTGRESQL_AUTH_JSON_LOGS: "maybe" })).toThrow(
      /AZURE_POSTGRESQL_AUTH_JSON_LOGS must be true or false \(got "maybe"\)/,
    );
  });

  it("an unknown key in the file is refused, naming the key and the file", () => {
    const path = file("typo.toml", "max-conections = 5\n");
    expect(() => resolveOptions("proxy", ["--config-file", path], {})).toThrow(UsageError);
    expect(() => resolveOptions("proxy", ["--config-file", path], {})).toThrow(
      /unknown key "max-conections".*typo\.toml/,
    );
  });

  it("a key of another command is ignored (one file for proxy, wait and shutdown)", () => {
    const path = file("shared.yaml", "host: a.postgres.database.azure.com\nhttp-port: 9191\nmax: 5\n");
    const { values } = resolveOptions("wait", ["--config-file", path], {});
    expect(values).toMatchObject({ "http-port": "9191", max: "5" });
    expect(values.host).toBeUndefined();
  });

  it("bad files: wrong type of value, invalid syntax, unknown extension, missing file", () => {
    expect(() => resolveOptions("proxy", ["--config-file", file("t.json", '{"json-logs": 3}')], {})).toThrow(
      /"json-logs" in the config file .* must be true or false/,
    );
    expect(() => resolveOptions("proxy", ["--config-file", file("bad.yaml", "a: [1\n")], {})).toThrow(/not valid YAML/);
    expect(() => resolveOptions("proxy", ["--config-file", file("bad.toml", "a = \n")], {})).toThrow(/not valid TOML/);
    expect(() => resolveOptions("proxy", ["--config-file", file("x.ini", "a=1")], {})).toThrow(
      /\.json, \.yaml, \.yml or \.toml/,
    );
    expect(() => resolveOptions("proxy", ["--config-file", join(dir, "none.json")], {})).toThrow(
      /cannot read .*ENOENT/,
    );
  });

  it("servers: positional arguments, else AZURE_POSTGRESQL_AUTH_SERVERS, else the file's list (strings or tables)", () => {
    const path = file(
      "servers.yaml",
      "servers:\n  - a.postgres.database.azure.com?listen-port=6001\n  - host: b.postgres.database.usgovcloudapi.net\n    port: 6432\n    database: reports\n",
    );
    expect(resolveOptions("proxy", ["--config-file", path], {}).servers).toEqual({
      source: "file",
      specs: [
        { host: "a.postgres.database.azure.com", listenPort: 6001 },
        { host: "b.postgres.database.usgovcloudapi.net", port: 6432, database: "reports" },
      ],
    });
    const env = {
      AZURE_POSTGRESQL_AUTH_SERVERS: "c.postgres.database.azure.com  d.postgres.database.azure.com?port=6432",
    };
    expect(resolveOptions("proxy", ["--config-file", path], env).servers?.specs.map((s) => s.host)).toEqual([
      "c.postgres.database.azure.com",
      "d.postgres.database.azure.com",
    ]);
    expect(resolveOptions("proxy", ["e.postgres.database.azure.com"], env).servers).toEqual({
      source: "flag",
      specs: [{ host: "e.postgres.database.azure.com" }],
    });
  });

  it("--otlp takes its URL optionally: alone, =URL or URL; a SERVER after it stays a SERVER", () => {
    const otlp = (args: string[], env: Record<string, string> = {}) => resolveOptions("proxy", args, env);
    expect(otlp(["--otlp", "a.postgres.database.azure.com"])).toMatchObject({
      values: { otlp: "" },
      servers: { specs: [{ host: "a.postgres.database.azure.com" }] },
    });
    expect(otlp(["--otlp=http://collector:4318"]).values.otlp).toBe("http://collector:4318");
    expect(otlp(["--otlp", "https://collector:4318", "--host", "h"]).values).toMatchObject({
      otlp: "https://collector:4318",
      host: "h",
    });
    expect(otlp([]).values.otlp).toBeUndefined();
    expect(otlp([], { AZURE_POSTGRESQL_AUTH_OTLP: "true" }).values.otlp).toBe("true"); // launchProxy reads it as on
    expect(resolveOptions("proxy", ["--config-file", file("otlp.yaml", "otlp: true\n")], {}).values.otlp).toBe("");
    expect(() => resolveOptions("token", ["--otlp"], {})).toThrow(/Unknown option '--otlp'/);
  });

  it("a flag of another command is a parse error", () => {
    expect(() => resolveOptions("token", ["--listen-port", "1"], {})).toThrow(/Unknown option '--listen-port'/);
  });
});

describe("help", () => {
  const commands: CommandName[] = ["proxy", "exec", "token", "whoami", "check", "wait", "shutdown"];
  it("every command's help names each of its flags with its environment variable", () => {
    for (const command of commands) {
      const text = commandHelp(command);
      for (const o of optionsOf(command)) {
        expect(text, `${command} --${o.name}`).toContain(`--${o.name}`);
        expect(text, `${command} ${envName(o.name)}`).toContain(`env ${envName(o.name)}`);
      }
    }
  });

  it("every flag belongs to at least one command", () => {
    for (const o of CLI_OPTIONS) expect(Object.keys(o.commands).length, o.name).toBeGreaterThan(0);
  });
});

describe("README", () => {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
  it("documents every flag with its environment variable, and every command", () => {
    for (const o of CLI_OPTIONS) {
      expect(readme, `--${o.name}`).toMatch(new RegExp(`--${o.name}(?![\\w-])`));
      expect(readme, envName(o.name)).toMatch(new RegExp(`${envName(o.name)}(?!\\w)`));
    }
    for (const command of ["proxy", "exec", "wait", "shutdown", "token", "whoami", "check"]) {
      expect(readme, command).toMatch(new RegExp(`^## ${command}$`, "m"));
    }
  });
});
