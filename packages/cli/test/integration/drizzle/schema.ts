// A small schema for the migration test: drizzle-kit generated ./migrations from it.
import { integer, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";

export const orders = pgTable("proxy_migration_orders", {
  id: serial("id").primaryKey(),
  customer: text("customer").notNull(),
  quantity: integer("quantity").notNull().default(1),
  createdAt: timestamp("created_at").defaultNow().notNull(),
});
