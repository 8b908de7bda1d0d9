/**
 * Reads `--config-file`: JSON, YAML or TOML (by the file's extension), through the `yaml` and
 * `smol-toml` parsers. Keys are flag names (`max-connections = 100`); `servers` lists several
 * servers. Returns the top-level table as is; cli-options.ts checks keys and types.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { UsageError } from "./usage-error.js";

/** The top-level table of a config file. */
export type ConfigTable = Record<string, unknown>;

/** Loads and parses the config file at `path`; throws a {@link UsageError} that names the file and the problem. */
export function loadConfigFile(path: string): ConfigTable {
  const format = formatOf(path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read the config file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}); check --config-file or AZURE_POSTGRESQL_AUTH_CONFIG_FILE`,
    );
  }
  let parsed: unknown;
  try {
    parsed = format === "json" ? JSON.parse(text) : format === "yaml" ? parseYaml(text) : parseToml(text);
  } catch (error) {
    const detail = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    throw new UsageError(`the config file ${path} is not valid ${format.toUpperCase()}: ${detail}`);
  }
  if (parsed === null || parsed === undefined) return {}; // an empty YAML file
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UsageError(`the config file ${path} must hold a table of flag names and values (e.g. port: 5432)`);
  }
  return parsed as ConfigTable;
}

function formatOf(path: string): "json" | "yaml" | "toml" {
  const ext = extname(path).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  if (ext === ".toml") return "toml";
  throw new UsageError(
    `the config file ${path} must end in .json, .yaml, .yml or .toml (the extension says how to read it)`,
  );
}
