import { z } from "zod";

/**
 * First import of the edge entry, so it runs before any schema is built: zod then never compiles a parser
 * with `new Function` (Cloudflare Workers forbid code generation; the build strips zod's probe for it too).
 */
z.config({ jitless: true });
