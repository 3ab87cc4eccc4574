/**
 * Manages the document signing keys kept in DATA_DIR (same environment as the server).
 *   npm run keys -- list
 *   npm run keys -- rotate redemption        adds a new signing key; older keys keep verifying
 *   npm run keys -- retire redemption <kid>  tokens signed with <kid> stop verifying
 * A running service reads its keys at start: restart it (every instance) after a change. Rotate, restart,
 * wait at least REDEMPTION_TOKEN_TTL_SECONDS so every token signed with the old key has expired, then
 * retire the old key and restart again.
 */
import { ConfigError, loadConfig } from '../src/config.js';
import { keyFilePath, loadOrCreateKeyFile, retireKey, rotateKeyFile, type KeyPurpose } from '../src/tokens/keys.js';

const purposes: KeyPurpose[] = ['redemption', 'certificate', 'access'];
const usage = 'usage: npm run keys -- list | rotate <redemption|certificate|access> | retire <redemption|certificate|access> <kid>';

function purposeOf(value: string | undefined): KeyPurpose {
  if (!value || !(purposes as string[]).includes(value)) throw new Error(usage);
  return value as KeyPurpose;
}

async function run(): Promise<void> {
  const [command, purpose, kid] = process.argv.slice(2).filter((a) => a !== '--');
  const config = loadConfig();
  switch (command) {
    case 'list': {
      for (const p of purposes) {
        const file = await loadOrCreateKeyFile(config.DATA_DIR, p);
        const live = file.keys.filter((k) => !k.retiredAt);
        const signer = [...live].reverse().find((k) => k.privateJwk);
        process.stdout.write(`${p} (${keyFilePath(config.DATA_DIR, p)})\n`);
        for (const k of file.keys) {
          const state = k.retiredAt ? `retired ${k.retiredAt}` : k === signer ? 'signing, verifying' : 'verifying';
          process.stdout.write(`  ${k.kid}  created ${k.createdAt || '(configured)'}  ${state}\n`);
        }
      }
      return;
    }
    case 'rotate': {
      const key = await rotateKeyFile(config.DATA_DIR, purposeOf(purpose));
      process.stdout.write(`added ${purpose} key ${key.kid}; it signs from the next start, and older keys keep verifying until retired\n`);
      return;
    }
    case 'retire': {
      if (!kid) throw new Error(usage);
      await retireKey(config.DATA_DIR, purposeOf(purpose), kid);
      process.stdout.write(`retired ${purpose} key ${kid}; tokens it signed stop verifying from the next start\n`);
      return;
    }
    default:
      throw new Error(usage);
  }
}

run().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
