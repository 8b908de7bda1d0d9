CREATE TABLE "proxy_migration_orders" (
	"id" serial PRIMARY KEY NOT NULL,
	"customer" text NOT NULL,
	"quantity" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp DEFAULT now() NOT NULL
);
