#!/bin/sh
# Stands in for Prisma's schema engine, which `prisma generate` looks for but does not run. This
# example never runs `prisma migrate` or `db push` (they need the real engine, downloaded from
# Prisma's servers, and a password in a URL): it only generates the client.
echo "no schema engine here: see examples/prisma/README.md" >&2
exit 1
