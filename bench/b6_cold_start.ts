export const id = "X"; export const title = "todo"; export function run(): never { throw new Error("todo"); }
