/** The websock.ini sections that belong to apps: `[apps]` and one `[app:KEY]` per app. */
export const APPS_SECTION = 'apps';
export const APP_SECTION_PREFIX = 'app:';

/** Sections the config loader leaves to apps/app-loader.ts. */
export function isAppSection(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === APPS_SECTION || lower.startsWith(APP_SECTION_PREFIX);
}
