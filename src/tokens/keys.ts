import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/** Every token this service signs or verifies uses Ed25519; the algorithm is pinned, never read from a token. */
export const signingAlg = 'EdDSA';

export type KeyPurpose = 'access' | 'redemption' | 'certificate';

export interface StoredKey {
  kid: string;
  alg: typeof signingAlg;
  createdAt: string;
  /** A retired key no longer verifies anything; it is kept so the file shows the key's history. */
  retiredAt?: string;
  privateJwk?: JWK;
  publicJwk: JWK;
}

export interface KeyFile {
  purpose: KeyPurpose;
  keys: StoredKey[];
}

export interface SigningKey {
  kid: string;
  key: CryptoKey;
}

/**
 * The keys for one purpose. The newest live key with a private half signs; every live key
 * verifies, which is what lets a new key take over while tokens signed by the old one run out.
 */
export interface KeyRing {
  purpose: KeyPurpose;
  signing: SigningKey | undefined;
  /** Public JWKs of the live keys, each with `kid`, `alg` and `use`. */
  publicJwks: JWK[];
  source: string;
}

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
}

export async function newStoredKey(): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(signingAlg, { crv: 'Ed25519', extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = randomUUID().replaceAll('-', '').slice(0, 16);
  return { kid, alg: signingAlg, createdAt: new Date().toISOString(), privateJwk, publicJwk: publicPart(privateJwk) };
}

export function keyFilePath(dataDir: string, purpose: KeyPurpose): string {
  return path.join(dataDir, 'keys', `${purpose}.json`);
}

async function writeKeyFileAtomically(file: string, content: KeyFile, exclusive: boolean): Promise<boolean> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  try {
    if (exclusive) {
      // link() fails if the file exists, so two instances starting together cannot both create keys.
      await fs.link(temp, file);
    } else {
      await fs.rename(temp, file);
      return true;
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

export async function readKeyFile(file: string): Promise<KeyFile | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as KeyFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read key file ${file}: ${(error as Error).message}`);
  }
}

/** Reads the key file for a purpose, creating it with one fresh key on first run. */
export async function loadOrCreateKeyFile(dataDir: string, purpose: KeyPurpose): Promise<KeyFile> {
  const file = keyFilePath(dataDir, purpose);
  const existing = await readKeyFile(file);
  if (existing) return existing;
  const created: KeyFile = { purpose, keys: [await newStoredKey()] };
  if (await writeKeyFileAtomically(file, created, true)) return created;
  const raced = await readKeyFile(file);
  if (!raced) throw new Error(`key file ${file} vanished while being created`);
  return raced;
}

/** Adds a new signing key; the previous keys stay live for verification until retired. */
export async function rotateKeyFile(dataDir: string, purpose: KeyPurpose): Promise<StoredKey> {
  const file = await loadOrCreateKeyFile(dataDir, purpose);
  const key = await newStoredKey();
  file.keys.push(key);
  await writeKeyFileAtomically(keyFilePath(dataDir, purpose), file, false);
  return key;
}

/** Retires a key: tokens signed with it stop verifying. The last live signing key cannot be retired. */
export async function retireKey(dataDir: string, purpose: KeyPurpose, kid: string): Promise<void> {
  const file = await loadOrCreateKeyFile(dataDir, purpose);
  const key = file.keys.find((k) => k.kid === kid);
  if (!key) throw new Error(`no ${purpose} key with kid ${kid}`);
  const liveSigners = file.keys.filter((k) => !k.retiredAt && k.privateJwk && k.kid !== kid);
  if (liveSigners.length === 0) throw new Error(`refusing to retire ${kid}: it is the only live ${purpose} signing key; rotate first`);
  key.retiredAt = new Date().toISOString();
  await writeKeyFileAtomically(keyFilePath(dataDir, purpose), file, false);
}

export async function keyRingFromFile(file: KeyFile, source: string): Promise<KeyRing> {
  const live = file.keys.filter((k) => !k.retiredAt);
  const newestSigner = [...live].reverse().find((k) => k.privateJwk);
  const signing = newestSigner?.privateJwk
    ? { kid: newestSigner.kid, key: (await importJWK(newestSigner.privateJwk, signingAlg)) as CryptoKey }
    : undefined;
  return {
    purpose: file.purpose,
    signing,
    publicJwks: live.map((k) => ({ ...publicPart(k.publicJwk), kid: k.kid, alg: signingAlg, use: 'sig' })),
    source,
  };
}

/**
 * Builds a key ring from configuration: a JWKS of public keys (several allowed, for rotation) and
 * optionally one private JWK for minting. Used in production, where keys never live in DATA_DIR.
 */
export async function keyRingFromConfig(purpose: KeyPurpose, jwksJson: string | undefined, privateJwkJson: string | undefined, source: string): Promise<KeyRing> {
  const parse = (label: string, text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`${label} is not valid JSON`);
    }
  };
  const keys: StoredKey[] = [];
  let privateJwk: JWK | undefined;
  if (privateJwkJson) {
    privateJwk = parse('private JWK', privateJwkJson) as JWK;
    if (!privateJwk.kid || !privateJwk.d) throw new Error('private JWK must carry "kid" and the private part "d"');
  }
  if (jwksJson) {
    const jwks = parse('JWKS', jwksJson) as { keys?: JWK[] };
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new Error('JWKS must have a non-empty "keys" array');
    for (const jwk of jwks.keys) {
      if (!jwk.kid) throw new Error('every JWKS key needs a "kid"');
      if (jwk.d) throw new Error('the verification JWKS must hold public keys only');
      keys.push({ kid: jwk.kid, alg: signingAlg, createdAt: '', publicJwk: jwk });
    }
  }
  if (privateJwk) {
    const match = keys.find((k) => k.kid === privateJwk.kid);
    if (match) match.privateJwk = privateJwk;
    else keys.push({ kid: privateJwk.kid!, alg: signingAlg, createdAt: '', privateJwk, publicJwk: publicPart(privateJwk) });
  }
  return keyRingFromFile({ purpose, keys }, source);
}
