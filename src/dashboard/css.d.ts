/** Stylesheets are bundled by esbuild (dev/dashboard.ts) into dashboard.css; they export nothing. */
declare module '*.css' {}
