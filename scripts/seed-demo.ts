/**
 * A realistic demo programme in a fresh database (npm run seed:demo), modelled on 湘潭市岳塘区:
 * streets, communities and grids; organisers; a few hundred volunteers with Chinese names; five
 * activity types; a season of past activities with recorded hours, one running now with check-ins
 * waiting for approval; partner shops with benefit packs; claims that were redeemed, cancelled or
 * are still open; and settlements paid to shops.
 *
 * Everything goes through the same service verbs the HTTP routes call (createOrgUnit,
 * createVolunteer, recordBatch, claimPack, redeemToken, recordSettlement, ...), so the ledger it
 * leaves behind verifies like any other. Choices come from a seeded random generator, so the same
 * --seed gives the same programme (ids and timestamps aside).
 *
 * Usage: npm run seed:demo [-- --volunteers 300 --seed 20250101 --force]
 * Uses DATABASE_URL, or the embedded database in DATA_DIR, like the service. Refuses a database
 * that already holds org units unless --force.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import type { Actor } from '../src/auth/actor.js';
import { createActivity, getCheckInCode } from '../src/activities/service.js';
import { createActivityType } from '../src/activitytypes/service.js';
import { findActivityTypeByCode } from '../src/activitytypes/repository.js';
import { uuidArray } from '../src/db/batch.js';
import { buildDeps } from '../src/bootstrap.js';
import { ConfigError, loadConfig } from '../src/config.js';
import type { ServiceDeps } from '../src/deps.js';
import { DomainError } from '../src/errors.js';
import { verifyLedgerRows } from '../src/ledger/verify.js';
import { awardPoints, getTotals } from '../src/points/service.js';
import { createLogger } from '../src/logger.js';
import { createMerchant } from '../src/merchants/service.js';
import { createOrganiser } from '../src/organisers/service.js';
import { findOrgUnit } from '../src/orgunits/repository.js';
import { createOrgUnit } from '../src/orgunits/service.js';
import { createPack } from '../src/packs/service.js';
import { checkIn, checkOut, recordBatch } from '../src/records/entry.js';
import { cancelRedemption, claimPack, redeemToken } from '../src/redemptions/service.js';
import { recordSettlement } from '../src/settlements/service.js';
import { createVolunteer } from '../src/volunteers/service.js';
import { setWishCategory } from '../src/wishes/categories.js';
import { assignPost } from '../src/posts/service.js';
import { findCategoryByCode } from '../src/wishes/repository.js';
import { ancestorPath } from '../src/posts/scope.js';
import type { PostKind } from '../src/posts/schemas.js';
import { cancelWish, confirmWish, markWishDone, postWish, releaseWish, sweepExpiredWishes, takeWish } from '../src/wishes/service.js';

export interface DemoOptions {
  volunteers: number;
  seed: number;
  /** Days of past activities, ending yesterday. */
  seasonDays: number;
  activities: number;
  /** Wishes posted over the season. */
  wishes: number;
  force: boolean;
}

export const demoDefaults: DemoOptions = { volunteers: 300, seed: 20250101, seasonDays: 90, activities: 60, wishes: 150, force: false };

/** mulberry32: a small, fast, seedable generator; the same seed replays the same programme. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const sample = <T>(list: readonly T[], n: number): T[] => {
    const copy = [...list];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, Math.min(n, copy.length));
  };
  return { next, int, pick, sample };
}

const surnames = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹', '彭', '曾', '肖', '田', '董', '袁', '潘', '蒋', '蔡', '余'];
const givenNames = ['秀英', '桂英', '建国', '建华', '志强', '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀兰', '霞', '平', '刚', '桂兰', '红梅', '海燕', '玉兰', '国庆', '卫东', '淑珍', '春花', '德明', '晓燕', '文博', '子涵', '雨萱', '浩然'];

/** Streets of 岳塘区 with some of their communities; every community gets three grids. */
const streets = [
  { name: '五里堆街道', communities: ['云峰社区', '新塘社区', '五里堆社区'] },
  { name: '宝塔街道', communities: ['宝塔社区', '杉山社区'] },
];

const activityTypes = [
  { code: 'cleanup', name: '社区环境清洁', rule: { kind: 'per_hour' as const, points: 10 }, titles: ['楼道清洁日', '小区垃圾分类宣传', '河边捡拾垃圾'], hours: [2, 3] },
  { code: 'haircut', name: '义务理发', rule: { kind: 'per_unit' as const, points: 15 }, titles: ['社区义剪', '敬老院义务理发'], hours: [2, 3] },
  { code: 'clinic', name: '义诊', rule: { kind: 'per_hour' as const, points: 12 }, titles: ['社区义诊', '量血压测血糖'], hours: [3, 4] },
  { code: 'patrol', name: '平安巡逻', rule: { kind: 'per_hour' as const, points: 8 }, titles: ['夜间平安巡逻', '防溺水巡查'], hours: [2, 3] },
  { code: 'elderly_visit', name: '探访独居老人', rule: { kind: 'fixed' as const, points: 20 }, titles: ['探访独居老人', '重阳节敬老探访'], hours: [1, 2] },
];

interface ShopPack {
  title: string;
  points: number;
  stock?: number;
  perVolunteerLimit?: number;
}

const shops: { name: string; community: string; packs: ShopPack[] }[] = [
  { name: '云峰理发店', community: '云峰社区', packs: [{ title: '免费理发一次', points: 60, stock: 40 }, { title: '洗剪吹八折券', points: 25 }] },
  { name: '新塘社区便民超市', community: '新塘社区', packs: [{ title: '粮油礼包', points: 150, stock: 20 }, { title: '鸡蛋一盒', points: 40 }] },
  { name: '宝塔大药房', community: '宝塔社区', packs: [{ title: '家庭常备药包', points: 120, stock: 15, perVolunteerLimit: 1 }] },
  { name: '杉山早餐店', community: '杉山社区', packs: [{ title: '爱心早餐', points: 20 }, { title: '米粉一碗', points: 15 }] },
];

const wishCategories = [
  { code: 'legal', name: '法律咨询', points: 20, titles: ['咨询赡养纠纷', '问问遗嘱怎么写', '租房合同看不懂'] },
  { code: 'pension_cert', name: '上门认证养老金', points: 15, titles: ['行动不便，请上门做养老金认证', '帮老人做生存认证'] },
  { code: 'repair', name: '上门维修', points: 20, titles: ['水龙头漏水', '灯泡坏了够不着', '门锁不好用', '燃气灶打不着火'] },
  { code: 'errand', name: '代办跑腿', points: 10, titles: ['帮忙取药', '代买米面油', '帮忙交水电费', '取快递'] },
  { code: 'company', name: '陪伴老人', points: 15, titles: ['陪老人去医院复查', '周末陪老人聊聊天', '陪老人散步'] },
];
const residents = ['王奶奶', '李爷爷', '张阿姨', '刘大爷', '陈婆婆', '杨伯伯', '赵奶奶', '黄爷爷'];

export interface DemoSummary {
  districtId: string;
  orgUnits: number;
  organisers: { id: string; name: string; unit: string }[];
  volunteers: number;
  /** The richest volunteer of the community with an activity running now, to try the wallet as. */
  featuredVolunteer: { id: string; name: string; community: string; balance: number };
  activities: number;
  records: number;
  merchants: { id: string; name: string }[];
  claims: number;
  redemptions: number;
  cancelled: number;
  settlements: number;
  wishes: { posted: number; confirmed: number; done: number; taken: number; cancelled: number; expired: number; open: number; posts: number };
  ledgerOk: boolean;
  totals: Awaited<ReturnType<typeof getTotals>>;
}

const hour = 3_600_000;

/**
 * Builds the demo programme. Invariant: every write goes through a service verb, as a caller with
 * the role that would do it in life (admin for set-up, community organisers for their own
 * activities, volunteers for their own claims, shops for redeeming), so scopes and the ledger's
 * rules apply exactly as over HTTP.
 */
export async function seedDemo(deps: ServiceDeps, options: Partial<DemoOptions> = {}): Promise<DemoSummary> {
  const o = { ...demoDefaults, ...options };
  const existing = await sql<{ n: number }>`select count(*)::bigint as n from org_units`.execute(deps.db);
  if ((existing.rows[0]?.n ?? 0) > 0 && !o.force) {
    throw new DomainError('conflict', 'the database already holds a programme; seed:demo runs on a fresh database (use --force to add a demo programme beside it)');
  }
  const rnd = generator(o.seed);
  const admin: Actor = { role: 'admin', id: 'demo-seed' };
  const log = (msg: string) => deps.logger.info(msg);

  // Org units: district, streets, communities, grids.
  const suffix = o.force ? ` (demo ${o.seed})` : '';
  const district = await createOrgUnit(deps, admin, { name: `湘潭市岳塘区${suffix}` });
  const communities: { id: string; name: string; street: string; grids: string[]; organiser: Actor & { role: 'organiser' } }[] = [];
  const organisers: DemoSummary['organisers'] = [];
  let units = 1;
  for (const street of streets) {
    const s = await createOrgUnit(deps, admin, { name: street.name, parentId: district.id });
    units += 1;
    const streetOrganiser = await createOrganiser(deps, admin, { name: `${rnd.pick(surnames)}${rnd.pick(givenNames)}`, orgUnitId: s.id });
    organisers.push({ id: streetOrganiser.id, name: streetOrganiser.name, unit: street.name });
    for (const name of street.communities) {
      const c = await createOrgUnit(deps, admin, { name, parentId: s.id });
      const grids: string[] = [];
      for (const grid of ['第一网格', '第二网格', '第三网格']) grids.push((await createOrgUnit(deps, admin, { name: grid, parentId: c.id })).id);
      units += 4;
      const organiser = await createOrganiser(deps, admin, { name: `${rnd.pick(surnames)}${rnd.pick(givenNames)}`, orgUnitId: c.id });
      organisers.push({ id: organiser.id, name: organiser.name, unit: name });
      const path = (await findOrgUnit(deps.db, c.id))?.path;
      if (!path) throw new Error(`org unit ${c.id} vanished`);
      communities.push({ id: c.id, name, street: street.name, grids, organiser: { role: 'organiser', id: organiser.id, orgUnitId: c.id, orgPath: path } });
    }
  }
  log(`org units: ${units}, organisers: ${organisers.length}`);

  // Volunteers, registered by their community's organiser into a grid.
  const byCommunity = new Map<string, { id: string; orgUnitId: string }[]>(communities.map((c) => [c.id, []]));
  for (let i = 0; i < o.volunteers; i++) {
    const community = communities[i % communities.length]!;
    const phone = rnd.next() < 0.7 ? `13${rnd.int(0, 9)}${String(rnd.int(0, 99_999_999)).padStart(8, '0')}` : undefined;
    const v = await createVolunteer(deps, community.organiser, { name: `${rnd.pick(surnames)}${rnd.pick(givenNames)}`, orgUnitId: rnd.pick(community.grids), phone });
    byCommunity.get(community.id)!.push({ id: v.id, orgUnitId: v.orgUnitId });
  }
  log(`volunteers: ${o.volunteers}`);

  for (const t of activityTypes) {
    if (!(await findActivityTypeByCode(deps.db, t.code))) await createActivityType(deps, admin, { code: t.code, name: t.name, rule: t.rule });
  }

  // A season of past activities, each run and recorded by its community's organiser.
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  let records = 0;
  for (let i = 0; i < o.activities; i++) {
    const community = rnd.pick(communities);
    const type = rnd.pick(activityTypes);
    const daysAgo = rnd.int(1, o.seasonDays);
    // 09:00 or 14:00 in Asia/Shanghai (UTC+8).
    const startsAt = new Date(today.getTime() - daysAgo * 24 * hour + (rnd.next() < 0.5 ? 1 : 6) * hour);
    const length = rnd.int(type.hours[0]!, type.hours[1]!) * 60;
    const activity = await createActivity(deps, community.organiser, {
      title: `${community.name}${rnd.pick(type.titles)}`,
      typeCode: type.code,
      orgUnitId: community.id,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + length * 60_000).toISOString(),
      place: `${community.name}党群服务中心`,
    });
    const people = rnd.sample(byCommunity.get(community.id)!, rnd.int(5, 18));
    if (people.length === 0) continue;
    const rows = people.map((v) => ({
      volunteerId: v.id,
      minutes: Math.max(30, Math.round((length * rnd.int(60, 100)) / 100)),
      ...(type.rule.kind === 'per_unit' ? { units: rnd.int(1, 8) } : {}),
    }));
    await recordBatch(deps, community.organiser, activity.id, { records: rows }, undefined);
    records += rows.length;
  }
  log(`activities: ${o.activities}, service records: ${records}`);

  // One activity running now: a few volunteers checked in and out, waiting for the organiser's approval.
  const live = communities[0]!;
  const running = await createActivity(deps, live.organiser, {
    title: `${live.name}周末楼道清洁`,
    typeCode: 'cleanup',
    orgUnitId: live.id,
    startsAt: new Date(Date.now() - hour).toISOString(),
    endsAt: new Date(Date.now() + 2 * hour).toISOString(),
  });
  const { code } = await getCheckInCode(deps, live.organiser, running.id);
  for (const v of rnd.sample(byCommunity.get(live.id)!, 4)) {
    const actor: Actor = { role: 'volunteer', id: v.id, orgUnitId: v.orgUnitId };
    await checkIn(deps, actor, running.id, { code });
    if (rnd.next() < 0.5) await checkOut(deps, actor, running.id, { code });
  }

  // The programme office thanks a few outstanding volunteers.
  const everyone = [...byCommunity.values()].flat();
  for (const v of rnd.sample(everyone, Math.max(1, Math.floor(o.volunteers / 20)))) {
    await awardPoints(deps, admin, { volunteerId: v.id, points: 50, reason: '优秀志愿者表彰' }, undefined);
  }

  // Partner shops and their benefit packs.
  const merchants: DemoSummary['merchants'] = [];
  const packs: { id: string; merchantId: string; points: number }[] = [];
  for (const shop of shops) {
    const community = communities.find((c) => c.name === shop.community);
    const m = await createMerchant(deps, admin, { name: `${shop.name}${suffix}`, orgUnitId: community?.id });
    merchants.push({ id: m.id, name: m.name });
    for (const p of shop.packs) {
      const pack = await createPack(deps, admin, { merchantId: m.id, title: p.title, points: p.points, stock: p.stock, perVolunteerLimit: p.perVolunteerLimit });
      packs.push({ id: pack.id, merchantId: m.id, points: pack.points });
    }
  }

  // Claims: most are redeemed at the shop, some cancelled, some still open (points held).
  let claims = 0;
  let redeemed = 0;
  let cancelled = 0;
  for (const v of rnd.sample(everyone, Math.floor(everyone.length * 0.6))) {
    const volunteer: Actor = { role: 'volunteer', id: v.id, orgUnitId: v.orgUnitId };
    for (let n = rnd.int(1, 3); n > 0; n--) {
      const pack = rnd.pick(packs);
      let claim;
      try {
        claim = await claimPack(deps, volunteer, { packId: pack.id }, undefined);
      } catch (error) {
        // Not enough points, out of stock or at the per-volunteer limit: the shop says no, as in life.
        if (error instanceof DomainError || isRaisedDomainError(error)) continue;
        throw error;
      }
      claims += 1;
      const fate = rnd.next();
      if (fate < 0.75) {
        await redeemToken(deps, { role: 'merchant', id: pack.merchantId }, { token: claim.body.token });
        redeemed += 1;
      } else if (fate < 0.9) {
        await cancelRedemption(deps, volunteer, claim.body.id);
        cancelled += 1;
      }
    }
  }
  log(`claims: ${claims}, redeemed: ${redeemed}, cancelled: ${cancelled}`);

  // The programme office pays each shop part of what it is owed.
  let settlements = 0;
  for (const [i, m] of merchants.entries()) {
    const owed = await sql<{ balance: number }>`select balance from accounts where id = ${m.id}`.execute(deps.db);
    const points = Math.floor((owed.rows[0]?.balance ?? 0) / 2);
    if (points > 0) {
      await recordSettlement(deps, admin, m.id, { points, reference: `YT-${o.seed}-${String(i + 1).padStart(3, '0')}` }, undefined);
      settlements += 1;
    }
  }

  const wishes = await seedWishes(deps, o, rnd, communities, byCommunity);
  log(`wishes: ${wishes.posted} posted, ${wishes.confirmed} confirmed, ${wishes.open} open, ${wishes.expired} expired`);

  const featured = await sql<{ id: string; name: string; balance: number }>`
    select v.id, v.name, a.balance from volunteers v join accounts a on a.id = v.id
     where v.id = any(${uuidArray(byCommunity.get(live.id)!.map((v) => v.id))}::text::uuid[])
     order by a.balance desc, v.id limit 1`.execute(deps.db);
  const featuredVolunteer = featured.rows[0];
  if (!featuredVolunteer) throw new Error(`no volunteers in ${live.name}`);

  const verification = await verifyLedgerRows(deps);
  const totals = await getTotals(deps, admin);
  return {
    districtId: district.id,
    orgUnits: units,
    organisers,
    volunteers: o.volunteers,
    featuredVolunteer: { ...featuredVolunteer, community: live.name },
    activities: o.activities + 1,
    records,
    merchants,
    claims,
    redemptions: redeemed,
    cancelled,
    settlements,
    wishes,
    ledgerOk: verification.ok,
    totals,
  };
}

type Rnd = ReturnType<typeof generator>;
type Community = { id: string; name: string; grids: string[]; organiser: Actor & { role: 'organiser' } };

/**
 * A season of wishes (微心愿), the way a community lives them: residents post them (volunteers for
 * themselves, organisers for neighbours without a phone), grid workers and building chiefs get the
 * first offer in their unit, most are answered within a quarter of an hour and some take longer,
 * most are done and confirmed (the taker earns the category's points), a few are cancelled, a few
 * go unanswered until they expire, and the last days' are still open. Each step happens at its
 * moment in the past (the service verbs' script clock), never after now.
 */
async function seedWishes(deps: ServiceDeps, o: DemoOptions, rnd: Rnd, communities: Community[], byCommunity: Map<string, { id: string; orgUnitId: string }[]>): Promise<DemoSummary['wishes']> {
  const admin: Actor = { role: 'admin', id: 'demo-seed' };
  for (const c of wishCategories) {
    if (!(await findCategoryByCode(deps.db, c.code))) await setWishCategory(deps, admin, { code: c.code, name: c.name, points: c.points });
  }
  // A grid worker (网格员) for each grid, and here and there a building chief (楼栋长), chosen by the
  // community's organiser among the grid's volunteers.
  const holders = new Map<string, string>();
  let posts = 0;
  for (const community of communities) {
    for (const grid of community.grids) {
      const candidates = byCommunity.get(community.id)!.filter((v) => v.orgUnitId === grid);
      if (candidates.length === 0) continue;
      const holder = rnd.pick(candidates);
      const kind: PostKind = rnd.next() < 0.75 ? 'grid_worker' : 'building_chief';
      await assignPost(deps, community.organiser, { volunteerId: holder.id, orgUnitId: grid, kind });
      holders.set(grid, holder.id);
      posts += 1;
    }
  }

  const now = Date.now();
  const minute = 60_000;
  const windowMinutes = deps.config.WISH_POST_HOLDER_MINUTES;
  // Posting moments first, oldest first, so the wishes' ids follow their posting order.
  const moments = Array.from({ length: o.wishes }, () => {
    const daysAgo = rnd.int(0, o.seasonDays);
    const localHour = rnd.int(8, 20);
    const midnight = Math.floor((now + 8 * 60 * minute) / 86_400_000) * 86_400_000 - 8 * 60 * minute;
    return midnight - daysAgo * 86_400_000 + localHour * 60 * minute + rnd.int(0, 59) * minute;
  })
    .filter((t) => t < now - 10 * minute)
    .sort((a, b) => a - b);

  const counts = { posted: 0, confirmed: 0, done: 0, taken: 0, cancelled: 0, expired: 0, open: 0, posts };
  for (const postedAt of moments) {
    const community = rnd.pick(communities);
    const people = byCommunity.get(community.id)!;
    if (people.length < 2) continue;
    const grid = rnd.pick(community.grids);
    const category = rnd.pick(wishCategories);
    const byVolunteer = rnd.next() < 0.6;
    const poster = byVolunteer ? rnd.pick(people) : undefined;
    const posterActor: Actor = poster ? { role: 'volunteer', id: poster.id, orgUnitId: poster.orgUnitId } : community.organiser;
    const at = (t: number) => ({ at: new Date(t) });
    const old = now - postedAt > 7 * 86_400_000;
    const fate = rnd.next();
    // The last few days' wishes are still on the wall, or still with their taker.
    const recent = now - postedAt < 3 * 86_400_000;
    const unanswered = fate < 0.08 || (recent && fate < 0.35);
    const neededBy = unanswered ? postedAt + (old ? 3 * 86_400_000 : 7 * 86_400_000) : undefined;
    const wish = await postWish(
      deps,
      posterActor,
      {
        orgUnitId: poster ? poster.orgUnitId : grid,
        category: category.code,
        title: rnd.pick(category.titles),
        ...(poster ? {} : { onBehalfOf: { name: rnd.pick(residents), contact: `${rnd.int(1, 12)}栋${rnd.int(1, 4)}单元${rnd.int(1, 6)}0${rnd.int(1, 4)}` } }),
        ...(neededBy !== undefined ? { neededBy: new Date(neededBy).toISOString() } : {}),
      },
      undefined,
      at(postedAt),
    );
    counts.posted += 1;
    const id = wish.body.id;
    if (unanswered) continue;
    if (fate < 0.12) {
      // Withdrawn before anyone answered (the neighbour's son came round after all).
      const when = postedAt + rnd.int(5, 240) * minute;
      if (when < now) {
        await cancelWish(deps, posterActor, id, { reason: '已自行解决' }, at(when));
        counts.cancelled += 1;
      }
      continue;
    }
    // The answer: mostly within the "15-minute service circle", sometimes hours later.
    const speed = rnd.next();
    let answer = speed < 0.65 ? rnd.int(1, 15) : speed < 0.93 ? rnd.int(16, 120) : rnd.int(121, 1440);
    const holder = holders.get(wish.body.orgUnitId);
    const candidates = people.filter((v) => v.id !== poster?.id);
    let taker = holder && holder !== poster?.id && rnd.next() < 0.5 ? holder : rnd.pick(candidates).id;
    // Only a post holder answers while the unit's post holders have the first offer.
    if (wish.body.priorityUntil && taker !== holder) answer = Math.max(answer, windowMinutes + 1);
    let t = postedAt + answer * minute;
    if (t >= now) continue;
    const actorOf = (volunteerId: string): Actor => ({ role: 'volunteer', id: volunteerId, orgUnitId: people.find((v) => v.id === volunteerId)!.orgUnitId });
    await takeWish(deps, actorOf(taker), id, at(t));
    if (rnd.next() < 0.05) {
      // Something came up: let go, and someone else takes it.
      t += rnd.int(10, 120) * minute;
      if (t >= now) continue;
      await releaseWish(deps, actorOf(taker), id, { reason: '临时有事' }, at(t));
      const others = candidates.filter((v) => v.id !== taker);
      if (others.length > 0) taker = rnd.pick(others).id;
      t += rnd.int(5, 60) * minute;
      if (t >= now) continue;
      await takeWish(deps, actorOf(taker), id, at(t));
    }
    if (fate < 0.16) {
      t += rnd.int(10, 600) * minute;
      if (t < now) {
        await cancelWish(deps, community.organiser, id, { reason: '居民已另行安排' }, at(t));
        counts.cancelled += 1;
      }
      continue;
    }
    t += rnd.int(30, 600) * minute;
    if (t >= now || (recent && fate < 0.6)) continue;
    await markWishDone(deps, actorOf(taker), id, { note: '已办好' }, at(t));
    t += rnd.int(10, 1440) * minute;
    if (t >= now || rnd.next() < 0.04) continue;
    await confirmWish(deps, rnd.next() < 0.5 ? posterActor : community.organiser, id, {}, undefined, at(t));
  }
  await sweepExpiredWishes(deps);
  // The district's wishes only: with --force, another programme may share the database.
  const district = ancestorPath(communities[0]!.organiser.orgPath, 1);
  const states = await sql<{ status: string; n: number }>`
    select w.status, count(*)::bigint as n from wishes w join org_units u on u.id = w.org_unit_id
     where starts_with(u.path, ${district}::text) group by w.status`.execute(deps.db);
  const stateCount = (status: string) => states.rows.find((r) => r.status === status)?.n ?? 0;
  return {
    ...counts,
    confirmed: stateCount('confirmed'),
    done: stateCount('done'),
    taken: stateCount('taken'),
    cancelled: stateCount('cancelled'),
    expired: stateCount('expired'),
    open: stateCount('open'),
  };
}

/** Refusals raised inside SQL (insufficient_points from ledger_apply) reach a direct caller unmapped. */
function isRaisedDomainError(error: unknown): boolean {
  return typeof (error as { message?: unknown })?.message === 'string' && /^jifen:[a-z_]+$/.test((error as { message: string }).message);
}

async function run(): Promise<void> {
  const { values } = parseArgs({ options: { volunteers: { type: 'string' }, seed: { type: 'string' }, force: { type: 'boolean' } } });
  const volunteers = values.volunteers ? Number(values.volunteers) : demoDefaults.volunteers;
  const seed = values.seed ? Number(values.seed) : demoDefaults.seed;
  if (!Number.isInteger(volunteers) || volunteers < 10 || volunteers > 100_000) throw new Error('--volunteers must be a whole number from 10 to 100000');
  if (!Number.isInteger(seed)) throw new Error('--seed must be a whole number');
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const deps = await buildDeps(config, logger);
  try {
    const started = performance.now();
    const summary = await seedDemo(deps, { volunteers, seed, force: values.force ?? false });
    const t = summary.totals;
    process.stdout.write(
      [
        `demo programme seeded in ${((performance.now() - started) / 1000).toFixed(1)} s (${deps.database.location})`,
        `  district 湘潭市岳塘区: ${summary.districtId} (${summary.orgUnits} org units)`,
        `  ${summary.volunteers} volunteers, ${summary.activities} activities, ${summary.records} service records`,
        `  ${summary.merchants.length} shops; ${summary.claims} claims: ${summary.redemptions} redeemed, ${summary.cancelled} cancelled, ${summary.claims - summary.redemptions - summary.cancelled} open`,
        `  ${summary.wishes.posted} wishes: ${summary.wishes.confirmed} confirmed, ${summary.wishes.done} done, ${summary.wishes.taken} taken, ${summary.wishes.open} open, ${summary.wishes.cancelled} cancelled, ${summary.wishes.expired} expired; ${summary.wishes.posts} volunteer posts`,
        `  ledger verifies: ${summary.ledgerOk}; issued ${t.issued}, redeemed ${t.redeemed}, outstanding ${t.outstanding} (held ${t.held}), owed to shops ${t.owedToMerchants}`,
        '',
        'organisers (npm run token -- --role organiser --sub <id>):',
        ...summary.organisers.map((x) => `  ${x.id}  ${x.name}  ${x.unit}`),
        'shops (npm run token -- --role merchant --sub <id>):',
        ...summary.merchants.map((m) => `  ${m.id}  ${m.name}`),
        '',
      ].join('\n'),
    );
    if (!summary.ledgerOk) process.exitCode = 1;
  } finally {
    await deps.database.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((error: unknown) => {
    process.stderr.write(`seed:demo: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  });
}
