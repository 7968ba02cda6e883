import type { Gaf } from '../../gaf/gaf';
import { stateless, type Transform } from '../transform';

/** Applies a gradient activation function element-wise to the incoming update. */
export function activate(gaf: Gaf): Transform {
  return stateless(`activate(${gaf.name})`, (d) => gaf.apply(d), true);
}
