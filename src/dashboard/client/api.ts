/** The dashboard's HTTP client: the server's own /v1 routes, with the bearer token when the server asks for one. */

const TOKEN_KEY = "spice.api-token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { title?: string; detail?: string; errors?: { field: string; message: string }[] } | null,
  ) {
    super(body?.detail ?? body?.title ?? `HTTP ${status}`);
  }
}

let asking: Promise<void> | null = null;

/**
 * Ask for the API token (SPICE_API_TOKEN) once, however many requests were refused at the same time.
 * It is kept in sessionStorage: for this tab's session only, never written to disk by the page.
 */
function askToken(message: string): Promise<void> {
  asking ??= new Promise<void>((resolve) => {
    const dialog = document.getElementById("token-dialog") as HTMLDialogElement;
    const input = dialog.querySelector("input") as HTMLInputElement;
    (dialog.querySelector(".token-message") as HTMLElement).textContent = message;
    input.value = "";
    dialog.showModal();
    const form = dialog.querySelector("form") as HTMLFormElement;
    form.onsubmit = (e) => {
      e.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      dialog.close();
      asking = null;
      resolve();
    };
  });
  return asking;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  for (;;) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    if (res.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      await askToken(
        token
          ? "That token was refused; enter the server's API token."
          : "This server needs its API token (SPICE_API_TOKEN).",
      );
      continue;
    }
    const body = (await res.json().catch(() => null)) as T & ApiError["body"];
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }
}
