/** Where the dashboard's server finds the API: RICOCHET_API_URL, read per request (not at build time). */
export function apiUrl(): string {
  return (process.env.RICOCHET_API_URL ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
}
