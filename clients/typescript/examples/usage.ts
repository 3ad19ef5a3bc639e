// The README's usage, type-checked by `tsc` (check.sh) so the documented calls keep compiling
// against the generated types. Not run: it needs a live API.

import {
  createPaykassmaClient,
  errorView,
  newIdempotencyKey,
  type Deposit,
  type Method,
} from "../src/index.js";

// Locally: the user named by X-Dev-User. Deployed: `token: () => session.accessToken`.
const api = createPaykassmaClient({ baseUrl: "http://127.0.0.1:3000", devUser: "alice" });

export async function methodsFor(currency: string): Promise<Method[]> {
  const { data, error } = await api.GET("/v1/payment-methods", { params: { query: { currency } } });
  if (error) throw new Error(errorView(error).message);
  return data.methods;
}

export async function depositAndActivate(utr: string): Promise<Deposit> {
  const { data: deposit, error } = await api.POST("/v1/deposits", {
    params: { header: { "Idempotency-Key": newIdempotencyKey() } },
    body: { wallet_type: "upi_l", amount: "500.00", currency: "INR" },
  });
  if (error) {
    const { message, fields } = errorView(error);
    throw new Error(fields.amount ?? message);
  }
  // Required fields are plain (`deposit.id: string`); optional ones depend on the flow.
  if (deposit.kind === "p2p" && deposit.pay_to) {
    const { data: verdict, error: refused } = await api.POST("/v1/deposits/{id}/activate", {
      params: { path: { id: deposit.id } },
      body: { key1: utr },
    });
    if (refused) throw new Error(errorView(refused).fields.key1 ?? errorView(refused).message);
    console.log(verdict.status, verdict.message);
  }
  const { data: now } = await api.GET("/v1/deposits/{id}", { params: { path: { id: deposit.id } } });
  return now ?? deposit;
}

export async function availableInr(): Promise<string | undefined> {
  const { data } = await api.GET("/v1/balance");
  return data?.balances["INR"]?.available;
}
