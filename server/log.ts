import "server-only";

type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  const raw = (process.env.HUBBLE_LENS_LOG_LEVEL ?? "info").toLowerCase();
  return ORDER[raw as Level] ?? ORDER.info;
}

function write(level: Level, message: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < threshold()) return;
  const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} hubble-lens: ${message}${extra}\n`);
}

/**
 * The server's leveled logger (HUBBLE_LENS_LOG_LEVEL: debug, info, warn, error). `audit` lines
 * (sign-in, investigation save, open, delete) are written at every level: one line each,
 * `AUDIT hubble-lens: <event> {"user":…,…}`.
 */
export const log = {
  audit: (event: string, f: Record<string, unknown>) => process.stderr.write(`${new Date().toISOString()} AUDIT hubble-lens: ${event} ${JSON.stringify(f)}\n`),
  debug: (m: string, f?: Record<string, unknown>) => write("debug", m, f),
  info: (m: string, f?: Record<string, unknown>) => write("info", m, f),
  warn: (m: string, f?: Record<string, unknown>) => write("warn", m, f),
  error: (m: string, f?: Record<string, unknown>) => write("error", m, f),
};
