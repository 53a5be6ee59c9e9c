// When each app was last used, shown on /account: recorded now and then, not on every MCP
// request (a D1 write per call would cost), and after the response.
import type { AppContext } from "./context.ts";
import { touchAppUse } from "./users.ts";

/** How often one isolate records an app's "last used" (it is shown to the minute or so). */
const APP_USE_WRITE_INTERVAL_MS = 60_000;
const appUseWritten = new Map<string, number>();

/** Records that `clientId` used `userId`'s grant, at most once per interval per isolate. */
export function noteAppUse(
  context: Pick<AppContext, "db" | "defer">,
  userId: string,
  clientId: string | undefined,
): void {
  if (clientId === undefined) return;
  const key = `${userId}\n${clientId}`;
  const last = appUseWritten.get(key);
  if (last !== undefined && Date.now() - last < APP_USE_WRITE_INTERVAL_MS) return;
  if (appUseWritten.size > 10_000) appUseWritten.clear();
  appUseWritten.set(key, Date.now());
  context.defer(touchAppUse(context.db, userId, clientId));
}
