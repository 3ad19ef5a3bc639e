// The checkout page in a real browser (Debian's Chromium driven by playwright-core) against the
// local stack: every scenario acts as a user would and checks what the page shows, then saves a
// screenshot of its final state under <repo>/target/browser/. Run by web/check.sh.
//   LOCAL_BIN=path/to/local node --test tests/checkout.test.mjs
// UPDATE_DOCS_SCREENSHOT=1 also copies the desktop screenshot to docs/images/checkout.png.

import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { deflateSync } from "node:zlib";

import { chromium } from "playwright-core";

import { artifacts, repo, startStack } from "./stack.mjs";

const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const WAIT_MS = 20_000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

let stack;
let browser;

before(async () => {
  // Screenshots of an earlier run would pass for this one's.
  mkdirSync(artifacts, { recursive: true });
  for (const f of readdirSync(artifacts)) if (f.endsWith(".png")) rmSync(path.join(artifacts, f));
  stack = await startStack();
  console.log(`page served by the ${stack.serving === "stack" ? "local stack itself" : stack.serving}: ${stack.page}`);
  // launch() runs Chromium on a fresh temporary profile (user-data-dir) and removes it after.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  await stack?.stop();
});

// ---- what the tests do besides the page: the user's bank app (the sandbox) and direct API calls

/** A fresh user per scenario, so balances start at zero. */
const newUser = (name) => `ui-${name}-${Date.now().toString(36)}`;
const utr = () => String(100000000000 + Math.floor(Math.random() * 899999999999));

async function post(url, body, headers = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The user pays in their UPI app: the sandbox records a payment with this transaction number. */
async function payAtSandbox(walletType, key1, amount) {
  const r = await post(`${stack.sandbox}/_sandbox/payments`, { wallet_type: walletType, key1, amount, currency_code: "INR" });
  assert.equal(r.status, 200, `sandbox payment refused: ${JSON.stringify(r.body)}`);
}

// ---- reading the page

async function openPage(context, user) {
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  // A refused request also logs "Failed to load resource"; the page shows those itself, and the
  // scenarios check what it shows. Anything else logged as an error is a fault of the page.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(`console: ${m.text()}`);
  });
  page.problems = problems;
  await page.goto(`${stack.page}?user=${encodeURIComponent(user)}`);
  await page.waitForSelector("html[data-ready=true]", { timeout: WAIT_MS });
  assert.equal(await page.getAttribute("html", "data-mode"), "local", "the page should run in local mode");
  return page;
}

/** Waits until `read()` satisfies `ok`, or fails saying what the page showed. */
async function until(page, what, read, ok) {
  const deadline = Date.now() + WAIT_MS;
  let last;
  for (;;) {
    last = await read().catch((e) => `(unreadable: ${e.message})`);
    if (ok(last)) return last;
    if (Date.now() > deadline) {
      const shown = await page.locator("main").innerText().catch(() => "(no main)");
      await shot(page, `FAILED-${what.replace(/\W+/g, "-")}`);
      assert.fail(`${what}: not seen within ${WAIT_MS / 1000} s; last read ${JSON.stringify(last)}.\nThe page showed:\n${shown}\n${page.problems.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const text = (page, selector) => () => page.locator(selector).first().innerText();
const attr = (page, selector, name) => () => page.locator(selector).first().getAttribute(name, { timeout: 1000 });

async function shot(page, name, fullPage = true) {
  mkdirSync(artifacts, { recursive: true });
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

async function startDeposit(page, walletType, amount) {
  const card = page.locator(`.method[data-wallet-type="${walletType}"]`);
  await card.waitFor({ timeout: WAIT_MS });
  await card.locator("input[type=radio]").check();
  await page.fill("#amount", amount);
  await page.click("#deposit-submit");
}

async function depositCredited(page, balance) {
  const status = await until(page, "deposit credited", attr(page, "#deposit-status", "data-status"), (s) => s === "credited");
  assert.equal(status, "credited");
  assert.match(await page.locator("#deposit-status").innerText(), /Credited to your balance/);
  await until(page, `balance ${balance} INR`, text(page, '#balance tr[data-currency="INR"] .available'), (t) => t === balance);
}

/** A tiny valid PNG (solid colour), so the upload is a real image file. */
function png(width = 8, height = 8) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x3c)]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", pixels),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

// ---- the scenarios

test("a. UPI P2P deposit: VPA shown, paid at the sandbox, activated with the UTR, credited", async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  try {
    const page = await openPage(context, newUser("p2p"));
    const card = page.locator('.method[data-wallet-type="upi_l"]');
    await card.waitFor({ timeout: WAIT_MS });
    assert.match(await card.innerText(), /100 – 50000 INR/, "the method's limits are shown");
    await startDeposit(page, "upi_l", "500");

    const vpa = await until(page, "the VPA to pay", text(page, "#pay-to"), (t) => /@/.test(t));
    assert.match(vpa, /^[\w.-]+@[\w.-]+$/, `a UPI id, got ${vpa}`);
    assert.match(await page.locator("#deposit-status").innerText(), /pending/);

    const key1 = utr();
    await payAtSandbox("upi_l", key1, "500");
    await page.fill("#utr", key1);
    await page.click("#activate-submit");
    await until(page, "the activation answer", text(page, "#activation"), (t) => t.trim() !== "");
    await depositCredited(page, "500.00");

    // The history lists it, newest first.
    const id = await page.getAttribute("article.deposit", "data-id");
    await until(page, "the deposit in the history", text(page, "#history-rows"), (t) => t.includes(id) && t.includes("credited"));
    await shot(page, "p2p-credited");
    const desktop = await shot(page, "desktop", false);
    if (process.env.UPDATE_DOCS_SCREENSHOT === "1") {
      const docs = path.join(repo, "docs", "images", "checkout.png");
      mkdirSync(path.dirname(docs), { recursive: true });
      copyFileSync(desktop, docs);
      console.log(`copied ${desktop} to ${docs} (${statSync(docs).size} bytes)`);
    }
    assert.deepEqual(page.problems, []);
  } finally {
    await context.close();
  }
});

test("b. UPI QR deposit at 360 px: QR image and app buttons shown, completed at the sandbox, credited", async () => {
  const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  try {
    const page = await openPage(context, newUser("qr"));
    await startDeposit(page, "upi_s", "300");

    const src = await until(page, "the QR image", attr(page, "img#qr", "src"), (s) => typeof s === "string" && s.length > 0);
    assert.ok(src.startsWith("data:image/svg+xml"), `the QR is an inline SVG, got ${src.slice(0, 40)}`);
    await until(page, "the QR image decoded", () => page.$eval("img#qr", (i) => i.complete && i.naturalWidth > 0), (v) => v === true);
    for (const [id, scheme] of [["pay-paytm", "paytmmp:"], ["pay-phonepe", "phonepe:"], ["pay-gpay", "tez:"], ["pay-upi", "upi:"]]) {
      assert.ok(await page.isVisible(`#${id}`), `the ${id} button is visible on a phone`);
      assert.ok((await page.getAttribute(`#${id}`, "href")).startsWith(scheme), `#${id} opens ${scheme}`);
    }
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= PHONE.width, `nothing wider than the phone's 360 px (the page is ${width} px wide)`);

    // The deposit's id is our custom_transaction_id: the sandbox completes the order by it.
    const id = await page.getAttribute("article.deposit", "data-id");
    const done = await post(`${stack.sandbox}/_sandbox/deposits/${id}/complete`);
    assert.equal(done.status, 200, `sandbox complete: ${JSON.stringify(done.body)}`);
    await depositCredited(page, "300.00");
    await shot(page, "qr-credited-360px");
    assert.deepEqual(page.problems, []);
  } finally {
    await context.close();
  }
});

test("b2. on a desktop the QR deposit shows no app buttons", async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  try {
    const page = await openPage(context, newUser("qr-desk"));
    await startDeposit(page, "upi_s", "300");
    await until(page, "the QR image", attr(page, "img#qr", "src"), (s) => typeof s === "string" && s.startsWith("data:image/svg+xml"));
    assert.equal(await page.isVisible("#pay-paytm"), false, "deep links are for phones only");
  } finally {
    await context.close();
  }
});

test("c. manual deposit: UTR and a screenshot uploaded, the activation answer shown, then credited", async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  try {
    const page = await openPage(context, newUser("manual"));
    await startDeposit(page, "upi_ml", "200");
    await until(page, "the account to pay", text(page, "#pay-to"), (t) => /@/.test(t));
    assert.ok(await page.isVisible("#screenshot"), "a manual method asks for a screenshot");

    const key1 = utr();
    await payAtSandbox("upi_ml", key1, "200");
    await page.fill("#utr", key1);
    await page.setInputFiles("#screenshot", { name: "receipt.png", mimeType: "image/png", buffer: png() });
    await page.click("#activate-submit");
    // The sandbox takes a manual activation as a possible transaction: "processing", credited
    // by the postback once the payment exists (it does).
    const answer = await until(page, "the activation answer", attr(page, "#activation", "data-status"), (s) => !!s);
    assert.ok(["processing", "credited", "possible"].includes(answer), `activation answered ${answer}`);
    await depositCredited(page, "200.00");
    await shot(page, "manual-credited");
    assert.deepEqual(page.problems, []);
  } finally {
    await context.close();
  }
});

test("d. withdrawal by IMPS: the method's fields asked, submitted, balance debited", async () => {
  const user = newUser("payout");
  // Funding by the API directly: the deposit flow itself is scenario a.
  const headers = { "x-dev-user": user };
  const dep = await post(`${stack.api}/v1/deposits`, { wallet_type: "upi_l", amount: "1000", currency: "INR" }, { ...headers, "idempotency-key": `fund-${user}` });
  assert.equal(dep.status, 201, JSON.stringify(dep.body));
  const key1 = utr();
  await payAtSandbox("upi_l", key1, "1000");
  const act = await post(`${stack.api}/v1/deposits/${dep.body.id}/activate`, { key1 }, headers);
  assert.equal(act.status, 200, JSON.stringify(act.body));

  const context = await browser.newContext({ viewport: DESKTOP });
  try {
    const page = await openPage(context, user);
    await until(page, "balance 1000.00 INR", text(page, '#balance tr[data-currency="INR"] .available'), (t) => t === "1000.00");
    await until(page, "the payout methods", () => page.locator("#payout-method option").count(), (n) => n > 0);
    await page.selectOption("#payout-method", "imps");
    for (const name of ["account_number", "account_name", "receiver_name", "bank_code"]) {
      assert.ok(await page.isVisible(`#payout-${name}`), `imps asks for ${name}`);
    }
    await page.fill("#withdrawal-amount", "300");
    await page.fill("#payout-account_number", "123456789012");
    await page.fill("#payout-account_name", "Asha Rao");
    await page.fill("#payout-receiver_name", "Asha Rao");
    await page.fill("#payout-bank_code", "SBIN0001234");
    await page.click("#withdrawal-submit");

    const status = await until(page, "the withdrawal's status", attr(page, "#withdrawal-status", "data-status"), (s) => !!s);
    assert.equal(status, "submitted", "the gateway took the payout request");
    assert.match(await page.locator("#withdrawal-status").innerText(), /submitted/);
    await until(page, "balance 700.00 INR", text(page, '#balance tr[data-currency="INR"] .available'), (t) => t === "700.00");
    await shot(page, "withdrawal-submitted");
    assert.deepEqual(page.problems, []);
  } finally {
    await context.close();
  }
});

test("e. refused amount: the error body's message next to the amount field", async () => {
  const user = newUser("refused");
  // What the API answers for this request, to compare with what the page shows.
  const expected = await post(
    `${stack.api}/v1/deposits`,
    { wallet_type: "upi_l", amount: "5", currency: "INR" },
    { "x-dev-user": user, "idempotency-key": `probe-${user}` },
  );
  assert.equal(expected.status, 422, JSON.stringify(expected.body));
  const { message, fields, request_id: requestId } = expected.body.error;

  const context = await browser.newContext({ viewport: DESKTOP });
  try {
    const page = await openPage(context, user);
    await startDeposit(page, "upi_l", "5");
    const slot = await until(page, "the amount field's error", text(page, '[data-error-for="amount"]'), (t) => t.trim() !== "");
    assert.equal(slot, fields.amount);
    // The message sits right after the amount field, with its request id in small print.
    const next = page.locator("#amount").locator("xpath=ancestor::label[1]/following-sibling::*[1]");
    assert.equal(await next.getAttribute("class"), "refusal");
    assert.equal(await next.locator(".refusal-message").innerText(), message);
    if (requestId) assert.match(await next.locator(".request-id").innerText(), /request id \S+/);
    assert.equal(await page.getAttribute("#amount", "aria-invalid"), "true");
    assert.equal(await page.locator("article.deposit").count(), 0, "no deposit was made");
    await shot(page, "refused-amount");
  } finally {
    await context.close();
  }
});

test("f. deployed (no config.json): a token field, the host's setToken sent as a bearer, never X-Dev-User", async () => {
  const host = await stack.deployedPage();
  const context = await browser.newContext({ viewport: DESKTOP });
  try {
    const page = await context.newPage();
    const calls = [];
    page.on("request", (r) => new URL(r.url()).pathname.startsWith("/v1/") && calls.push(r.headers()));
    await page.goto(host.page);
    await page.waitForSelector("html[data-ready=true]", { timeout: WAIT_MS });
    assert.equal(await page.getAttribute("html", "data-mode"), "deployed");
    assert.ok(await page.isVisible("#token"), "a token field");
    assert.equal(await page.locator("#user").count(), 0, "no user box");
    assert.match(await page.locator("#balance").innerText(), /no token yet/);
    assert.equal(calls.length, 0, "nothing is asked before the login gives a token");

    await page.evaluate(() => window.paykassmaCheckout.setToken("token-from-the-login"));
    // The local stack knows no bearer tokens: its refusal is what the page must show.
    const shown = await until(page, "the API's refusal", text(page, "#balance"), (t) => /authentication required/.test(t));
    assert.match(shown, /request id \S+/);
    assert.ok(calls.length > 0, "the page called the API");
    for (const headers of calls) {
      assert.equal(headers.authorization, "Bearer token-from-the-login");
      assert.equal(headers["x-dev-user"], undefined, "X-Dev-User is never sent deployed");
    }
    await shot(page, "deployed-token");
  } finally {
    await context.close();
    await host.close();
  }
});
