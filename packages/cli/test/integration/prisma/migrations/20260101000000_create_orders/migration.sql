-- CreateTable
CREATE TABLE "prisma_exec_orders" (
    "id" SERIAL NOT NULL,
    "customer" TEXT NOT NULL,

    CONSTRAINT "prisma_exec_orders_pkey" PRIMARY KEY ("id")
);
