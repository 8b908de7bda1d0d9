#!/usr/bin/env node
// The `azure-postgresql-auth` bin: runs the command line with the process's streams and signals.
import { readFileSync } from "node:fs";
import { runCli } from "./run-cli.js";
import { tuneHeapForRelaying } from "./tune-heap-for-relaying.js";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

if (process.argv[2] === "proxy" || process.argv[2] === "exec") tuneHeapForRelaying();

runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  version,
  // Every SIGTERM/SIGINT reaches the command: proxy drains on the first and stops on the second,
  // exec forwards each to its command.
  onStop: (listener) => {
    process.on("SIGTERM", () => listener("SIGTERM"));
    process.on("SIGINT", () => listener("SIGINT"));
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
