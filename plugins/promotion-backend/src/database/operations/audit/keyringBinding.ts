import { Knex } from 'knex';
import { AuditKeyring } from '../../../audit/auditKeyring';

/*
 * The audit keyring of a database client. The store binds its keyring to its
 * knex client once (`DatabasePromotionStore.create`), and `appendEvents`
 * finds it from any transaction of that client: a transaction shares its
 * client's config object. So every write operation keys its events without
 * passing the keyring through each call.
 */
const keyrings = new WeakMap<object, AuditKeyring>();

/** Binds the keyring to the database client (and every transaction on it). */
export function bindAuditKeyring(db: Knex, keyring: AuditKeyring): void {
  keyrings.set(db.client.config, keyring);
}

/** The keyring bound to the client of `db`; an error when there is none. */
export function auditKeyringOf(db: Knex | Knex.Transaction): AuditKeyring {
  const keyring = keyrings.get(db.client.config);
  if (!keyring) {
    throw new Error(
      'The audit chain is keyed: no audit keyring is bound to this database client (see DatabasePromotionStore.create)',
    );
  }
  return keyring;
}
