// Where the page finds the API and how it names the caller, read from ./config.json at start.
// The local stack serves that file; a static host need not, and then the page runs deployed
// against its own origin. Kept apart so hosting rules live in one place (web/README.md).

export type Mode = "local" | "deployed";

export interface PageConfig {
  /** `local`: the caller is named by the "user" box (X-Dev-User). `deployed`: by a bearer token. */
  mode: Mode;
  /** The API's base URL; "" means the page's own origin. */
  apiBase: string;
  /** Local only: the Paykassma sandbox, for the hint that says where payments are played. */
  sandboxBase?: string;
}

export async function loadConfig(): Promise<PageConfig> {
  const deployed: PageConfig = { mode: "deployed", apiBase: "" };
  let body: unknown;
  try {
    const res = await fetch("./config.json", { cache: "no-store" });
    if (!res.ok) return deployed;
    body = await res.json();
  } catch {
    // No file or not JSON: a plain static host, which is the deployed case.
    return deployed;
  }
  if (typeof body !== "object" || body === null) return deployed;
  const { mode, apiBase, sandboxBase } = body as Record<string, unknown>;
  return {
    mode: mode === "local" ? "local" : "deployed",
    apiBase: typeof apiBase === "string" ? apiBase : "",
    ...(typeof sandboxBase === "string" && sandboxBase ? { sandboxBase } : {}),
  };
}
