import type { DigestCheck, DigestRecord } from '../../digests/schemas.js';
import type { Mismatch } from '../../ledger/verify.js';
import { Button, Outcome, PostForm, SummaryList, Table } from '../common/components.js';
import { formatDateTime, formatNumber, type Lang } from '../common/i18n.js';
import { BackToOffice } from './home.js';
import { officeStrings } from './strings.js';

export interface VerifyResult {
  ok: boolean;
  accountsChecked: number;
  entriesChecked: number;
  transactionsChecked?: number;
  firstMismatch?: Mismatch | null | undefined;
  digest: string;
  digestAsOf: string;
}

/** A digest in groups of eight, so a person can read it aloud or copy it by hand. */
export const groupedDigest = (digest: string) => digest.match(/.{1,8}/g)?.join(' ') ?? digest;

/**
 * The ledger: check it now (the result, when there is one, at the top), record today's digest for
 * the auditor, and the digests recorded so far.
 */
export function LedgerPage(props: { lang: Lang; timeZone: string; result?: VerifyResult | undefined; digests: DigestRecord[] }) {
  const { lang, result } = props;
  const t = officeStrings[lang];
  const n = (v: number) => formatNumber(lang, v);
  return (
    <>
      <BackToOffice lang={lang} />
      <h1>{t.ledgerTitle}</h1>
      <p>{t.ledgerLead}</p>
      {result && (
        <Outcome tone={result.ok ? 'ok' : 'bad'} title={result.ok ? t.verifyOk : t.verifyBad} id="verify-result">
          <SummaryList
            rows={[
              [t.accountsChecked, n(result.accountsChecked)],
              [t.entriesChecked, n(result.entriesChecked)],
              ...(result.transactionsChecked === undefined ? [] : ([[t.transactionsChecked, n(result.transactionsChecked)]] as [string, string][])),
              [t.digestAsOf, formatDateTime(lang, result.digestAsOf, props.timeZone)],
            ]}
          />
          <p class="digest">
            {t.digestNow}: <code>{groupedDigest(result.digest)}</code>
          </p>
          {result.firstMismatch && (
            <>
              <SummaryList
                rows={[
                  [t.mismatchProblem, t.problemWords[result.firstMismatch.problem] ?? result.firstMismatch.problem],
                  [t.mismatchPosting, String(result.firstMismatch.postingId ?? '')],
                  [t.mismatchAccount, result.firstMismatch.accountId ?? ''],
                  [t.mismatchTransaction, result.firstMismatch.transactionId ?? ''],
                  [t.mismatchDetail, result.firstMismatch.detail],
                ]}
              />
              <p>{t.mismatchAdvice}</p>
            </>
          )}
        </Outcome>
      )}
      <h2>{t.verifyHeading}</h2>
      <PostForm action="/app/office/ledger/verify" id="verify-form">
        <Button>{t.verifyButton}</Button>
      </PostForm>
      <h2>{t.digestHeading}</h2>
      <p>{t.digestLead}</p>
      <PostForm action="/app/office/ledger/digests" id="digest-form">
        <Button variant="secondary">{t.digestButton}</Button>
      </PostForm>
      <Table
        id="digests"
        caption={t.digestsRecorded}
        head={[t.digestDay, t.digestValue, '']}
        empty={t.noDigests}
        rows={props.digests.map((d) => [d.day, <code>{d.digest.slice(0, 16)}…</code>, <a href={`/app/office/ledger/digests/${d.id}`}>{t.digestCheck}</a>])}
      />
    </>
  );
}

/** One recorded digest as the auditor's printed record, with the re-check done as the page was made. */
export function DigestPage(props: { lang: Lang; timeZone: string; check: DigestCheck }) {
  const { lang, check } = props;
  const t = officeStrings[lang];
  return (
    <>
      <BackToOffice lang={lang} />
      <p class="no-print">
        <a href="/app/office/ledger">{t.ledgerTitle}</a>
      </p>
      <h1>{t.digestTitle(check.day)}</h1>
      <p class="lead">{t.digestFor}</p>
      <Outcome tone={check.matches ? 'ok' : 'bad'} title={check.matches ? t.digestMatches : t.digestDiffers} id="digest-check">
        {!check.matches && (
          <p>
            {t.digestRecomputed}: <code>{groupedDigest(check.recomputed)}</code>
          </p>
        )}
      </Outcome>
      <SummaryList
        class="digest-record"
        rows={[
          [t.digestDay, check.day],
          [t.digestAsOf, `${formatDateTime(lang, check.asOf, props.timeZone)} (${check.asOf})`],
          [t.digestValue, <code id="digest-value">{groupedDigest(check.digest)}</code>],
          [t.digestAccounts, formatNumber(lang, check.accounts)],
          [t.digestEntries, formatNumber(lang, check.entries)],
          [t.recordedBy, check.recordedBy],
          [t.recordedAt, formatDateTime(lang, check.recordedAt, props.timeZone)],
        ]}
      />
      <p class="no-print">{t.printHint}</p>
    </>
  );
}
