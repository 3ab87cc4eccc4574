/** What a bank run is asked to do, what it reports, and what it remembers of the writes it saw acknowledged. */

export interface BankOptions {
  /** One or more instances of the service; requests are spread over them. */
  baseUrls: string[];
  adminToken: string;
  /** Mints a bearer token the service accepts (the bank creates its own volunteers and merchant). */
  mintToken(role: 'volunteer' | 'merchant', sub: string): Promise<string>;
  durationSeconds: number;
  /** Concurrent writer loops. */
  clients: number;
  /** Concurrent reader loops summing balances. Default 2. */
  readers?: number;
  /** Volunteers the money moves between: few, so clients contend on the same accounts. Default 10. */
  volunteers?: number;
  /** Seed of the choice of operations (printed in the report). Default random. */
  seed?: number;
  log?: (line: string) => void;
}

export interface BankReport {
  seed: number;
  durationSeconds: number;
  clients: number;
  readers: number;
  volunteers: number;
  /** Acknowledged (2xx) writes by kind. */
  acknowledged: Record<string, number>;
  /** Every answer counted by operation and outcome, e.g. "claim 409 insufficient_points". */
  outcomes: Record<string, number>;
  totalsReads: number;
  balanceReads: number;
  /** Requests answered definitely only after a retry (503, 429, 409 idempotency_in_progress or no answer first). */
  retriedUnavailable: number;
  /** Requests that got no HTTP answer at all (connection error or timeout). */
  noAnswer: number;
  /** Server errors (5xx other than 503). */
  serverErrors: number;
  /** Operations left without a definite answer after bounded retries. */
  ambiguous: number;
  anomalies: string[];
  final: {
    verifyOk: boolean;
    entriesChecked: number;
    sumOfBalances: number | null;
    transactionsChecked: number;
    redemptionsChecked: number;
    balancesChecked: number;
    balancesSkipped: number;
    packsChecked: number;
  };
  writesPerSecond: number;
}

export interface Volunteer {
  id: string;
  token: string;
  /** What the acknowledged writes add up to. */
  balance: number;
  held: number;
  ambiguous: boolean;
}

export interface Pack {
  id: string;
  points: number;
  stock: number | null;
  limit: number | null;
  issued: number;
  redeemed: number;
  ambiguous: boolean;
}

export interface Award {
  key: string;
  body: { volunteerId: string; points: number; reason: string };
  transactionId: string;
  reversal?: { key: string; body: { reason: string }; transactionId: string };
  busy: boolean;
  ambiguous: boolean;
}

export interface Claim {
  key: string;
  id: string;
  token: string;
  packId: string;
  volunteer: Volunteer;
  points: number;
  state: 'issued' | 'redeemed' | 'cancelled';
  redeemedAt?: string;
  busy: boolean;
  ambiguous: boolean;
}
