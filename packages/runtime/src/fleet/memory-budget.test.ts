import { describe, expect, it } from "vitest";
import { MemoryBudget, type MemoryTenant } from "./memory-budget.ts";

class Tenant implements MemoryTenant {
  readonly name: string;
  readonly demand: number[];
  lastUsed: number;
  busy = false;
  pinned = false;
  evictions: string[] = [];
  budget: MemoryBudget | undefined;
  constructor(name: string, demand: number, lastUsed: number) {
    this.name = name;
    this.demand = [demand];
    this.lastUsed = lastUsed;
  }
  evict(reason: string): void {
    this.evictions.push(reason);
    // scales to zero "later"
    setTimeout(() => this.budget?.release(this), 5);
  }
}

function setup(...tenants: Tenant[]) {
  const budget = new MemoryBudget();
  for (const t of tenants) t.budget = budget;
  return budget;
}

describe("MemoryBudget", () => {
  it("admits engines that fit together without evicting anyone", async () => {
    const a = new Tenant("a", 0.5, 1);
    const b = new Tenant("b", 0.5, 2);
    const budget = setup(a, b);
    await budget.reserve(a);
    await budget.reserve(b);
    expect(budget.holders()).toEqual(["a", "b"]);
    expect(a.evictions).toEqual([]);
  });

  it("evicts the least recently used holder first, idle before busy, and only as many as needed", async () => {
    const a = new Tenant("a", 0.4, 10);
    const b = new Tenant("b", 0.4, 5);
    const c = new Tenant("c", 0.4, 1);
    const d = new Tenant("d", 0.4, 20);
    const budget = setup(a, b, c, d);
    await budget.reserve(a);
    await budget.reserve(b);
    c.busy = true; // least recently used, but serving: spared while an idle one will do
    expect(budget.holders()).toEqual(["a", "b"]);
    await budget.reserve(d);
    expect(b.evictions).toEqual(["GPU memory for 'd' (least recently used)"]);
    expect(a.evictions).toEqual([]);
    expect(budget.holders().sort()).toEqual(["a", "d"]);
  });

  it("never evicts pinned engines, and says so when nothing can make room", async () => {
    const a = new Tenant("a", 0.7, 1);
    a.pinned = true;
    const b = new Tenant("b", 0.5, 2);
    const budget = setup(a, b);
    await budget.reserve(a);
    await expect(budget.reserve(b)).rejects.toThrow(/cannot be freed.*a.*pinned/);
    expect(a.evictions).toEqual([]);
  });

  it("waiting reservations end when aborted", async () => {
    const a = new Tenant("a", 0.8, 1);
    a.evict = () => {}; // never lets go
    const b = new Tenant("b", 0.8, 2);
    const budget = setup(a, b);
    await budget.reserve(a);
    const abort = new AbortController();
    const waiting = budget.reserve(b, abort.signal);
    abort.abort(new Error("closing"));
    await expect(waiting).rejects.toThrow("closing");
  });
});
