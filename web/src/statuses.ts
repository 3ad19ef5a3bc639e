// What each deposit and withdrawal status means to the user, and which ones are final. A Record
// over the API's own enum, so a status added to openapi.yaml fails tsc here until it has words.

import type { Schemas } from "../../clients/typescript/src/index.ts";

export type DepositStatus = Schemas["DepositStatus"];
export type WithdrawalStatus = Schemas["WithdrawalStatus"];

interface StatusInfo {
  text: string;
  final: boolean;
}

export const DEPOSIT_STATUS: Record<DepositStatus, StatusInfo> = {
  pending: { text: "Waiting for your payment", final: false },
  processing: { text: "The payment is being checked", final: false },
  possible: { text: "Waiting for the gateway to find your payment", final: false },
  saving: { text: "Below the method's minimum: kept in your savings until they reach it", final: false },
  credited: { text: "Credited to your balance", final: true },
  amount_mismatch: { text: "The amount paid differs from the deposit: support will review it", final: true },
  rejected: { text: "Rejected", final: true },
  expired: { text: "Expired: no payment arrived in time", final: true },
};

export const WITHDRAWAL_STATUS: Record<WithdrawalStatus, StatusInfo> = {
  pending: { text: "Recorded, being sent to the gateway", final: false },
  submitted: { text: "Sent to the gateway; waiting for the payout", final: false },
  unknown: { text: "The gateway's answer was lost; it is being checked", final: false },
  processed: { text: "Paid out", final: true },
  rejected: { text: "Rejected; the amount is back in your balance", final: true },
};

// A server newer than this page may answer a status it has no words for: shown as is, not final.
export function depositStatus(s: string): StatusInfo {
  return (DEPOSIT_STATUS as Record<string, StatusInfo | undefined>)[s] ?? { text: s, final: false };
}

export function withdrawalStatus(s: string): StatusInfo {
  return (WITHDRAWAL_STATUS as Record<string, StatusInfo | undefined>)[s] ?? { text: s, final: false };
}
