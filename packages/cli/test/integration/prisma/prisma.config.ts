// Prisma's CLI for `exec -- prisma migrate deploy`: its schema engine compiled to WebAssembly (in the
// `prisma` package) talks to the database through a driver adapter (pg), with the URL that exec
// puts in DATABASE_URL: no engine download, no password. Prisma 7 dropped this mode (its migrate
// needs the native schema engine, a download from Prisma's servers). The adapter is 7.10's: 6.19's
// cannot read PostgreSQL's `name` columns, which the schema engine queries (prisma/orm#27403).
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "schema.prisma",
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
});
