/** Stylesheets imported for their effect: Bun's bundler emits them as the bundle's CSS. */
declare module "*.css";
