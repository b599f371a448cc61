/**
 * Inventories: nodes with variables and connections, groups of nodes, and the targeting of a
 * run (`nodes:` naming groups, `--limit`).
 *
 * @module
 */

export {
  type Inventory,
  type InventoryNode,
  loadInventory,
  parseInventory,
  type ParseInventoryOptions,
} from "./inventory.ts";
export {
  applyLimit,
  expandTargets,
  globMatcher,
  groupNodes,
  splitLimit,
  TargetError,
  unknownTarget,
  varNames,
} from "./targets.ts";
