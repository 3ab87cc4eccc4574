import type { Actor } from '../../auth/actor.js';
import type { Deps } from '../../deps.js';
import type { AppEnv } from '../../http/env.js';
import type { Assets } from './assets.js';
import type { Lang } from './i18n.js';

/** What every page handler knows about the request it answers. */
export interface PageContext {
  lang: Lang;
  /** The large-text mode (a switch in the header, kept in a cookie). */
  large: boolean;
  /** Who is signed in, if anyone. */
  actor: Actor | undefined;
  /** The path and query of this page, for the header's switches to come back to. */
  here: string;
}

export type PageEnv = { Variables: AppEnv['Variables'] & { page: PageContext } };

/** What the page areas are built from: the service's dependencies and the served assets. */
export type PageDeps = Deps & { assets: Assets };

/** Each role's home page: where signing in leads. */
export const roleHomes: Record<Actor['role'], string> = {
  volunteer: '/app/wallet',
  merchant: '/app/counter',
  organiser: '/app/desk',
  admin: '/app/office',
};

export const prefsCookie = { lang: 'jifen_lang', text: 'jifen_text' } as const;
