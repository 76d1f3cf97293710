// Runs once, when the MongoDB volume is first initialised (as the root user).
// Creates the application's least-privileged user: read and write on its own database only
// (enough for the event store, read models and change streams), no admin or cluster rights.
const dbName = process.env.MONGODB_DB || 'orders_platform';
const password = process.env.MONGODB_APP_PASSWORD;
if (!password) throw new Error('MONGODB_APP_PASSWORD must be set');
db.getSiblingDB(dbName).createUser({
  user: process.env.MONGODB_APP_USER || 'orders_app',
  pwd: password,
  roles: [{ role: 'readWrite', db: dbName }],
});
