import * as tf from '@tensorflow/tfjs';
import type { NamedTensor } from './named-grads';
import type { Transform } from './transform';

/** The state of one model variable: for each transform of the chain, its slot variables. */
export interface VariableState {
  readonly slots: tf.Variable[][];
}

/**
 * Owns the per-variable optimizer state (tf.Variables, one per slot of each transform), keyed by
 * model variable name in first-seen order. Saved names are `${variableName}/${slot}`.
 */
export class SlotStore {
  private byName = new Map<string, VariableState>();
  private restoredUnclaimed = false;
  private readonly slotNames: string[];

  constructor(
    private readonly where: string,
    private readonly chain: readonly Transform[],
  ) {
    this.slotNames = chain.flatMap((t) => [...t.slots]);
  }

  /** True when the chain keeps any state at all. */
  get stateful(): boolean {
    return this.slotNames.length > 0;
  }

  /** State of a variable, or undefined before its first step. */
  get(name: string): VariableState | undefined {
    return this.byName.get(name);
  }

  /** Creates the state of a variable from its first step's slot values (one array per transform). */
  create(name: string, values: readonly (readonly tf.Tensor[])[]): VariableState {
    const state = { slots: values.map((vs) => vs.map((v) => tf.variable(v, false))) };
    this.byName.set(name, state);
    return state;
  }

  /** Copies of all slots, for `getWeights`; the caller owns (and should dispose) them. */
  snapshot(): NamedTensor[] {
    const out: NamedTensor[] = [];
    for (const [name, state] of this.byName) {
      let k = 0;
      for (const vars of state.slots) for (const v of vars) out.push({ name: `${name}/${this.slotNames[k++]}`, tensor: tf.clone(v) });
    }
    return out;
  }

  /**
   * Replaces all state with copies of `weights` (named `${variable}/${slot}`, as `snapshot`
   * writes them). Checks that every variable has exactly the slots this chain needs.
   */
  restore(weights: readonly NamedTensor[]): void {
    const grouped = new Map<string, Map<string, tf.Tensor>>();
    for (const { name, tensor } of weights) {
      const cut = name.lastIndexOf('/');
      const slot = name.slice(cut + 1);
      if (cut <= 0 || !this.slotNames.includes(slot)) {
        throw new Error(
          `${this.where}.setWeights: unexpected entry "${name}"; this optimizer keeps ` +
            (this.stateful ? `slots ${this.slotNames.join(', ')} named <variable>/<slot>` : 'no per-variable state') +
            '. Were the weights saved from an optimizer with other settings?',
        );
      }
      const variable = name.slice(0, cut);
      if (!grouped.has(variable)) grouped.set(variable, new Map());
      grouped.get(variable)!.set(slot, tensor);
    }
    for (const [variable, slots] of grouped) {
      const missing = this.slotNames.filter((s) => !slots.has(s));
      if (missing.length > 0) {
        throw new Error(`${this.where}.setWeights: state of "${variable}" lacks slot(s) ${missing.join(', ')}.`);
      }
    }
    this.dispose();
    for (const [variable, slots] of grouped) {
      let k = 0;
      const perTransform = this.chain.map((t) => t.slots.map(() => slots.get(this.slotNames[k++]!)!));
      this.create(variable, perTransform);
    }
    this.restoredUnclaimed = grouped.size > 0;
  }

  /**
   * After a restore, binds saved state to the variables of the first step. Names that match
   * bind by name. If some saved entries match no incoming variable and some incoming
   * variables have no state, they are paired in order (as tfjs's own optimizers do), which
   * covers a rebuilt model whose layer names got new suffixes; counts or shapes that do not
   * pair up are an error.
   */
  reconcile(incoming: readonly { name: string; shape: readonly number[] }[]): void {
    if (!this.restoredUnclaimed) return;
    this.restoredUnclaimed = false;
    const names = new Set(incoming.map((e) => e.name));
    const fresh = incoming.filter((e) => !this.byName.has(e.name));
    const orphans = [...this.byName.keys()].filter((n) => !names.has(n));
    if (fresh.length === 0 || orphans.length === 0) return;
    const shapeOf = (n: string): readonly number[] => this.byName.get(n)!.slots.find((s) => s.length > 0)![0]!.shape;
    const pairs =
      fresh.length === orphans.length && fresh.every((e, i) => tf.util.arraysEqual(e.shape as number[], shapeOf(orphans[i]!) as number[]));
    if (!pairs) {
      throw new Error(
        `${this.where}: restored state for [${orphans.join(', ')}] does not match variables [${fresh
          .map((e) => `${e.name} ${JSON.stringify(e.shape)}`)
          .join(', ')}] by name, count or shape.`,
      );
    }
    const rename = new Map(orphans.map((o, i) => [o, fresh[i]!.name]));
    this.byName = new Map([...this.byName].map(([n, s]) => [rename.get(n) ?? n, s]));
  }

  /** Disposes all slot variables. */
  dispose(): void {
    for (const state of this.byName.values()) for (const vars of state.slots) tf.dispose(vars);
    this.byName.clear();
  }
}
