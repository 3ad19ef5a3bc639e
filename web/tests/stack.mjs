// The local stack the browser tests run against: starts the already-built `local` binary on
// free ports (in-memory store, embedded Paykassma sandbox), waits for /healthz, and says where
// the page is. The stack serves the page itself at / (web/dist embedded at compile time); a
// binary built before that existed gets a small stand-in server here that serves web/dist the
// same way (plus /config.json) and passes every other path through to the stack, so the page
// still calls the API on its own origin.

import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const repo = path.resolve(web, "..");
export const artifacts = path.join(repo, "target", "browser");

export function localBinary() {
  if (process.env.LOCAL_BIN) return process.env.LOCAL_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(repo, "target");
  return path.join(target, "debug", "local");
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts the stack; `stop()` ends it (and the stand-in server) and is safe to call twice. */
export async function startStack() {
  const bin = localBinary();
  const [port, sandboxPort] = [await freePort(), await freePort()];
  mkdirSync(artifacts, { recursive: true });
  const logPath = path.join(artifacts, "local.log");
  const log = createWriteStream(logPath);
  const child = spawn(bin, ["--port", String(port), "--sandbox-port", String(sandboxPort), "--reconcile-seconds", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  const spawnError = new Promise((resolve) => child.on("error", resolve));
  child.on("exit", (code, signal) => (exited = { code, signal }));
  // Whatever happens to the test process, the stack does not outlive it.
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);

  const api = `http://127.0.0.1:${port}`;
  const sandbox = `http://127.0.0.1:${sandboxPort}`;
  let standIn;
  const stop = async () => {
    process.off("exit", killOnExit);
    if (standIn) await closeServer(standIn);
    standIn = undefined;
    if (exited === null) {
      child.kill("SIGTERM");
      for (let i = 0; i < 30 && exited === null; i++) await sleep(100);
      if (exited === null) child.kill("SIGKILL");
    }
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    const failed = await Promise.race([spawnError, sleep(200).then(() => null)]);
    if (failed) throw new Error(`could not start ${bin}: ${failed.message} (set LOCAL_BIN, or build it: cargo build -p local)`);
    if (exited !== null) {
      throw new Error(`${bin} exited (${JSON.stringify(exited)}) before /healthz answered; its log:\n${tail(logPath)}`);
    }
    try {
      if ((await fetch(`${api}/healthz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${bin}: GET /healthz did not answer 200 within 20 s; its log:\n${tail(logPath)}`);
    }
  }

  let page = `${api}/`;
  let serving = "stack";
  const config = await fetch(`${api}/config.json`).catch(() => null);
  const stale = config?.status === 200 ? await embeddedDiffers(api) : null;
  if (config?.status !== 200 || stale) {
    if (stale && process.env.CI === "true") {
      await stop();
      throw new Error(`${bin} serves a page other than web/dist (${stale}): it was built from another web/dist`);
    }
    // The binary predates the page it should embed (a Rust build is slow; web/ changes are
    // tested at once): serve web/dist the stack's way instead, and say so.
    standIn = await serveDist(api, { mode: "local", apiBase: "", sandboxBase: sandbox });
    page = `http://127.0.0.1:${standIn.address().port}/`;
    serving = stale ? `stand-in (the stack's embedded ${stale} differs from web/dist: rebuild it)` : "stand-in (the stack has no /config.json)";
  }
  /** The page as a plain static host would serve it (no config.json, so deployed), API proxied. */
  const deployedPage = async () => {
    const server = await serveDist(api, null);
    return { page: `http://127.0.0.1:${server.address().port}/`, close: () => closeServer(server) };
  };
  return { api, sandbox, page, serving, logPath, stop, deployedPage };
}

function closeServer(server) {
  server.closeAllConnections(); // the browser's keep-alive sockets would hold close() open
  return new Promise((r) => server.close(() => r()));
}

/** Which of the stack's page files differs from web/dist, if any (null: it embeds this build). */
async function embeddedDiffers(api) {
  for (const [route, file] of [["/", "index.html"], ["/app.js", "app.js"], ["/app.css", "app.css"]]) {
    const res = await fetch(`${api}${route}`).catch(() => null);
    const served = res?.ok ? Buffer.from(await res.arrayBuffer()) : null;
    if (!served || !served.equals(readFileSync(path.join(web, "dist", file)))) return file;
  }
  return null;
}

function tail(file) {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "(no log)";
  }
}

const DIST = { "/": "index.html", "/index.html": "index.html", "/app.js": "app.js", "/app.css": "app.css" };
const TYPES = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8" };

/**
 * What the stack does for the page (the three dist files and /config.json), the rest proxied;
 * with `config` null there is no /config.json (404), as on a plain static host.
 */
function serveDist(api, config) {
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url, "http://x").pathname;
    if (req.method === "GET" && DIST[pathname]) {
      const file = DIST[pathname];
      res.writeHead(200, { "content-type": TYPES[file.split(".").pop()], "cache-control": "no-cache" });
      res.end(readFileSync(path.join(web, "dist", file)));
      return;
    }
    if (pathname === "/config.json") {
      res.writeHead(config ? 200 : 404, { "content-type": "application/json" });
      res.end(config ? JSON.stringify(config) : "{}");
      return;
    }
    const target = new URL(req.url, api);
    const upstream = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", (e) => {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "proxy", message: e.message } }));
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
