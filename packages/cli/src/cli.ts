#!/usr/bin/env node
// The `azure-postgresql-auth` bin: runs the command line with the process's streams and signals.
import { readFileSync } from "node:fs";
import { runCli } from "./run-cli.js";
import { tuneHeapForRelaying } from "./tune-heap-for-relaying.js";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

if (process.argv[2] === "proxy") tuneHeapForRelaying();

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  version,
  onStop: (listener) => {
    process.once("SIGTERM", () => listener("SIGTERM"));
    process.once("SIGINT", () => listener("SIGINT"));
  },
}).then(
  (code) => {
    process.exitCode = code;
    // Let stdout drain, then leave even if a keep-alive timer of a credential is pending.
    process.stdout.write("", () => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`azure-postgresql-auth: internal error: ${String(error)}\n`);
    process.exit(1);
  },
);
