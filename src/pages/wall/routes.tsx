import { Hono } from 'hono';
import { DomainError } from '../../errors.js';
import { wishWall } from '../../wishes/wall.js';
import { qrSvg } from '../common/components.js';
import type { PageDeps, PageEnv } from '../common/env.js';
import { messagePage } from '../common/messages.js';
import { renderPage } from '../common/render.js';
import { wallStrings } from './strings.js';
import { WallPage } from './wall.js';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How often the screen fetches the wall again. */
const refreshSeconds = 60;

/**
 * /app/wall/{orgUnitId}: the public, read-only wish wall of a community for a screen at its service
 * centre. Nobody signs in: it shows only what a passer-by may read (see wishWall). It reloads
 * itself every minute through the HTTP Refresh header: no script, nothing the page's
 * Content-Security-Policy has to allow.
 */
export function wallPages(deps: PageDeps) {
  const app = new Hono<PageEnv>();

  app.get('/:orgUnitId', async (c) => {
    const page = c.get('page');
    const t = wallStrings[page.lang];
    const id = c.req.param('orgUnitId');
    let wall;
    try {
      if (!uuidPattern.test(id)) throw new DomainError('not_found', 'org unit not found');
      wall = await wishWall(deps, id);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'not_found') return messagePage(c, deps, 404, t.notFoundTitle, t.notFoundBody);
      throw error;
    }
    // A screen across the room: the large-text mode whatever the cookie says.
    c.set('page', { ...page, large: true });
    const response = await renderPage(
      c,
      deps,
      { title: t.title(wall.orgUnit.name) },
      <WallPage lang={page.lang} tz={deps.config.PROGRAMME_TIME_ZONE} wall={wall} now={new Date()} qrSvg={await qrSvg(`${deps.config.PUBLIC_URL}/app/wallet/wishes`)} />,
    );
    response.headers.set('refresh', String(refreshSeconds));
    return response;
  });

  return app;
}
