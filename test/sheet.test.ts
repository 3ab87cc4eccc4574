import { describe, expect, it } from 'vitest';
import { checkInCodeAt, checkInCodeGraceSeconds, checkInCodePeriodSeconds, judgeCheckInCode, newCheckInSecret } from '../src/activities/checkincode.js';
import { columnOf, parseSheetFile, parseSheetText, SheetError } from '../src/records/sheet.js';
import { phoneKey } from '../src/volunteers/match.js';
import { xlsxOf } from './support/xlsx.js';

/** Pure pieces of the organiser's desk: reading a sheet of hours, and the rotating check-in code. */

describe('a sheet of hours', () => {
  it('reads rows pasted from a spreadsheet (tabs) with a Chinese header', () => {
    const sheet = parseSheetText('姓名\t手机\t时长（小时）\n王秀英\t138 0013 8000\t1.5\n李明\t\t2\n\n张伟\t139-0000-0001\t0,5\n');
    expect(sheet.hasHeader).toBe(true);
    expect(sheet.columns).toEqual(['name', 'phone', 'hours']);
    expect(sheet.rows).toEqual([
      { line: 2, name: '王秀英', phone: '138 0013 8000', minutes: 90, problems: [] },
      { line: 3, name: '李明', minutes: 120, problems: [] },
      { line: 5, name: '张伟', phone: '139-0000-0001', minutes: 30, problems: [] },
    ]);
  });

  it('reads CSV with quotes, an English header in any order, minutes and units, and a byte-order mark', () => {
    const sheet = parseSheetText('\uFEFFUnits,Minutes,Volunteer ID,Name\r\n2,45,0193,"Wang, Xiuying"\r\n,,,"say ""hi"""\r\n');
    expect(sheet.columns).toEqual(['units', 'minutes', 'id', 'name']);
    expect(sheet.rows[0]).toEqual({ line: 2, units: 2, minutes: 45, id: '0193', name: 'Wang, Xiuying', problems: [] });
    expect(sheet.rows[1]).toEqual({ line: 3, name: 'say "hi"', problems: ['no_time'] });
  });

  it('takes name, phone, hours when there is no header, and marks what is wrong on each row', () => {
    const sheet = parseSheetText('王秀英\t13800138000\t一小时\n\t\t2\n赵六\t\t9999\n');
    expect(sheet.hasHeader).toBe(false);
    expect(sheet.rows.map((r) => r.problems)).toEqual([['bad_hours'], ['no_person'], ['too_long']]);
  });

  it('refuses an empty sheet, a sheet with no person column and one with too many rows', () => {
    expect(() => parseSheetText('\n\n')).toThrow(SheetError);
    expect(() => parseSheetText('小时\t分钟\n1\t2\n')).toThrow(/no column names a person/);
    expect(() => parseSheetText(Array.from({ length: 1001 }, (_, i) => `v${i}\t\t1`).join('\n'))).toThrow(/at most 1000 rows/);
  });

  it('reads the first sheet of an .xlsx workbook, numbers as numbers', async () => {
    const bytes = xlsxOf([
      ['姓名', '手机号码', '服务时长'],
      ['王秀英', '13800138000', 2],
      ['李明', 13900000001, 0.5],
    ]);
    const sheet = await parseSheetFile('hours.xlsx', bytes);
    expect(sheet.rows).toEqual([
      { line: 2, name: '王秀英', phone: '13800138000', minutes: 120, problems: [] },
      { line: 3, name: '李明', phone: '13900000001', minutes: 30, problems: [] },
    ]);
    await expect(parseSheetFile('broken.xlsx', Buffer.from('PK not really a zip'))).rejects.toThrow(SheetError);
  });

  it('names columns by the words people use', () => {
    expect(['姓名', '联系电话', '志愿者编号', '工时', '时长(分钟)', '数量', '备注'].map(columnOf)).toEqual(['name', 'phone', 'id', 'hours', 'minutes', 'units', null]);
  });

  it('compares phone numbers by their digits, without +86', () => {
    expect(phoneKey('+86 138-0013-8000')).toBe('13800138000');
    expect(phoneKey('(010) 6512 3456')).toBe('01065123456');
    expect(phoneKey('--')).toBeNull();
  });
});

describe('the rotating check-in code', () => {
  const secret = newCheckInSecret();
  const t0 = Date.UTC(2026, 11, 6, 9, 0, 0);

  it('changes every period and is accepted for the grace after it rotates, then known as expired', () => {
    const now = checkInCodeAt(secret, t0);
    const next = checkInCodeAt(secret, t0 + checkInCodePeriodSeconds * 1000);
    expect(now.code).toMatch(/^[0-9]{6}$/);
    expect(next.code).not.toBe(now.code);
    expect(now.acceptedUntil.getTime() - now.shownUntil.getTime()).toBe(checkInCodeGraceSeconds * 1000);
    expect(judgeCheckInCode(secret, now.code, t0)).toBe('current');
    expect(judgeCheckInCode(secret, now.code, now.acceptedUntil.getTime() - 1)).toBe('current');
    expect(judgeCheckInCode(secret, now.code, now.acceptedUntil.getTime() + checkInCodePeriodSeconds * 1000)).toBe('expired');
    expect(judgeCheckInCode(secret, now.code, t0 + 3 * 3_600_000)).toBe('wrong');
  });

  it('differs between activities', () => {
    const other = newCheckInSecret();
    const codes = Array.from({ length: 20 }, (_, i) => t0 + i * checkInCodePeriodSeconds * 1000);
    const same = codes.filter((t) => checkInCodeAt(secret, t).code === checkInCodeAt(other, t).code);
    expect(same.length).toBeLessThan(2);
  });
});

describe("the desk's wall-clock times", () => {
  it('turn a day and a time in the programme time zone into the instant meant', async () => {
    const { zonedInstant, todayIn, nextDay, normaliseTime } = await import('../src/pages/desk/time.js');
    expect(zonedInstant('2026-12-06', '09:00', 'Asia/Shanghai').toISOString()).toBe('2026-12-06T01:00:00.000Z');
    expect(zonedInstant('2026-07-01', '09:00', 'Europe/London').toISOString()).toBe('2026-07-01T08:00:00.000Z');
    expect(zonedInstant('2026-03-29', '03:30', 'Europe/London').toISOString()).toBe('2026-03-29T02:30:00.000Z');
    expect(todayIn('Asia/Shanghai', new Date('2026-12-06T17:00:00Z'))).toBe('2026-12-07');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
    expect(['9:00', '09：30', '23:59', '24:00', '9'].map(normaliseTime)).toEqual(['09:00', '09:30', '23:59', undefined, undefined]);
  });
});
