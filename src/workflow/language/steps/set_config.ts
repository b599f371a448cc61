/**
 * `set_config`: merge settings into the node's configuration.
 *
 * @module
 */

import type { StepSpec } from "../spec.ts";

const setConfig: StepSpec = {
  type: "set_config",
  description: "Merge settings into the node's configuration (e.g. " +
    "`{ BaseConfig: { LogLevel: DEBUG } }`); the keys not given are kept.",
  method: "setConfig",
  idempotent: true,
  fields: {
    config: {
      type: "object",
      description: "The settings to merge, in the server's configuration shape.",
      required: true,
    },
  },
  outputs: { config: "The whole configuration after the merge." },
  async run(ctx, args) {
    const config = args.config;
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
      throw new TypeError('field "config" must be a mapping');
    }
    const result = await ctx.client.setConfig(config as Record<string, unknown>, {
      signal: ctx.signal,
    });
    return { config: result };
  },
};

export default setConfig;
