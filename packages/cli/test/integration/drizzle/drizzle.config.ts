// drizzle-kit takes only a URL (it refuses a password function): it reaches Azure through the proxy.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./test/integration/drizzle/schema.ts",
  out: "./test/integration/drizzle/migrations",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgresql://localhost/unused" },
  migrations: { schema: "public", table: "__proxy_migrations" },
});
