import type { Lang } from '../common/i18n.js';
import { formatDateTime, formatNumber } from '../common/i18n.js';
import { Pager } from '../common/components.js';
import { walletStrings } from './strings.js';

export interface StatementLine {
  kind: string;
  amount: number;
  balanceAfter: number;
  memo: string | null;
  createdAt: string;
  /** For claims and their returns: the pack and the shop. */
  claim?: { packTitle: string; merchantName: string } | undefined;
}

/** What a statement line was, in plain words, with the activity or the shop. */
function describe(lang: Lang, line: StatementLine): { what: string; detail: string | undefined } {
  const t = walletStrings[lang];
  const what = t.kind[line.kind] ?? line.kind;
  if (line.claim) return { what, detail: t.claimAt(line.claim.packTitle, line.claim.merchantName) };
  if (line.kind === 'release' && line.memo) return { what, detail: t.releasedWhy[line.memo] ?? line.memo };
  return { what, detail: line.memo ?? undefined };
}

/** The statement, newest first, a page at a time. */
export function Statement(props: { lang: Lang; timeZone: string; lines: StatementLine[]; olderHref?: string | undefined; newestHref?: string | undefined }) {
  const t = walletStrings[props.lang];
  return (
    <>
      <a class="back-link" href="/app/wallet">
        {t.backHome}
      </a>
      <h1>{t.statementTitle}</h1>
      {props.lines.length === 0 ? (
        <p class="empty">{t.statementEmpty}</p>
      ) : (
        <ul class="lines" id="statement">
          {props.lines.map((line) => {
            const { what, detail } = describe(props.lang, line);
            const sign = line.amount > 0 ? '+' : '−';
            return (
              <li class="line">
                <span>
                  <span class="line-what">{what}</span>
                  {detail && <span class="line-detail">{detail}</span>}
                  <span class="line-when">{formatDateTime(props.lang, line.createdAt, props.timeZone)}</span>
                </span>
                <span>
                  <span class={line.amount > 0 ? 'amount amount-in' : 'amount amount-out'}>
                    {sign}
                    {formatNumber(props.lang, Math.abs(line.amount))}
                  </span>
                  <span class="line-when">{t.balanceAfter(formatNumber(props.lang, line.balanceAfter))}</span>
                </span>
              </li>
            );
          })}
        </ul>
      )}
      <Pager newerHref={props.newestHref} olderHref={props.olderHref} newerLabel={walletStrings[props.lang].back} olderLabel={t.older} />
    </>
  );
}
