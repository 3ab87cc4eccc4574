import { catalogue } from '../common/i18n.js';

/** The public wish wall on a screen at the service centre, in every language. */
export const wallStrings = catalogue(
  {
    title: (unit: string) => `${unit} · 心愿墙`,
    rateLabel: '本月完成率',
    rateNone: '本月还没有心愿',
    monthLine: (posted: string, confirmed: string) => `本月发布 ${posted} 个心愿，已完成 ${confirmed} 个`,
    openTitle: (n: string) => `等人帮忙的心愿（${n} 个）`,
    openTitleMore: (n: string) => `等人帮忙的心愿（先列出 ${n} 个）`,
    empty: '现在没有等人帮忙的心愿。谢谢各位志愿者！',
    points: (n: string) => `${n} 积分`,
    postedOn: (when: string) => `发布于 ${when}`,
    neededBy: (when: string) => `${when} 前`,
    howTo: '想帮忙？用手机扫一扫，打开“心愿墙”接下一个心愿。',
    qr: '打开手机上的心愿墙',
    refreshed: (when: string) => `每分钟自动更新 · 更新于 ${when}`,
    notFoundTitle: '找不到这面心愿墙',
    notFoundBody: '网址里的社区编号不对，或者这个社区已经停用。请找工作人员核对网址。',
  },
  {
    title: (unit: string) => `${unit} · Wish wall`,
    rateLabel: 'Completed this month',
    rateNone: 'No wishes yet this month',
    monthLine: (posted: string, confirmed: string) => `${posted} wishes posted this month, ${confirmed} completed`,
    openTitle: (n: string) => `Wishes waiting for a helper (${n})`,
    openTitleMore: (n: string) => `Wishes waiting for a helper (the first ${n})`,
    empty: 'No wishes are waiting for a helper. Thank you, volunteers!',
    points: (n: string) => `${n} points`,
    postedOn: (when: string) => `Posted ${when}`,
    neededBy: (when: string) => `by ${when}`,
    howTo: 'Want to help? Scan this with your phone and take a wish on the wish wall.',
    qr: 'Open the wish wall on your phone',
    refreshed: (when: string) => `Updates every minute · updated ${when}`,
    notFoundTitle: 'No such wish wall',
    notFoundBody: 'The community in the address is wrong, or no longer in use. Please ask staff to check the address.',
  },
);
