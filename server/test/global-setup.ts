// Replaced by the database bootstrap (embedded PostgreSQL or DATABASE_URL) in the next commit.
export default async function setup(): Promise<void> {}
