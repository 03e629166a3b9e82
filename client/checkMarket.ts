// The check lives with the chain bindings (the nodes run it at start too); the SDK keeps its name.
export { checkMarket } from "../chain/checkMarket.ts";
