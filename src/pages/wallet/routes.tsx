import { Hono } from 'hono';
import { getBalance } from '../../points/service.js';
import { getVolunteer } from '../../volunteers/service.js';
import type { PageDeps, PageEnv } from '../common/env.js';
import { renderPage } from '../common/render.js';
import { pageActor, requireRole } from '../common/session.js';
import { WalletHome } from './home.js';
import { walletStrings } from './strings.js';

/**
 * The volunteer's wallet: /app/wallet and the pages under it. Every figure comes from the same
 * service verbs the API answers with, as this volunteer.
 */
export function walletPages(deps: PageDeps) {
  const app = new Hono<PageEnv>();
  app.use('*', requireRole('volunteer'));

  app.get('/', async (c) => {
    const actor = pageActor(c, 'volunteer');
    const { lang } = c.get('page');
    const [volunteer, balance] = await Promise.all([getVolunteer(deps, actor, actor.id), getBalance(deps, actor, actor.id)]);
    return renderPage(c, deps, { title: walletStrings[lang].homeTitle }, <WalletHome lang={lang} name={volunteer.name} figures={balance} thresholdsHours={deps.config.STAR_THRESHOLDS_HOURS} />);
  });

  return app;
}
