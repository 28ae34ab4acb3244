// Parley's web app is a single-page app: the server renders only the shell, the browser does the rest.
export const ssr = false;
export const prerender = false;
