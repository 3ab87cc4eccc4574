import { createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config.js';
import { keyFilePath, keyRingFromFile, loadOrCreateKeyFile, type KeyPurpose, type KeyRing } from './keys.js';

/**
 * Keys this service signs its own documents with: redemption tokens and service certificates.
 * Each purpose has its own key ring (a key is never used for two purposes) kept in DATA_DIR and
 * generated on first run. Their public halves are published at /.well-known/jwks.json so shops and
 * third parties can check tokens and certificates offline.
 */
export interface DocumentKeys {
  redemption: KeyRing;
  certificate: KeyRing;
  /** Verifies against the live keys of one purpose. */
  verifierFor(purpose: 'redemption' | 'certificate'): JWTVerifyGetKey;
  /** Public JWKs of every live key, each tagged with its purpose in `use`-compatible form. */
  publicJwks(): Record<string, unknown>[];
}

export async function loadDocumentKeys(config: Config): Promise<DocumentKeys> {
  const load = async (purpose: KeyPurpose) => keyRingFromFile(await loadOrCreateKeyFile(config.DATA_DIR, purpose), keyFilePath(config.DATA_DIR, purpose));
  return documentKeysFrom(await load('redemption'), await load('certificate'));
}

export function documentKeysFrom(redemption: KeyRing, certificate: KeyRing): DocumentKeys {
  const verifiers = {
    redemption: createLocalJWKSet({ keys: redemption.publicJwks }),
    certificate: createLocalJWKSet({ keys: certificate.publicJwks }),
  };
  return {
    redemption,
    certificate,
    verifierFor: (purpose) => verifiers[purpose],
    publicJwks: () => [
      ...redemption.publicJwks.map((k) => ({ ...k, key_ops: ['verify'], 'x-jifen-purpose': 'redemption' })),
      ...certificate.publicJwks.map((k) => ({ ...k, key_ops: ['verify'], 'x-jifen-purpose': 'certificate' })),
    ],
  };
}
